// The official ElevenLabs SDK's conversation tag methods
// (conversationalAi.conversations.tags: create, get, list, update, delete,
// assign, unassign) against the door, by base URL alone, with the tag_ids
// of conversations.get and conversations.list and the list's tagIds
// filter, and the typed errors the SDK raises (404 for a missing and for
// another tenant's tag or conversation, 422 for a bad body, 401 for a key
// without the scope). The Go test seeds the conversations and a tag of
// tenant B, and checks the store afterwards.
import assert from "node:assert/strict";
import { ElevenLabsClient, ElevenLabsError, ElevenLabs } from "@elevenlabs/elevenlabs-js";
import { expectError } from "./expect.mjs";

const env = process.env;
const client = new ElevenLabsClient({ baseUrl: env.BASE_URL, apiKey: env.API_KEY, maxRetries: 0 });
const reader = new ElevenLabsClient({ baseUrl: env.BASE_URL, apiKey: env.READ_KEY, maxRetries: 0 });
const conversations = client.conversationalAi.conversations;
const tags = conversations.tags;
const full = env.CONV_FULL;
const plain = env.CONV_PLAIN;
const foreignConv = env.CONV_FOREIGN; // tenant B's
const foreignTag = env.TAG_FOREIGN; // tenant B's
const missingTag = "tag_01m8pfgzpnepf8eew0phv59r57";
const missingConv = "conv_01m8pfgzpnepf8eew0phv59r57";
const out = {};

// create, get
const vip = await tags.create({ title: "VIP", description: "Important callers" });
assert.match(vip.tagId, /^tag_/);
assert.equal(vip.title, "VIP");
assert.equal(vip.description, "Important callers");
assert.match(vip.workspaceId, /^ten_/);
assert.match(vip.ownerUserId, /^key_/);
assert.equal(typeof vip.createdAtUnixSecs, "number");
const refund = await tags.create({ title: "Refund" });
assert.equal(refund.description, undefined);
assert.deepEqual(await tags.get(vip.tagId), vip);

// list: newest first, then page by page through the cursor
const listed = await tags.list();
assert.deepEqual(listed.conversationTags.map((t) => t.tagId), [refund.tagId, vip.tagId]);
assert.equal(listed.hasMore, false);
const paged = [];
let cursor;
do {
  const page = await tags.list({ pageSize: 1, cursor });
  assert.equal(page.conversationTags.length, 1);
  paged.push(page.conversationTags[0].tagId);
  cursor = page.hasMore ? page.nextCursor : undefined;
} while (cursor);
assert.deepEqual(paged, [refund.tagId, vip.tagId]);

// update: a member given replaces, the other stays
const renamed = await tags.update(vip.tagId, { title: "VIP customer" });
assert.equal(renamed.title, "VIP customer");
assert.equal(renamed.description, "Important callers");

// assign (re-assigning is a no-op), then tag_ids in get and list
assert.equal(await tags.assign(full, { tagIds: [vip.tagId, refund.tagId] }), undefined);
await tags.assign(full, { tagIds: [vip.tagId] });
await tags.assign(plain, { tagIds: [refund.tagId] });
assert.deepEqual((await conversations.get(full)).tagIds, [vip.tagId, refund.tagId]);
const summaries = Object.fromEntries((await conversations.list()).conversations.map((c) => [c.conversationId, c.tagIds]));
assert.deepEqual(summaries[full], [vip.tagId, refund.tagId]);
assert.deepEqual(summaries[plain], [refund.tagId]);
const ids = async (tagIds) => (await conversations.list({ tagIds })).conversations.map((c) => c.conversationId).sort();
out.filter = {
  refund: await ids(refund.tagId),
  both: await ids([vip.tagId, refund.tagId]),
  missing: await ids(missingTag),
};

// unassign
await tags.unassign(full, refund.tagId);
assert.deepEqual((await conversations.get(full)).tagIds, [vip.tagId]);
await tags.unassign(full, refund.tagId); // not carried: no error

// errors: a missing and another tenant's tag or conversation answer alike
const errors = {};
for (const [name, tag, conv] of [["missing", missingTag, missingConv], ["foreign", foreignTag, foreignConv]]) {
  errors[name] = [
    await expectError(() => tags.get(tag), 404),
    await expectError(() => tags.update(tag, { title: "x" }), 404),
    await expectError(() => tags.delete(tag), 404),
    await expectError(() => tags.assign(full, { tagIds: [tag] }), 404),
    await expectError(() => tags.unassign(full, tag), 404),
    await expectError(() => tags.assign(conv, { tagIds: [vip.tagId] }), 404),
    await expectError(() => tags.unassign(conv, vip.tagId), 404),
  ].map((b) => b.detail.status);
}
const bad = await expectError(() => tags.create({ title: "" }), 422, ElevenLabs.UnprocessableEntityError);
errors.emptyTitle = bad.detail[0].type + ":" + bad.detail[0].loc.join(".");
errors.readerCreate = (await expectError(() => reader.conversationalAi.conversations.tags.create({ title: "x" }), 401)).detail.status;
assert.equal((await reader.conversationalAi.conversations.tags.list()).conversationTags.length, 2);
out.errors = errors;

// delete: the tag goes, detached from plain
assert.equal(await tags.delete(refund.tagId), undefined);
await expectError(() => tags.get(refund.tagId), 404);
assert.deepEqual((await conversations.get(plain)).tagIds, []);

out.vip = vip.tagId;
out.refund = refund.tagId;
console.log(JSON.stringify(out));
