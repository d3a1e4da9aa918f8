// A JavaScript client (fetch and res.json()) of a store written by an
// earlier version, whose conversations keep 63-bit conversation_numbers:
// res.json() rounds them to doubles, and the client filters the list by
// each number as it read it. It prints, per conversation uuid, how many
// conversations the filter listed; the conversation itself must be one.
import assert from "node:assert/strict";

const base = process.env.BASE_URL;
const headers = { Authorization: `Token ${process.env.API_KEY}`, Accept: "application/json" };

async function list(query) {
  const res = await fetch(`${base}/en/chatbot/api/v1/conversations/?onlyDeletedConversations=false${query}`, { headers });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

const all = await list("");
const out = {};
for (const c of all.results.toSorted((a, b) => (a.uuid < b.uuid ? -1 : 1))) {
  const n = c.conversation_number;
  assert.equal(typeof n, "number");
  assert.ok(!Number.isSafeInteger(n), `${n} is exact: not a legacy number`);
  const one = await list(`&conversation_number=${n}`);
  assert.equal(one.count, one.results.length);
  assert.ok(one.results.some((r) => r.uuid === c.uuid), `filter by ${n} did not list ${c.uuid}`);
  for (const r of one.results) assert.equal(r.conversation_number, n);
  out[c.uuid] = one.count;
}
console.log(JSON.stringify(Object.fromEntries(Object.entries(out).toSorted())));
