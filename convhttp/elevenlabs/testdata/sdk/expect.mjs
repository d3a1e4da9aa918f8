// expectError runs fn and returns the body of the error it raises, failing
// unless that is an instance of type (the SDK's ElevenLabsError or one of
// its typed subclasses) with the given status: what the contract tests
// check of every error answer.
import assert from "node:assert/strict";
import { ElevenLabsError } from "@elevenlabs/elevenlabs-js";

export async function expectError(fn, status, type = ElevenLabsError) {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof type, `want ${type.name}, got ${e}`);
    assert.equal(e.statusCode, status, `status ${e.statusCode}: ${JSON.stringify(e.body)}`);
    return e.body;
  }
  assert.fail(`no error, want ${status}`);
}
