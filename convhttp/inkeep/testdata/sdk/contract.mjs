// The official Inkeep Analytics SDK against convstore, as an application
// uses it: base URL and key only. Prints its findings as JSON.
import assert from "node:assert/strict";
import { InkeepAnalytics } from "@inkeep/inkeep-analytics";
import { APIError, NotFound, UnprocessableEntity } from "@inkeep/inkeep-analytics/models/errors";

const serverURL = process.env.BASE_URL;
const keyA = process.env.API_KEY, keyB = process.env.API_KEY_B;
const client = (key) => new InkeepAnalytics({ serverURL, apiIntegrationKey: key, retryConfig: { strategy: "none" } });
const a = client(keyA), b = client(keyB);
const secA = { apiIntegrationKey: keyA }, secB = { apiIntegrationKey: keyB };
const out = {};

async function rejects(what, fn, type) {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof type, `${what}: ${err?.constructor?.name}: ${err?.message}`);
    return err;
  }
  assert.fail(`${what}: no error`);
}

// Log (create, then upsert with one more message) with client ids.
const body = {
  id: "sdk-conv", type: "openai", externalId: "ext-sdk", projectId: "proj",
  userProperties: { userId: "user-7", additionalProperties: { plan: "pro" } }, tags: ["t1"],
  messages: [
    { id: "client-q", role: "user", content: "How do I delete my data?" },
    { id: "client-a", role: "assistant", content: "Through the delete route." },
  ],
};
const created = await a.conversations.log(secA, body);
assert.equal(created.id, "sdk-conv");
assert.equal(created.messages.length, 2);
body.messages.push({ id: "client-q2", role: "user", content: "Thanks" });
const upserted = await a.conversations.log(secA, body);
assert.equal(upserted.messages.length, 3);
out.messageIds = upserted.messages.map((m) => m.id);

const got = await a.conversations.get(secA, { id: "sdk-conv" });
assert.equal(got.id, "sdk-conv");
assert.equal(got.externalId, "ext-sdk");
assert.deepEqual(got.messages.map((m) => m.content), ["How do I delete my data?", "Through the delete route.", "Thanks"]);

const byExt = await a.conversation.getConversationByExternalId({ externalId: "ext-sdk" });
assert.equal(byExt.id, "sdk-conv");

// A second conversation, logged without an id, and tenant B's.
const other = await a.conversations.log(secA, { type: "openai", messages: [{ role: "user", content: "hi" }] });
const foreign = await b.conversations.log(secB, { id: "b-conv", type: "openai", externalId: "ext-b", messages: [{ role: "user", content: "b" }] });

const list = await a.conversations.list({ limit: 1, offset: 0 });
assert.equal(list.total, 2);
assert.equal(list.count, 1);
assert.equal(list.conversations[0].id, other.id);
const page2 = await a.conversations.list({ limit: 5, offset: 1 });
assert.deepEqual(page2.conversations.map((c) => c.id), ["sdk-conv"]);

// Feedback by the server's message id and by the client's own one.
const fb1 = await a.feedback.submit({ type: "positive", messageId: out.messageIds[1], reasons: [{ label: "clear", details: "yes" }] });
assert.equal(fb1.type, "positive");
const fb2 = await a.feedback.submit({ type: "negative", messageId: "client-a", details: "too short" });
assert.equal(fb2.messageId, out.messageIds[1]);
const fbGot = await a.feedback.getFeedbackById({ id: fb1.id });
assert.equal(fbGot.message.id, out.messageIds[1]);
assert.equal(fbGot.conversation.id, "sdk-conv");
await a.feedback.submit({ type: "positive", messageId: other.messages[0].id });

const fbList = await a.feedback.list({ limit: 10, offset: 0 });
assert.equal(fbList.positiveFeedbackCount, 2);
assert.equal(fbList.negativeFeedbackCount, 1);
assert.equal(fbList.positiveFeedback.length, 2);
assert.deepEqual(fbList.negativeFeedback.map((f) => f.id), [fb2.id]);
assert.equal(fbList.negativeFeedback[0].conversation.id, "sdk-conv");
assert.equal(fbList.negativeFeedback[0].message.content, "Through the delete route.");
const fbPage = await a.feedback.list({ limit: 1, offset: 1 });
assert.equal(fbPage.positiveFeedback.length + fbPage.negativeFeedback.length, 1);
assert.equal(fbPage.positiveFeedbackCount, 2);

// Events about the conversation and about a message (by its client id).
const ev1 = await a.events.log(secA, { entityType: "conversation", type: "conversation_opened", conversationId: "sdk-conv", properties: { page: "/docs" } });
assert.equal(ev1.entityType, "conversation");
assert.equal(ev1.conversationId, "sdk-conv");
const ev2 = await a.events.log(secA, { entityType: "message", type: "message_copied", messageId: "client-a", userProperties: { userId: "user-7", additionalProperties: { plan: "pro" } } });
assert.equal(ev2.messageId, out.messageIds[1]);

// Typed errors: a missing id and another tenant's id answer alike.
for (const id of ["missing", "b-conv", foreign.id]) {
  await rejects(`get ${id}`, () => a.conversations.get(secA, { id }), NotFound);
  await rejects(`delete ${id}`, () => a.conversations.delete(secA, { id }), NotFound);
}
await rejects("external missing", () => a.conversation.getConversationByExternalId({ externalId: "nope" }), NotFound);
await rejects("external foreign", () => a.conversation.getConversationByExternalId({ externalId: "ext-b" }), NotFound);
await rejects("feedback missing", () => a.feedback.getFeedbackById({ id: "art_missing" }), NotFound);
await rejects("feedback foreign message", () => a.feedback.submit({ type: "positive", messageId: foreign.messages[0].id }), UnprocessableEntity);
await rejects("feedback unknown client message", () => a.feedback.submit({ type: "positive", messageId: "client-nope" }), UnprocessableEntity);
await rejects("event foreign conversation", () => a.events.log(secA, { entityType: "conversation", type: "x", conversationId: "b-conv" }), UnprocessableEntity);
await rejects("event search", () => a.events.log(secA, { entityType: "search", type: "search", searchQuery: "q" }), UnprocessableEntity);

// The analytics queries (Inkeep's own aggregations over its hosted data)
// are not served: a 404 with a detail saying so, raised at once as the
// SDK's APIError (a 5XX would be retried for an hour).
const unserved = {};
for (const [name, fn] of [
  ["query.conversations", () => a.query.conversations({ notes: "x" })],
  ["query.queryEvents", () => a.query.queryEvents({})],
  ["query.queryFeedback", () => a.query.queryFeedback({})],
  ["query.querySemanticThreads", () => a.query.querySemanticThreads({ query: "delete" })],
  ["query.exportSemanticThreadsQueryResults", () => a.query.exportSemanticThreadsQueryResults({})],
  ["query.queryPropertyKeys", () => a.query.queryPropertyKeys({ field: "properties" })],
  ["query.queryPropertyValues", () => a.query.queryPropertyValues({ field: "properties", key: "page" })],
  ["topSearchQueries", () => a.topSearchQueries({})],
  ["weeklySearchUsers", () => a.weeklySearchUsers({})],
]) {
  const err = await rejects(name, fn, APIError);
  assert.equal(err.statusCode, 404, name);
  const problem = JSON.parse(err.body);
  assert.equal(problem.code, "not_supported_by_convstore", name);
  assert.match(problem.detail, /does not run Inkeep's analytics queries/, name);
  unserved[name] = problem.code;
}
out.unserved = unserved;

// Delete: the conversation goes with its feedback and events.
const del = await a.conversations.delete(secA, { id: "sdk-conv" });
assert.deepEqual(del, { success: true, message: "Conversation deleted successfully" });
await rejects("get deleted", () => a.conversations.get(secA, { id: "sdk-conv" }), NotFound);
await rejects("feedback of deleted", () => a.feedback.getFeedbackById({ id: fb1.id }), NotFound);
const after = await a.feedback.list({});
assert.equal(after.positiveFeedbackCount, 1);
assert.equal(after.negativeFeedbackCount, 0);

Object.assign(out, { conversationId: "sdk-conv", other: other.id, foreign: foreign.id, feedback: [fb1.id, fb2.id], events: [ev1.id, ev2.id] });
console.log(JSON.stringify(out));
