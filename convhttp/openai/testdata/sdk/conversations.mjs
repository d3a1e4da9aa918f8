// The official openai SDK against convstore's OpenAI door, by base URL
// alone: every conversation and item method, auto-pagination and the
// typed errors. Prints its findings as JSON for the Go test.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.BASE_URL;
const client = new OpenAI({ baseURL, apiKey: process.env.API_KEY, maxRetries: 0 });
const other = new OpenAI({ baseURL, apiKey: process.env.API_KEY_B, maxRetries: 0 });
const out = {};

// conversations.create with metadata and initial items.
const conv = await client.conversations.create({
  metadata: { topic: 'billing', customer: 'c-42' },
  items: [
    { type: 'message', role: 'developer', content: 'Answer briefly.' },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Where is my invoice?' }] },
  ],
});
assert.match(conv.id, /^conv_[0-9a-z]{26}$/);
assert.equal(conv.object, 'conversation');
assert.equal(typeof conv.created_at, 'number');
assert.ok(Math.abs(conv.created_at - Date.now() / 1000) < 120, 'created_at is in seconds');
assert.deepEqual(conv.metadata, { topic: 'billing', customer: 'c-42' });
out.conversation = conv.id;

// conversations.retrieve and update.
const got = await client.conversations.retrieve(conv.id);
assert.deepEqual(got, conv);
const updated = await client.conversations.update(conv.id, { metadata: { topic: 'refund' } });
assert.deepEqual(updated.metadata, { topic: 'refund' });
assert.equal(updated.id, conv.id);
assert.equal(updated.created_at, conv.created_at);

// conversations.items.create: a message with several part kinds, a
// function call and its output, a reasoning item with its own id.
const reasoningID = 'rs_sdk_0001';
const created = await client.conversations.items.create(conv.id, {
  items: [
    {
      type: 'message', role: 'user', content: [
        { type: 'input_text', text: 'Here is a photo.' },
        { type: 'input_image', image_url: 'https://example.com/photo.png', detail: 'auto' },
        { type: 'input_image', file_id: 'file-abc123', detail: 'low' },
        { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
      ],
    },
    { type: 'reasoning', id: reasoningID, summary: [{ type: 'summary_text', text: 'Look up the invoice.' }], encrypted_content: 'gAAAA-opaque' },
    { type: 'function_call', call_id: 'call_1', name: 'find_invoice', arguments: '{"customer":"c-42"}' },
    { type: 'function_call_output', call_id: 'call_1', output: '{"invoice":"INV-7","amount":12.5}' },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Invoice INV-7 is attached.', annotations: [] }] },
    { type: 'message', role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot share card numbers.' }] },
  ],
});
assert.equal(created.object, 'list');
assert.equal(created.data.length, 6);
assert.equal(created.has_more, false);
assert.equal(created.first_id, created.data[0].id);
assert.equal(created.last_id, created.data[5].id);
const [photo, reasoning, call, callOutput, answer, refusal] = created.data;
assert.match(photo.id, /^msg_/);
assert.equal(photo.status, 'completed');
assert.equal(photo.role, 'user');
assert.equal(photo.content.length, 4);
assert.deepEqual(photo.content[2], { type: 'input_image', file_id: 'file-abc123', detail: 'low' });
assert.equal(reasoning.id, reasoningID);
assert.equal(reasoning.encrypted_content, 'gAAAA-opaque');
assert.match(call.id, /^fc_/);
assert.equal(call.status, 'completed');
assert.equal(call.arguments, '{"customer":"c-42"}');
assert.match(callOutput.id, /^fco_/);
assert.equal(callOutput.output, '{"invoice":"INV-7","amount":12.5}');
assert.equal(answer.content[0].text, 'Invoice INV-7 is attached.');
assert.equal(refusal.content[0].refusal, 'I cannot share card numbers.');
out.created = created.data.map((i) => i.id);

// conversations.items.retrieve, by a given id and by a client's own.
assert.deepEqual(await client.conversations.items.retrieve(call.id, { conversation_id: conv.id }), call);
assert.deepEqual(await client.conversations.items.retrieve(reasoningID, { conversation_id: conv.id, include: ['reasoning.encrypted_content'] }), reasoning);

// conversations.items.list: defaults (desc, 20) and auto-pagination.
const first = await client.conversations.items.list(conv.id);
assert.equal(first.data.length, 8);
assert.equal(first.data[0].id, refusal.id, 'newest first by default');
assert.equal(first.has_more, false);
const developer = first.data[7];
assert.equal(developer.role, 'developer');
assert.deepEqual(developer.content, [{ type: 'input_text', text: 'Answer briefly.' }]);
const asc = [];
for await (const item of client.conversations.items.list(conv.id, { order: 'asc', limit: 3 })) {
  asc.push(item.id);
}
assert.equal(asc.length, 8);
assert.deepEqual(asc.slice(2), out.created);
const desc = [];
for await (const item of client.conversations.items.list(conv.id, { limit: 2 })) {
  desc.push(item.id);
}
assert.deepEqual(desc, [...asc].reverse());
const page = await client.conversations.items.list(conv.id, { order: 'asc', limit: 2, after: asc[3] });
assert.deepEqual(page.data.map((i) => i.id), asc.slice(4, 6));
assert.equal(page.has_more, true);
out.pages = { asc: asc.length, desc: desc.length };

// conversations.items.delete answers the conversation.
const afterDelete = await client.conversations.items.delete(refusal.id, { conversation_id: conv.id });
assert.equal(afterDelete.object, 'conversation');
assert.equal(afterDelete.id, conv.id);
const left = await client.conversations.items.list(conv.id, { limit: 100 });
assert.equal(left.data.length, 7);
assert.ok(!left.data.some((i) => i.id === refusal.id));

// Typed errors.
async function fails(fn, cls) {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof cls, `${e.constructor.name} (${e.status} ${e.message}), want ${cls.name}`);
    assert.equal(typeof e.error?.message, 'string');
    return { status: e.status, type: e.type, code: e.code ?? null, param: e.param ?? null, message: e.message };
  }
  assert.fail(`no ${cls.name}`);
}
out.errors = {
  missing: await fails(() => client.conversations.retrieve('conv_01m84da9czf2dshz2bsxj5yvbx'), OpenAI.NotFoundError),
  malformed: await fails(() => client.conversations.retrieve('nope'), OpenAI.NotFoundError),
  foreign: await fails(() => other.conversations.retrieve(conv.id), OpenAI.NotFoundError),
  foreignDelete: await fails(() => other.conversations.delete(conv.id), OpenAI.NotFoundError),
  foreignItem: await fails(() => other.conversations.items.retrieve(call.id, { conversation_id: conv.id }), OpenAI.NotFoundError),
  missingItem: await fails(() => client.conversations.items.retrieve('msg_01m84da9czf2dshz2bsxj5yvbx', { conversation_id: conv.id }), OpenAI.NotFoundError),
  badKey: await fails(() => new OpenAI({ baseURL, apiKey: 'sk-not-a-key', maxRetries: 0 }).conversations.retrieve(conv.id), OpenAI.AuthenticationError),
  tooManyItems: await fails(() => client.conversations.items.create(conv.id, {
    items: Array.from({ length: 21 }, (_, i) => ({ type: 'message', role: 'user', content: `m${i}` })),
  }), OpenAI.BadRequestError),
  tooManyItemsCreate: await fails(() => client.conversations.create({
    items: Array.from({ length: 21 }, (_, i) => ({ role: 'user', content: `m${i}` })),
  }), OpenAI.BadRequestError),
  tooManyPairs: await fails(() => client.conversations.create({
    metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])),
  }), OpenAI.BadRequestError),
  badLimit: await fails(() => client.conversations.items.list(conv.id, { limit: 101 }), OpenAI.BadRequestError),
};

// conversations.delete removes the conversation with its items.
const deleted = await client.conversations.delete(conv.id);
assert.deepEqual(deleted, { id: conv.id, object: 'conversation.deleted', deleted: true });
out.errors.afterDelete = await fails(() => client.conversations.retrieve(conv.id), OpenAI.NotFoundError);
out.errors.itemsAfterDelete = await fails(() => client.conversations.items.list(conv.id), OpenAI.NotFoundError);

// A conversation created with no arguments, left for the Go test.
const bare = await client.conversations.create();
assert.deepEqual(bare.metadata, {});
out.bare = bare.id;

console.log(JSON.stringify(out));
