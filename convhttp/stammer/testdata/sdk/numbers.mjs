// A JavaScript client of the Stammer door: plain fetch and res.json(), as
// Stammer's own samples use it (Stammer publishes no SDK). It sends messages
// for three user keys, lists the conversations, takes each
// conversation_number from res.json() (an IEEE-754 double) and filters the
// list by it: each filter must find exactly the right conversation.
import assert from "node:assert/strict";

const base = process.env.BASE_URL;
const headers = { Authorization: `Token ${process.env.API_KEY}`, Accept: "application/json" };
const bot = "0f8fad5b-d9cb-469f-a165-70867728950e";

async function call(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const sent = {};
for (const user of ["alice", "bob", "carol"]) {
  const r = await call("POST", "/en/chatbot/api/v1/message/", { chatbot_uuid: bot, query: `hello from ${user}`, user_key: user });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  sent[user] = r.body.conversation_uuid;
}

const list = await call("GET", "/en/chatbot/api/v1/conversations/?onlyDeletedConversations=false");
assert.equal(list.status, 200, JSON.stringify(list.body));
assert.equal(list.body.results.length, 3);

const found = [];
for (const c of list.body.results) {
  const n = c.conversation_number;
  assert.equal(typeof n, "number");
  assert.ok(Number.isSafeInteger(n), `conversation_number ${n} is not exact in a JavaScript number`);
  // The number as a JavaScript client sends it back: String(n).
  const one = await call("GET", `/en/chatbot/api/v1/conversations/?onlyDeletedConversations=false&conversation_number=${n}`);
  assert.equal(one.status, 200, JSON.stringify(one.body));
  assert.equal(one.body.count, 1, `filter by ${n} found ${one.body.count}`);
  assert.equal(one.body.results[0].uuid, c.uuid);
  assert.equal(one.body.results[0].conversation_number, n);
  found.push({ uuid: c.uuid, user_key: c.user_key, number: String(n) });
}
assert.deepEqual(Object.fromEntries(found.map((f) => [f.user_key, f.uuid])), sent);

// Delete one by its uuid and filter by its number in the deleted list: none
// without a restore window (the delete is final), and the live list no
// longer has it.
const gone = found[0];
const del = await call("POST", `/en/chatbot/api/v1/conversation/${gone.uuid}/deactivate/`);
assert.equal(del.status, 200, JSON.stringify(del.body));
const after = await call("GET", `/en/chatbot/api/v1/conversations/?onlyDeletedConversations=false&conversation_number=${gone.number}`);
assert.equal(after.status, 200);
assert.equal(after.body.count, 0);

console.log(JSON.stringify({ conversations: found, deleted: gone.uuid }));
