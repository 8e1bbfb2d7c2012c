import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parsePrompt } from '../../src/parser/index';
import { createLlmRewriter, rewritePrompt } from '../../src/generator/index';
// The editor's rewriter module is free of vscode imports at run time, so its LLM wiring is tested here in plain Node.
import { llmRewrite } from '../../src/extension/language/rewriter';

interface Seen {
  path: string;
  body: { model: string; messages: Array<{ role: string; content: string }> };
}

/** A tiny OpenAI-compatible server on 127.0.0.1 that answers what `reply` says. */
async function fakeServer(reply: (seen: Seen) => { status?: number; body: string; delayMs?: number }): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const s: Seen = { path: req.url ?? '', body: JSON.parse(raw) as Seen['body'] };
      seen.push(s);
      const r = reply(s);
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(r.status ?? 200, { 'content-type': 'application/json' });
        res.end(r.body);
      };
      if (r.delayMs) setTimeout(send, r.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const answer = (content: string): string => JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] });
const PROMPT = 'a cat to the left of a dog';

test('a faithful answer is accepted; the request is a chat completion with the model and facts', async () => {
  const server = await fakeServer(() => ({ body: answer('"A small cat sits to the left of a dog. The dog is bigger than the cat."') }));
  try {
    const llm = createLlmRewriter({ url: server.url, model: 'tiny-test' });
    assert.equal(llm.endpoint, `${server.url}/v1/chat/completions`);
    const r = await llm.rewrite(PROMPT, parsePrompt(PROMPT));
    assert.deepEqual(r, { ok: true, text: 'A small cat sits to the left of a dog. The dog is bigger than the cat.' });
    assert.equal(server.seen[0]!.path, '/v1/chat/completions');
    assert.equal(server.seen[0]!.body.model, 'tiny-test');
    const user = server.seen[0]!.body.messages.find((m) => m.role === 'user')!.content;
    assert.match(user, /cat left_of dog/);
    assert.match(user, /Draft: /);
  } finally {
    await server.close();
  }
});

test('an answer that drops, flips or adds is rejected with the reason and the deterministic fallback', async () => {
  const cases: Array<[string, RegExp]> = [
    ['A cat and a dog sit together.', /dropped the relation .*left_of/],
    ['A cat is to the right of a dog.', /dropped the relation/],
    ['A cat is to the left of a dog. The cat is to the right of the dog.', /contradicts itself/],
    ['Two cats are to the left of a dog.', /changed the count of "cat"/],
    ['A cat is to the left of a dog. A bird is above the dog.', /added an object "bird"/],
    ['A dog is on the right side.', /lost the object "cat"/],
    ['', /empty/],
  ];
  let i = 0;
  const server = await fakeServer(() => ({ body: answer(cases[i++]![0]) }));
  try {
    const llm = createLlmRewriter({ url: server.url + '/', model: 'm' });
    const parsed = parsePrompt(PROMPT);
    for (const [, why] of cases) {
      const r = await llm.rewrite(PROMPT, parsed);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.match(r.reason, why);
        assert.equal(r.fallback, rewritePrompt(parsed).text);
      }
    }
  } finally {
    await server.close();
  }
});

test('an answer that paraphrases words away, alters quoted text or adds a grammar error is rejected too', async () => {
  const prompt = 'an oil painting of a cat wearing a hat to the left of a dog, a sign saying "hello"';
  const cases: Array<[string, RegExp]> = [
    // Whether "oil painting" is read as the medium or as an object, the answer loses it.
    ['A cat wearing a hat is to the left of a dog, and a sign says "hello".', /dropped the words "oil", "painting"|lost the object "oil painting"/],
    ['An oil painting of a cat to the left of a dog, a sign saying "hello". The dog is on the right side.', /dropped the words "wearing", "hat"|lost the object "hat"/],
    ['An oil painting of a cat wearing a hat to the left of a dog, a sign saying "Hello". The dog is bigger.', /dropped the words "\\"hello\\""|dropped the words ""hello""/],
    ['An oil painting of a cat wearing a hat to the left of a dog, a sign saying "hello". The dogs is on the right side.', /grammar error: "The dogs" is plural/],
  ];
  let i = 0;
  const server = await fakeServer(() => ({ body: answer(cases[i++]![0]) }));
  try {
    const llm = createLlmRewriter({ url: server.url, model: 'm' });
    const parsed = parsePrompt(prompt);
    for (const [text, why] of cases) {
      const r = await llm.rewrite(prompt, parsed);
      assert.equal(r.ok, false, text);
      if (!r.ok) assert.match(r.reason, why);
    }
    const user = server.seen[0]!.body.messages.find((m) => m.role === 'system')!.content;
    assert.match(user, /quoted text exactly as written/);
  } finally {
    await server.close();
  }
});

test('server errors, bad JSON, timeouts, cancellation and unreachable servers fall back with a reason', async () => {
  const parsed = parsePrompt(PROMPT);
  const errors = await fakeServer((s) =>
    s.body.model === 'http500'
      ? { status: 500, body: 'model not loaded' }
      : s.body.model === 'notjson'
        ? { body: '<html>hi</html>' }
        : s.body.model === 'shape'
          ? { body: JSON.stringify({ result: 'x' }) }
          : { body: answer('late'), delayMs: 2000 },
  );
  try {
    const r500 = await createLlmRewriter({ url: errors.url, model: 'http500' }).rewrite(PROMPT, parsed);
    assert.ok(!r500.ok && /HTTP 500: model not loaded/.test(r500.reason));
    const rJson = await createLlmRewriter({ url: errors.url, model: 'notjson' }).rewrite(PROMPT, parsed);
    assert.ok(!rJson.ok && /did not answer JSON/.test(rJson.reason));
    const rShape = await createLlmRewriter({ url: errors.url, model: 'shape' }).rewrite(PROMPT, parsed);
    assert.ok(!rShape.ok && /choices\[0\]\.message\.content/.test(rShape.reason));
    const rSlow = await createLlmRewriter({ url: errors.url, model: 'slow', timeoutMs: 150 }).rewrite(PROMPT, parsed);
    assert.ok(!rSlow.ok && /within 150 ms/.test(rSlow.reason), JSON.stringify(rSlow));
    const controller = new AbortController();
    const pending = createLlmRewriter({ url: errors.url, model: 'slow' }).rewrite(PROMPT, parsed, controller.signal);
    setTimeout(() => controller.abort(), 50);
    const rCancel = await pending;
    assert.ok(!rCancel.ok && rCancel.reason === 'cancelled');
  } finally {
    await errors.close();
  }
  // A port nobody listens on (the fake server is closed now).
  const gone = await createLlmRewriter({ url: errors.url, model: 'm', timeoutMs: 3000 }).rewrite(PROMPT, parsed);
  assert.ok(!gone.ok && /could not reach/.test(gone.reason), JSON.stringify(gone));
  assert.ok(!gone.ok && gone.fallback.length > 0);
});

test('bad settings are refused up front with a clear message', () => {
  assert.throws(() => createLlmRewriter({ url: 'localhost:8080', model: 'm' }), /http:\/\/ or https:\/\//);
  assert.throws(() => createLlmRewriter({ url: 'not a url', model: 'm' }), /is not a URL/);
  assert.throws(() => createLlmRewriter({ url: 'http://127.0.0.1:1', model: ' ' }), /model name is required/);
  assert.equal(createLlmRewriter({ url: 'http://127.0.0.1:11434/v1/chat/completions', model: 'm' }).endpoint, 'http://127.0.0.1:11434/v1/chat/completions');
});

test('the server root, its /v1 base and the full endpoint all reach /v1/chat/completions', () => {
  // The extension's default setting is the OpenAI-style base URL `http://127.0.0.1:8080/v1`.
  for (const url of ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/', 'http://127.0.0.1:8080/v1', 'http://127.0.0.1:8080/v1/']) {
    assert.equal(createLlmRewriter({ url, model: 'm' }).endpoint, 'http://127.0.0.1:8080/v1/chat/completions', url);
  }
  assert.equal(createLlmRewriter({ url: 'http://host:1/proxy/v1', model: 'm' }).endpoint, 'http://host:1/proxy/v1/chat/completions');
});

test('the editor LLM rewrite goes through the default /v1 setting and reports rejections', async () => {
  const parsed = parsePrompt(PROMPT);
  let content = 'A small cat sits to the left of a dog. The dog is bigger than the cat.';
  const server = await fakeServer(() => ({ body: answer(content) }));
  try {
    const ok = await llmRewrite(parsed, { url: `${server.url}/v1`, model: 'local' });
    assert.deepEqual(ok, { ok: true, text: content });
    assert.equal(server.seen[0]!.path, '/v1/chat/completions');
    content = 'A dog sits to the left of a cat.';
    const flipped = await llmRewrite(parsed, { url: `${server.url}/v1`, model: 'local' });
    assert.equal(flipped.ok, false);
    assert.match((flipped as { reason: string }).reason, /left/);
  } finally {
    await server.close();
  }
  const badSettings = await llmRewrite(parsed, { url: 'http://127.0.0.1:8080/v1', model: '' });
  assert.deepEqual(badSettings.ok, false);
  assert.match((badSettings as { reason: string }).reason, /model name is required/);
});
