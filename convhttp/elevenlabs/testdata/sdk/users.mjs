// conversationalAi.users.list of the official ElevenLabs SDK
// (@elevenlabs/elevenlabs-js, pinned in package.json) against the door, by
// base URL alone: every user of the tenant's conversations once, with its
// counts and contacts, parsed by the SDK's own response schema; paged by
// the cursor in both sorts; filtered by agent, user (search) and start
// time; a bad parameter or an unsupported one raising the SDK's
// UnprocessableEntityError, a bad key its 401. The Go test seeds the
// conversations (tenant B's users must never show).
import assert from "node:assert/strict";
import { ElevenLabsClient, ElevenLabsError, ElevenLabs } from "@elevenlabs/elevenlabs-js";
import { expectError } from "./expect.mjs";

const env = process.env;
const client = new ElevenLabsClient({ baseUrl: env.BASE_URL, apiKey: env.API_KEY, maxRetries: 0 });
const users = client.conversationalAi.users;
const out = {};

const brief = (u) => `${u.userId}:${u.conversationCount}`;

// Everything, newest last contact first.
const all = await users.list();
assert.equal(all.hasMore, false);
assert.equal(all.nextCursor, undefined);
out.all = all.users.map(brief);
const ann = all.users.find((u) => u.userId === "ann");
out.ann = {
  first: ann.firstContactUnixSecs, last: ann.lastContactUnixSecs, conversation: ann.lastContactConversationId,
  agent: ann.lastContactAgentId, agentName: ann.lastContactAgentName,
  scored: ann.sentiment.scoredConversationCount, average: ann.sentiment.averageSentimentScore ?? null,
};

// Page by page in both sorts and directions.
out.pages = {};
for (const [sortBy, sortDirection] of [["last_contact_unix_secs", "desc"], ["conversation_count", "asc"], ["conversation_count", "desc"]]) {
  const seen = [];
  let cursor;
  let pages = 0;
  do {
    const page = await users.list({ pageSize: 1, sortBy, sortDirection, cursor });
    assert.ok(page.users.length <= 1);
    seen.push(...page.users.map(brief));
    cursor = page.nextCursor;
    assert.equal(page.hasMore, cursor !== undefined);
    assert.ok(++pages < 10, "too many pages");
  } while (cursor);
  out.pages[`${sortBy} ${sortDirection}`] = seen;
}

// Filters.
out.byAgent = (await users.list({ agentId: "agent_support" })).users.map(brief);
out.search = (await users.list({ search: "bob" })).users.map(brief);
out.searchForeign = (await users.list({ search: "carl" })).users.map(brief);
out.after = (await users.list({ callStartAfterUnix: Number(env.AFTER) })).users.map(brief);

// Errors: 422 in FastAPI's format, 401 for a bad key.
out.errors = {};
for (const [name, req] of [
  ["pageSize", { pageSize: 0 }],
  ["branch", { branchId: "b1" }],
  ["sentiment", { sortBy: "average_sentiment_score" }],
  ["cursor", { cursor: "nonsense" }],
]) {
  const body = await expectError(() => users.list(req), 422, ElevenLabs.UnprocessableEntityError);
  out.errors[name] = body.detail[0].loc[1];
}
const badKey = new ElevenLabsClient({ baseUrl: env.BASE_URL, apiKey: "not-a-key", maxRetries: 0 });
out.errors.badKey = (await expectError(() => badKey.conversationalAi.users.list(), 401)).detail.status;

console.log(JSON.stringify(out));
