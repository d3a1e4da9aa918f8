// Every conversation method of the official ElevenLabs SDK
// (@elevenlabs/elevenlabs-js, pinned in package.json) against the door, by
// base URL alone, as an application calls them: list (filters, paging),
// get, audio.get, feedback.create, getSummary, getSipMessages, files.create,
// files.delete, messages.textSearch and delete, with the typed
// errors the SDK raises (404 for a missing and for another tenant's id,
// 401 for a bad key or a key without the scope, 422 for a bad parameter).
// The Go test seeds the conversations and checks the store afterwards.
import assert from "node:assert/strict";
import { ElevenLabsClient, ElevenLabsError, ElevenLabs } from "@elevenlabs/elevenlabs-js";
import { expectError } from "./expect.mjs";

const env = process.env;
const client = new ElevenLabsClient({ baseUrl: env.BASE_URL, apiKey: env.API_KEY, maxRetries: 0 });
const conversations = client.conversationalAi.conversations;
const full = env.CONV_FULL; // messages, summary, analysis, audio
const plain = env.CONV_PLAIN; // two messages, nothing else
const foreign = env.CONV_FOREIGN; // tenant B's
const missing = "conv_01m8pfgzpnepf8eew0phv59r57";
const out = {};

// list: everything, then page by page through the cursor, then filtered.
const all = await conversations.list();
assert.equal(all.hasMore, false);
assert.deepEqual(new Set(all.conversations.map((c) => c.conversationId)), new Set([full, plain]));
const paged = [];
let cursor;
do {
  const page = await conversations.list({ pageSize: 1, cursor });
  assert.equal(page.conversations.length, 1);
  paged.push(page.conversations[0].conversationId);
  cursor = page.hasMore ? page.nextCursor : undefined;
} while (cursor);
assert.deepEqual(paged, all.conversations.map((c) => c.conversationId));
const byAgent = await conversations.list({ agentId: "agent_support" });
assert.deepEqual(byAgent.conversations.map((c) => c.conversationId), [full]);
const successful = await conversations.list({ callSuccessful: "success", sortDirection: "asc" });
assert.deepEqual(successful.conversations.map((c) => c.conversationId), [full]);
const fullSummary = all.conversations.find((c) => c.conversationId === full);
assert.equal(fullSummary.transcriptSummary, "The caller asked about a bill.");
const excluded = await conversations.list({ summaryMode: "exclude", agentId: "agent_support" });
assert.equal(excluded.conversations[0].transcriptSummary, undefined);
out.list = { ids: all.conversations.map((c) => c.conversationId), paged, messageCount: fullSummary.messageCount };

// get: the transcript without the system prompt, the analysis, audio flags
// and no feedback yet.
const got = await conversations.get(full);
assert.equal(got.conversationId, full);
assert.deepEqual(got.transcript.map((t) => [t.role, t.message ?? null]), [
  ["agent", "Hi!"], ["user", "My bill is wrong."], ["agent", null], ["agent", "refund issued"], ["agent", "Fixed it."],
]);
assert.equal(got.analysis.callSuccessful, "success");
assert.equal(got.hasAudio, true);
assert.equal(got.metadata.feedback.overallScore, undefined);

// audio.get: the stored bytes.
const stream = await conversations.audio.get(full);
const chunks = [];
for await (const chunk of stream) chunks.push(chunk);
const audio = Buffer.concat(chunks);
assert.equal(audio.toString(), env.AUDIO);
await expectError(() => conversations.audio.get(plain), 404);

// feedback.create: like, then dislike replaces it; on the other
// conversation like, then no feedback takes it back.
assert.equal(await conversations.feedback.create(full, { feedback: "like" }), null);
assert.equal((await conversations.get(full)).metadata.feedback.overallScore, "like");
await conversations.feedback.create(full, { feedback: "dislike" });
const disliked = (await conversations.get(full)).metadata.feedback;
assert.equal(disliked.overallScore, "dislike");
assert.equal(disliked.type, "thumbs");
await conversations.feedback.create(plain, { feedback: "like" });
assert.equal((await conversations.get(plain)).metadata.feedback.overallScore, "like");
await conversations.feedback.create(plain, {});
assert.equal((await conversations.get(plain)).metadata.feedback.overallScore, undefined);
out.feedback = { full: disliked.overallScore };

// getSummary: the gist with the plain chat turns, or without them when
// there are more than maxMessages.
const summary = await conversations.getSummary(full);
assert.equal(summary.conversationId, full);
assert.equal(summary.agentId, "agent_support");
assert.equal(summary.status, "done");
assert.equal(summary.transcriptSummary, "The caller asked about a bill.");
assert.equal(summary.callSummaryTitle, "Bill question");
assert.equal(summary.callSuccessful, "success");
assert.equal(summary.messageCount, 3);
assert.deepEqual(summary.messages, [
  { role: "agent", message: "Hi!" },
  { role: "user", message: "My bill is wrong." },
  { role: "agent", message: "Fixed it." },
]);
assert.equal(summary.messagesOmitted, false);
assert.match(summary.note, /full transcript/);
const short = await conversations.getSummary(full, { maxMessages: 2 });
assert.equal(short.messageCount, 3);
assert.equal(short.messages, undefined);
assert.equal(short.messagesOmitted, true);
const bare = await conversations.getSummary(plain, { maxMessages: 2 });
assert.equal(bare.transcriptSummary, undefined);
assert.equal(bare.callSuccessful, "unknown");
assert.equal(bare.messages.length, 2);
out.summary = { messageCount: summary.messageCount, omitted: short.messagesOmitted };

// getSipMessages: convstore holds no telephony signalling, an empty page.
const sip = await conversations.getSipMessages(full, { pageSize: 10 });
assert.deepEqual(sip.sipMessages, []);
assert.equal(sip.hasMore, false);
out.sipMessages = sip.sipMessages.length;

// files: an upload (image, PDF or text) is an attachment of the
// conversation; delete removes it; other media types are 422.
const uploaded = await conversations.files.create(full, { file: new File(["notes for the agent"], "notes.txt", { type: "text/plain" }) });
assert.match(uploaded.fileId, /^file_[0-9a-z]{26}$/);
const removed = await conversations.files.delete(full, uploaded.fileId);
assert.equal(removed.fileId, uploaded.fileId);
const gone404 = await expectError(() => conversations.files.delete(full, uploaded.fileId), 404);
assert.equal(gone404.detail.status, "file_not_found");
const kept = await conversations.files.create(full, { file: Buffer.from("%PDF-1.4 a tiny pdf") });
const audio422 = await expectError(
  () => conversations.files.create(full, { file: new File(["ID3"], "a.mp3", { type: "audio/mpeg" }) }),
  422, ElevenLabs.UnprocessableEntityError);
assert.deepEqual(audio422.detail[0].loc, ["body", "file"]);
assert.equal((await conversations.get(full)).hasAudio, true);
out.files = { removed: uploaded.fileId, kept: kept.fileId };

// messages.textSearch: keyword search over the tenant's transcripts,
// newest conversation first, paged by cursor; ranked by sortBy
// "search_score"; never tenant B's messages.
const messages = conversations.messages;
const found = await messages.textSearch({ textQuery: "bill" });
assert.equal(found.hasMore, false);
assert.deepEqual(found.results.map((h) => [h.conversationId, h.transcriptIndex, h.chunkText]), [
  [full, 1, "My bill is wrong."],
]);
const [bill] = found.results;
assert.equal(bill.agentId, "agent_support");
assert.ok(bill.score > 0 && bill.score <= 1);
assert.ok(bill.conversationStartTimeUnixSecs > 0);
assert.deepEqual(bill.chunkHighlights, [{ value: "My ", isHit: false }, { value: "bill", isHit: true }, { value: " is wrong.", isHit: false }]);
const his = [];
let searchCursor;
do {
  const page = await messages.textSearch({ textQuery: "hi", pageSize: 1, cursor: searchCursor });
  his.push(...page.results.map((h) => `${h.conversationId}:${h.transcriptIndex}`));
  searchCursor = page.hasMore ? page.nextCursor : undefined;
} while (searchCursor);
// "hi" is a word of "Hi!" and "hi", and inside "tHIs"? no such message here.
assert.deepEqual(his, [`${plain}:1`, `${full}:0`]);
const ranked = await messages.textSearch({ textQuery: "hi", sortBy: "search_score", agentId: "agent_other" });
assert.deepEqual(ranked.results.map((h) => h.chunkText), ["hi"]);
const search422 = await expectError(() => messages.textSearch({ textQuery: "bill", toolNames: "refund" }), 422, ElevenLabs.UnprocessableEntityError);
assert.deepEqual(search422.detail[0].loc, ["query", "tool_names"]);
assert.equal((await messages.textSearch({ textQuery: "tenant" })).results.length, 0);
out.search = { bill: bill.conversationId, hi: his.length };

// What convstore cannot serve by nature answers 501 with a message that
// says so, as the SDK's typed error.
const unserved = {};
for (const [name, fn] of [
  ["getSignedUrl", () => conversations.getSignedUrl({ agentId: "agent_support" })],
  ["getWebrtcToken", () => conversations.getWebrtcToken({ agentId: "agent_support" })],
  ["resolve", () => conversations.resolve({ agentId: "agent_support", reference: "https://x.zendesk.com/agent/tickets/1" })],
  ["messages.search", () => messages.search({ textQuery: "refund" })],
  ["analysis.run", () => conversations.analysis.run(full)],
  ["analysis.runEvaluation", () => conversations.analysis.runEvaluation(full, { evaluationId: "e1" })],
  ["topics.get", () => conversations.topics.get("agent_support")],
]) {
  const body = await expectError(fn, 501);
  assert.equal(body.detail.status, "not_supported_by_convstore", name);
  assert.match(body.detail.message, /convstore/, name);
  unserved[name] = body.detail.message;
}
try {
  await conversations.getSignedUrl({ agentId: "agent_support" });
} catch (e) {
  assert.match(e.message, /Status code: 501/);
  assert.match(e.message, /runs no agents/);
}
out.unserved = unserved;

// Errors: a missing id and another tenant's id answer alike (404).
const errors = {};
for (const [name, id] of [["missing", missing], ["foreign", foreign]]) {
  errors[name] = [
    await expectError(() => conversations.get(id), 404),
    await expectError(() => conversations.getSummary(id), 404),
    await expectError(() => conversations.feedback.create(id, { feedback: "like" }), 404),
    await expectError(() => conversations.audio.get(id), 404),
    await expectError(() => conversations.getSipMessages(id), 404),
    await expectError(() => conversations.files.create(id, { file: new File(["x"], "x.txt", { type: "text/plain" }) }), 404),
    await expectError(() => conversations.delete(id), 404),
  ].map((b) => b.detail.status);
  errors[name].push((await expectError(() => conversations.files.delete(id, kept.fileId), 404)).detail.status);
}
assert.deepEqual(errors.missing, errors.foreign);
const bad422 = await expectError(() => conversations.getSummary(full, { maxMessages: 1000 }), 422, ElevenLabs.UnprocessableEntityError);
assert.deepEqual(bad422.detail[0].loc, ["query", "max_messages"]);
const list422 = await expectError(() => conversations.list({ pageSize: 0 }), 422, ElevenLabs.UnprocessableEntityError);
assert.deepEqual(list422.detail[0].loc, ["query", "page_size"]);
const badKey = new ElevenLabsClient({ baseUrl: env.BASE_URL, apiKey: "not-a-key", maxRetries: 0 });
errors.badKey = (await expectError(() => badKey.conversationalAi.conversations.list(), 401)).detail.status;
const reader = new ElevenLabsClient({ baseUrl: env.BASE_URL, apiKey: env.READ_KEY, maxRetries: 0 });
errors.readerFeedback = (await expectError(() => reader.conversationalAi.conversations.feedback.create(full, { feedback: "like" }), 401)).detail.status;
errors.readerDelete = (await expectError(() => reader.conversationalAi.conversations.delete(full), 401)).detail.status;
out.errors = errors;

// delete: the conversation and everything derived from it, feedback
// included; afterwards every method answers 404.
assert.equal(await conversations.delete(plain), null);
for (const fn of [
  () => conversations.get(plain),
  () => conversations.getSummary(plain),
  () => conversations.getSipMessages(plain),
  () => conversations.feedback.create(plain, { feedback: "like" }),
]) {
  await expectError(fn, 404);
}
const after = await conversations.list();
assert.deepEqual(after.conversations.map((c) => c.conversationId), [full]);
out.deleted = plain;

console.log(JSON.stringify(out));
