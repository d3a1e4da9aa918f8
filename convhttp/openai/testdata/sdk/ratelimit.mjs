// The openai SDK against a rate-limited convstore: the second request of a
// key whose burst is one raises RateLimitError with OpenAI's type and
// code. Prints its findings as JSON.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.env.BASE_URL, apiKey: process.env.API_KEY, maxRetries: 0 });
const conv = await client.conversations.create({ metadata: { n: '1' } });
try {
  await client.conversations.retrieve(conv.id);
  assert.fail('no RateLimitError');
} catch (e) {
  assert.ok(e instanceof OpenAI.RateLimitError, `${e.constructor.name}: ${e.message}`);
  console.log(JSON.stringify({ status: e.status, type: e.type, code: e.code, retryAfter: e.headers.get('retry-after') }));
}
