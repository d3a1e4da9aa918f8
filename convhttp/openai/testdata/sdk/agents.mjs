// The OpenAI Agents SDK's OpenAIConversationsSession, given an openai
// client whose base URL is convstore's OpenAI door: addItems, getItems,
// popItem and clearSession. Prints its findings as JSON.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { OpenAIConversationsSession } from '@openai/agents-openai';

const client = new OpenAI({ baseURL: process.env.BASE_URL, apiKey: process.env.API_KEY, maxRetries: 0 });
const session = new OpenAIConversationsSession({ client });
const out = {};

await session.addItems([
  { type: 'message', role: 'user', content: 'What is the weather in Paris?' },
  { type: 'function_call', callId: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
  { type: 'function_call_result', callId: 'call_w1', name: 'get_weather', status: 'completed', output: { type: 'text', text: 'Sunny, 21 C' } },
  { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'It is sunny in Paris.' }] },
]);
out.sessionId = await session.getSessionId();
assert.match(out.sessionId, /^conv_/);

const items = await session.getItems();
out.kinds = items.map((i) => i.type + (i.role ? ':' + i.role : ''));
assert.equal(items.length, 4);
assert.equal(items[0].role, 'user');
assert.equal(items[1].type, 'function_call');
assert.equal(items[1].name, 'get_weather');
assert.equal(items[1].callId, 'call_w1');
assert.equal(items[2].type, 'function_call_result');
assert.equal(items[3].role, 'assistant');

const last2 = await session.getItems(2);
assert.deepEqual(last2.map((i) => i.type), ['function_call_result', 'message']);

const popped = await session.popItem();
assert.equal(popped.role, 'assistant');
out.afterPop = (await session.getItems()).length;
assert.equal(out.afterPop, 3);

await session.clearSession();
out.cleared = session.sessionId === undefined;
console.log(JSON.stringify(out));
