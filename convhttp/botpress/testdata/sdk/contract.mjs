// The official Botpress client (@botpress/client) against convstore, as an
// application uses it: base URL, key and bot id only. Every conversation,
// message, user and participant method of the Runtime API. Prints its
// findings as JSON for the Go test to check against the store.
import assert from "node:assert/strict";
import { Client, ResourceNotFoundError, InvalidQueryError, InvalidPayloadError } from "@botpress/client";

const apiUrl = process.env.BASE_URL;
const bot = process.env.BOT_ID, otherBot = process.env.OTHER_BOT_ID;
const client = new Client({ apiUrl, token: process.env.API_KEY, botId: bot });
const otherBotClient = new Client({ apiUrl, token: process.env.API_KEY, botId: otherBot });
const otherTenant = new Client({ apiUrl, token: process.env.API_KEY_B, botId: bot });
const out = {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function rejects(what, fn, type) {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof type, `${what}: ${err?.constructor?.name}: ${err?.message}`);
    return err;
  }
  assert.fail(`${what}: no error`);
}

// Users.
const { user: ann } = await client.createUser({ tags: { email: "ann@example.com" }, name: "Ann", pictureUrl: "https://example.com/ann.png" });
assert.match(ann.id, /^user_[0-9a-z]{26}$/);
assert.equal(ann.name, "Ann");
assert.equal((await client.getUser({ id: ann.id })).user.pictureUrl, "https://example.com/ann.png");
const goc1 = await client.getOrCreateUser({ tags: { phone: "+100" }, name: "Bob", discriminateByTags: ["phone"] });
assert.equal(goc1.meta.created, true);
const goc2 = await client.getOrCreateUser({ tags: { phone: "+100", plan: "pro" }, discriminateByTags: ["phone"] });
assert.equal(goc2.meta.created, false);
assert.equal(goc2.user.id, goc1.user.id);
assert.deepEqual(goc2.user.tags, { phone: "+100", plan: "pro" });
assert.equal(goc2.user.name, "Bob");
const bob = goc2.user;
const { user: annUpdated } = await client.updateUser({ id: ann.id, name: "Ann B.", pictureUrl: null, tags: { email: null, tier: "gold" } });
assert.equal(annUpdated.name, "Ann B.");
assert.equal(annUpdated.pictureUrl, undefined);
assert.deepEqual(annUpdated.tags, { tier: "gold" });
const { users: gold } = await client.listUsers({ tags: { tier: "gold" } });
assert.deepEqual(gold.map((u) => u.id), [ann.id]);
const { users: all } = await client.listUsers({});
assert.deepEqual(all.map((u) => u.id).sort(), [ann.id, bob.id].sort());
const { user: carl } = await client.createUser({ tags: {}, name: "Carl" });
await client.deleteUser({ id: carl.id });
await rejects("getUser after deleteUser", () => client.getUser({ id: carl.id }), ResourceNotFoundError);
await rejects("getUser of another bot", () => otherBotClient.getUser({ id: ann.id }), ResourceNotFoundError);
await rejects("getUser of another tenant", () => otherTenant.getUser({ id: ann.id }), ResourceNotFoundError);
await rejects("deleteUser of another bot", () => otherBotClient.deleteUser({ id: ann.id }), ResourceNotFoundError);

// Conversations.
const { conversation: conv } = await client.createConversation({ channel: "web", tags: { topic: "billing" } });
assert.equal(conv.messageCount, 0);
assert.equal((await client.getConversation({ id: conv.id })).conversation.channel, "web");
const g1 = await client.getOrCreateConversation({ channel: "web", tags: { thread: "t-1" }, discriminateByTags: ["thread"] });
const g2 = await client.getOrCreateConversation({ channel: "web", tags: { thread: "t-1", extra: "x" }, discriminateByTags: ["thread"] });
assert.equal(g1.meta.created, true);
assert.equal(g2.meta.created, false);
assert.equal(g2.conversation.id, g1.conversation.id);
const { conversation: convUpdated } = await client.updateConversation({ id: conv.id, tags: { topic: "refunds" } });
assert.equal(convUpdated.tags.topic, "refunds");

// Participants.
const { participant } = await client.addParticipant({ id: conv.id, userId: ann.id });
assert.equal(participant.id, ann.id);
assert.equal(participant.name, "Ann B.");
await client.addParticipant({ id: conv.id, userId: bob.id });
await client.addParticipant({ id: conv.id, userId: ann.id }); // twice: still one
const { participants } = await client.listParticipants({ id: conv.id });
assert.deepEqual(participants.map((p) => p.id).sort(), [ann.id, bob.id].sort());
assert.equal((await client.getParticipant({ id: conv.id, userId: bob.id })).participant.name, "Bob");
await client.removeParticipant({ id: conv.id, userId: bob.id });
await rejects("getParticipant after removeParticipant", () => client.getParticipant({ id: conv.id, userId: bob.id }), ResourceNotFoundError);
await rejects("addParticipant of another bot's user", () => otherBotClient.addParticipant({ id: conv.id, userId: ann.id }), ResourceNotFoundError);
const { users: inConv } = await client.listUsers({ conversationId: conv.id });
assert.deepEqual(inConv.map((u) => u.id), [ann.id]);

// Messages.
const send = (text, tags) => client.createMessage({ conversationId: conv.id, userId: ann.id, type: "text", payload: { text }, tags });
const { message: m1 } = await send("first", { kind: "question" });
await sleep(5);
const { message: m2 } = await send("second", { kind: "answer" });
await sleep(5);
const { message: m3 } = await send("third", { kind: "question" });
assert.equal(m1.direction, "incoming");
assert.equal((await client.getMessage({ id: m2.id })).message.payload.text, "second");
const byTag = await client.listMessages({ conversationId: conv.id, tags: { kind: "question" } });
assert.deepEqual(byTag.messages.map((m) => m.id), [m3.id, m1.id]);
const after = await client.listMessages({ conversationId: conv.id, afterDate: m1.createdAt });
assert.deepEqual(after.messages.map((m) => m.id), [m3.id, m2.id]);
const before = await client.listMessages({ conversationId: conv.id, beforeDate: m3.createdAt });
assert.deepEqual(before.messages.map((m) => m.id), [m2.id, m1.id]);
const both = await client.listMessages({ conversationId: conv.id, afterDate: m1.createdAt, tags: { kind: "question" } });
assert.deepEqual(both.messages.map((m) => m.id), [m3.id]);
const paged = await client.listMessages({ conversationId: conv.id, tags: { kind: "question" }, pageSize: 1 });
assert.deepEqual(paged.messages.map((m) => m.id), [m3.id]);
assert.ok(paged.meta.nextToken);
const page2 = await client.listMessages({ conversationId: conv.id, tags: { kind: "question" }, pageSize: 1, nextToken: paged.meta.nextToken });
assert.deepEqual(page2.messages.map((m) => m.id), [m1.id]);
await rejects("listMessages with a bad afterDate", () => client.listMessages({ conversationId: conv.id, afterDate: "yesterday" }), InvalidQueryError);

const { message: m2u } = await client.updateMessage({ id: m2.id, payload: { text: "second, edited" }, tags: { kind: null, edited: "yes" } });
assert.equal(m2u.payload.text, "second, edited");
assert.deepEqual(m2u.tags, { edited: "yes" });
assert.equal(m2u.type, "text");
assert.equal(m2u.createdAt, m2.createdAt);
assert.ok(m2u.updatedAt >= m2.updatedAt);
assert.equal((await client.getMessage({ id: m2.id })).message.payload.text, "second, edited");
await rejects("updateMessage of another bot", () => otherBotClient.updateMessage({ id: m2.id, tags: { x: "y" } }), ResourceNotFoundError);

const gm = { conversationId: conv.id, userId: bot, type: "text", payload: { text: "welcome" }, tags: { step: "welcome" }, discriminateByTags: ["step"] };
const gm1 = await client.getOrCreateMessage(gm);
const gm2 = await client.getOrCreateMessage({ ...gm, payload: { text: "welcome again" } });
assert.equal(gm1.meta.created, true);
assert.equal(gm2.meta.created, false);
assert.equal(gm2.message.id, gm1.message.id);
assert.equal(gm2.message.payload.text, "welcome");
assert.equal(gm1.message.direction, "outgoing");

await client.deleteMessage({ id: m3.id });
await rejects("getMessage after deleteMessage", () => client.getMessage({ id: m3.id }), ResourceNotFoundError);
await rejects("getMessage of another tenant", () => otherTenant.getMessage({ id: m1.id }), ResourceNotFoundError);
await rejects("createMessage without payload", () => client.createMessage({ conversationId: conv.id, userId: ann.id, type: "text", tags: {} }), InvalidPayloadError);

// Listing conversations.
const { conversations: withAnn } = await client.listConversations({ participantIds: [ann.id] });
assert.deepEqual(withAnn.map((c) => c.id), [conv.id]);
const { conversations: withBoth } = await client.listConversations({ participantIds: [ann.id, bob.id] });
assert.deepEqual(withBoth, []);
const { conversations: byTopic } = await client.listConversations({ tags: { topic: "refunds" } });
assert.deepEqual(byTopic.map((c) => c.id), [conv.id]);
const { conversations: busy } = await client.listConversations({ minMessageCount: 2 });
assert.deepEqual(busy.map((c) => c.id), [conv.id]);
const { conversations: quiet } = await client.listConversations({ maxMessageCount: 0 });
assert.deepEqual(quiet.map((c) => c.id), [g1.conversation.id]);
// conv was written last (its messages): first by updatedAt, newest first.
await client.updateConversation({ id: g1.conversation.id, tags: { touched: "yes" } });
const { conversations: byUpdate } = await client.listConversations({ sortField: "updatedAt", sortDirection: "desc" });
assert.deepEqual(byUpdate.map((c) => c.id), [g1.conversation.id, conv.id]);
const { conversations: byUpdateAsc } = await client.listConversations({ sortField: "updatedAt", sortDirection: "asc", pageSize: 1 });
assert.deepEqual(byUpdateAsc.map((c) => c.id), [conv.id]);
await rejects("getConversation of another bot", () => otherBotClient.getConversation({ id: conv.id }), ResourceNotFoundError);

// An integration's incoming message: user, conversation and message by
// get-or-create, the user made a participant. Twice: nothing new.
const incoming = {
  user: { tags: { phone: "+200" }, name: "Dee", discriminateByTags: ["phone"] },
  conversation: { channel: "sms", tags: { thread: "sms-1" }, discriminateByTags: ["thread"] },
  message: { type: "text", payload: { text: "hello from sms" }, tags: { smsId: "s-1" }, discriminateByTags: ["smsId"] },
};
const in1 = await client.initializeIncomingMessage(incoming);
const in2 = await client.initializeIncomingMessage(incoming);
assert.equal(in1.message.userId, in1.user.id);
assert.equal(in1.message.direction, "incoming");
assert.equal(in1.conversation.messageCount, 1);
assert.deepEqual([in2.user.id, in2.conversation.id, in2.message.id], [in1.user.id, in1.conversation.id, in1.message.id]);
assert.equal(in2.conversation.messageCount, 1);
assert.equal((await client.getParticipant({ id: in1.conversation.id, userId: in1.user.id })).participant.name, "Dee");
const in3 = await client.initializeIncomingMessage({ userId: in1.user.id, conversationId: in1.conversation.id });
assert.equal(in3.message, undefined);
// Importing history: createdAt kept, each a get-or-create (a retry adds
// nothing), dated filters on the imported times.
const history = [
  { conversationId: in1.conversation.id, userId: in1.user.id, type: "text", payload: { text: "old 1" }, tags: { smsId: "h-1" }, createdAt: "2024-01-01T10:00:00.000Z", discriminateByTags: ["smsId"] },
  { conversationId: in1.conversation.id, userId: bot, type: "text", payload: { text: "old 2" }, tags: { smsId: "h-2" }, createdAt: "2024-01-01T10:01:00.000Z", discriminateByTags: ["smsId"] },
];
const imp1 = await client.importMessages({ messages: history });
const imp2 = await client.importMessages({ messages: history });
assert.deepEqual(imp1.messages.map((m) => m.createdAt), ["2024-01-01T10:00:00.000Z", "2024-01-01T10:01:00.000Z"]);
assert.deepEqual(imp2.messages.map((m) => m.id), imp1.messages.map((m) => m.id));
assert.equal(imp1.messages[1].direction, "outgoing");
const old = await client.listMessages({ conversationId: in1.conversation.id, beforeDate: "2024-01-01T10:00:30.000Z" });
assert.deepEqual(old.messages.map((m) => m.id), [imp1.messages[0].id]);
await rejects("importMessages without createdAt", () => client.importMessages({ messages: [{ ...history[0], createdAt: undefined }] }), InvalidPayloadError);
await client.deleteConversation({ id: in1.conversation.id });
await client.deleteUser({ id: in1.user.id });

// What the Go test checks in the store, then erases (Ann) or finds gone.
out.ann = ann.id;
out.bob = bob.id;
out.carl = carl.id;
out.conversation = conv.id;
out.messages = [m1.id, m2.id, gm1.message.id];
out.deletedMessage = m3.id;

// Deleting through Botpress: the get-or-create conversation and Bob.
await client.deleteConversation({ id: g1.conversation.id });
await rejects("getConversation after deleteConversation", () => client.getConversation({ id: g1.conversation.id }), ResourceNotFoundError);
await client.deleteUser({ id: bob.id });
// A deleted user's get-or-create tags name a new user.
const again = await client.getOrCreateUser({ tags: { phone: "+100" }, discriminateByTags: ["phone"] });
assert.equal(again.meta.created, true);
assert.notEqual(again.user.id, bob.id);
out.bobAgain = again.user.id;
out.deletedConversation = g1.conversation.id;
console.log(JSON.stringify(out));
