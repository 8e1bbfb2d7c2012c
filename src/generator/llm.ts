/**
 * Optional, off by default: asks a local OpenAI-compatible server (llama.cpp's `llama-server`,
 * Ollama, LM Studio...) for a more fluent SPRIGHT-style rewrite. Small local models drop or flip
 * relations and paraphrase words away, so every answer goes through the same checks as the
 * deterministic rewrite and is rejected, with the reason, unless it keeps every object, count,
 * relation and placement without contradiction, keeps every content word and quotation of the
 * prompt, and adds no grammar error; the deterministic rewrite is the fallback.
 */
import { findConflicts, nounsOf, relationLabel, type ParsedPrompt } from '../parser/index';
import { rewritePrompt } from './rewrite';
import { checkRewrite } from './roundTrip';

/** Options of `createLlmRewriter`. */
export interface LlmRewriterOptions {
  /** Server base URL (`http://127.0.0.1:8080`) or the full `/v1/chat/completions` endpoint. */
  url: string;
  /** Model name the server knows (Ollama: `llama3.2`; llama.cpp accepts any name). */
  model: string;
  /** Give up after this long (default 20,000 ms). */
  timeoutMs?: number;
  /** Injected for tests and hosts; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Sampling temperature (default 0.2: fluent but close to the facts). */
  temperature?: number;
}

/** What the LLM rewriter returns: its text, or why it was rejected plus the deterministic rewrite. */
export type LlmRewriteResult = { ok: true; text: string } | { ok: false; reason: string; fallback: string };

/** A rewriter backed by a local chat-completions server. */
export interface LlmRewriter {
  /** The endpoint requests go to. */
  readonly endpoint: string;
  rewrite(prompt: string, parsed: ParsedPrompt, signal?: AbortSignal): Promise<LlmRewriteResult>;
}

const SYSTEM_PROMPT = [
  'You rewrite text-to-image prompts as SPRIGHT-style spatial descriptions.',
  'Keep every word of the prompt that carries meaning: the medium and style, what each object does, wears or holds, every attribute, and quoted text exactly as written.',
  'Keep the order in which the prompt introduces things.',
  'Only add: where each object is (left/right, above/below, in front of/behind, near/far/next to, inside), counts, and the relative sizes of the objects.',
  'Never add objects, never change counts, never drop or reverse a relation. Write plain, grammatical sentences.',
  'Answer with the description only.',
].join(' ');

/** Creates a rewriter for the server at `options.url`. Throws on a URL that is not http(s). */
export function createLlmRewriter(options: LlmRewriterOptions): LlmRewriter {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new TypeError(`LLM rewriter: "${options.url}" is not a URL; use e.g. http://127.0.0.1:8080 (llama.cpp) or http://127.0.0.1:11434 (Ollama)`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`LLM rewriter: "${options.url}" must be an http:// or https:// URL`);
  }
  if (!options.model.trim()) throw new TypeError('LLM rewriter: a model name is required (e.g. "llama3.2")');
  // Accept the server root, its OpenAI base (`…/v1`, as most clients are configured) or the endpoint.
  const basePath = base.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  const endpoint = /\/v1\/chat\/completions\/?$/.test(base.pathname) ? base.href : new URL(`${basePath}/v1/chat/completions`, base).href;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const doFetch = options.fetch ?? globalThis.fetch;

  async function rewrite(prompt: string, parsed: ParsedPrompt, signal?: AbortSignal): Promise<LlmRewriteResult> {
    let fallbackText: string | undefined;
    const fallback = (): string => (fallbackText ??= rewritePrompt(parsed).text);
    const reject = (reason: string): LlmRewriteResult => ({ ok: false, reason, fallback: fallback() });
    const clashing = new Set(findConflicts(parsed.relations).flat());
    const facts = parsed.relations.map((_, i) => i).filter((i) => !clashing.has(i)).map((i) => `- ${relationLabel(parsed.relations[i]!, 'note', nounsOf(parsed))}`);
    const user = [
      `Prompt: ${prompt}`,
      facts.length ? `Relations to keep:\n${facts.join('\n')}` : 'The prompt states no relations; place each object explicitly (left side, center, top...).',
      `Draft: ${fallback()}`,
    ].join('\n');

    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let body: unknown;
    try {
      const response = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: options.model,
          temperature: options.temperature ?? 0.2,
          max_tokens: 400,
          stream: false,
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: user },
          ],
        }),
        signal: combined,
      });
      const raw = await response.text();
      if (!response.ok) return reject(`the server at ${endpoint} answered HTTP ${response.status}: ${raw.slice(0, 200).trim()}`);
      try {
        body = JSON.parse(raw);
      } catch {
        return reject(`the server at ${endpoint} did not answer JSON (got "${raw.slice(0, 80).trim()}")`);
      }
    } catch (err) {
      if (signal?.aborted) return reject('cancelled');
      if (timeout.aborted) return reject(`no answer from ${endpoint} within ${timeoutMs} ms`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return reject(`could not reach ${endpoint}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const content = (body as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message?.content;
    if (typeof content !== 'string') return reject('the answer has no choices[0].message.content text (is this an OpenAI-compatible server?)');
    const text = cleanAnswer(content);
    if (!text) return reject('the model answered with an empty text');
    const check = checkRewrite(parsed, text, { ignore: clashing });
    if (!check.ok) return reject(`the model's rewrite ${check.reason}`);
    return { ok: true, text };
  }

  return { endpoint, rewrite };
}

/** Strips what chat models wrap answers in: reasoning blocks, quotes, a "Description:" label. */
function cleanAnswer(content: string): string {
  return content
    .replace(/<think>[\s\S]*?<\/think>/g, '')
    .trim()
    .replace(/^(here is|here's)[^:\n]*:\s*/i, '')
    .replace(/^(description|rewrite|rewritten prompt)\s*:\s*/i, '')
    .replace(/^["'“]+|["'”]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
