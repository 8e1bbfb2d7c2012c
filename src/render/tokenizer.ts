/**
 * CLIP byte-level BPE tokenizer, as transformers' slow `CLIPTokenizer` behaves with ftfy installed
 * (the reference setup for Stable Diffusion): the special tokens (<|startoftext|>,
 * <|endoftext|> and the pad token, "!" for SD 2.x) are split out of the raw text first and map to
 * their ids directly; every other piece is repaired as ftfy.fix_text does (see textFix.ts),
 * whitespace-collapsed and lower-cased, cut by CLIP's pre-tokenizer regex, mapped through GPT-2's
 * byte-to-unicode table and merged by BPE with the `</w>` end-of-word marker. Then BOS/EOS,
 * truncation keeping EOS, padding.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelDirError } from './errors';
import { fixText } from './textFix';

/** Token ids of one prompt, always `maxLength` long. */
export type TokenIds = Int32Array;

/** What the tokenizer needs; `loadClipTokenizer` reads it from a `tokenizer/` folder. */
export interface ClipTokenizerFiles {
  /** token string -> id (vocab.json). */
  readonly vocab: Record<string, number>;
  /** merges.txt contents (first line `#version...` is skipped as transformers does). */
  readonly merges: string;
  /** Padding token string; SD 2.x pads with "!" (id 0), SD 1.x with <|endoftext|>. */
  readonly padToken?: string;
  /** Sequence length; 77 for every Stable Diffusion text encoder. */
  readonly maxLength?: number;
}

const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';
// transformers keeps only the first 49152 - 256 - 2 merges of the file; a longer file must not
// change the ids.
const MAX_MERGES = 49152 - 256 - 2;
// CLIP's pattern (re.IGNORECASE in Python; the text is lower-cased already).
const PRE_TOKENIZER = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

export class ClipTokenizer {
  readonly #encoder: Map<string, number>;
  readonly #ranks: Map<string, number>;
  readonly #cache = new Map<string, string[]>();
  readonly #byteEncoder: string[];
  readonly #bosId: number;
  readonly #eosId: number;
  readonly #unkId: number;
  /** Splits raw text around the special tokens (kept by the capture group). */
  readonly #special: RegExp;
  readonly #specialSet: Set<string>;
  /** Id used for padding after EOS. */
  readonly padId: number;
  /** Fixed output length (77 for Stable Diffusion). */
  readonly maxLength: number;

  constructor(files: ClipTokenizerFiles) {
    this.#encoder = new Map(Object.entries(files.vocab));
    const lines = files.merges.trim().split('\n').slice(1, MAX_MERGES + 1);
    this.#ranks = new Map();
    lines.forEach((line, i) => {
      const parts = line.split(' ');
      if (parts.length === 2) this.#ranks.set(`${parts[0]} ${parts[1]}`, i);
    });
    this.#byteEncoder = bytesToUnicode();
    const need = (tok: string): number => {
      const id = this.#encoder.get(tok);
      if (id === undefined) throw new Error(`tokenizer vocabulary has no ${tok} token`);
      return id;
    };
    this.#bosId = need(BOS);
    this.#eosId = need(EOS);
    this.#unkId = this.#eosId;
    const pad = files.padToken ?? EOS;
    this.padId = need(pad);
    this.maxLength = files.maxLength ?? 77;
    // transformers registers BOS, EOS and the pad token as added tokens and splits them out of
    // the raw text before anything else; with SD 2.x's pad "!" every "!" becomes id 0.
    this.#specialSet = new Set([BOS, EOS, pad]);
    const alternatives = [...this.#specialSet].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.#special = new RegExp(`(${alternatives.join('|')})`);
    if (this.maxLength < 2) throw new RangeError(`tokenizer max length must be >= 2, got ${this.maxLength}`);
  }

  /** BPE tokens of `text` without BOS/EOS (for inspection and tests). */
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const piece of text.split(this.#special)) {
      if (piece === '') continue;
      if (this.#specialSet.has(piece)) {
        out.push(piece);
        continue;
      }
      for (const m of clipClean(piece).matchAll(PRE_TOKENIZER)) {
        let mapped = '';
        for (const b of Buffer.from(m[0], 'utf8')) mapped += this.#byteEncoder[b];
        out.push(...this.#bpe(mapped));
      }
    }
    return out;
  }

  /** Ids of the tokens of `text` without BOS/EOS and without truncation. */
  encodeRaw(text: string): number[] {
    return this.tokenize(text).map((t) => this.#encoder.get(t) ?? this.#unkId);
  }

  /** `[BOS, ...tokens, EOS, pad...]`, truncated so that EOS is always kept, `maxLength` long. */
  encode(text: string): TokenIds {
    const raw = this.encodeRaw(text);
    const ids = new Int32Array(this.maxLength).fill(this.padId);
    ids[0] = this.#bosId;
    const n = Math.min(raw.length, this.maxLength - 2);
    for (let i = 0; i < n; i++) ids[i + 1] = raw[i]!;
    ids[n + 1] = this.#eosId;
    return ids;
  }

  #bpe(token: string): string[] {
    const cached = this.#cache.get(token);
    if (cached) return cached;
    const chars = Array.from(token);
    let word = chars.slice(0, -1);
    word.push(chars[chars.length - 1] + '</w>');
    if (chars.length === 1) {
      this.#cache.set(token, word);
      return word;
    }
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.#ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      // Merge every occurrence of the best pair, left to right, as the reference does.
      const first = word[best]!;
      const second = word[best + 1]!;
      const merged: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(word[i]!);
          i += 1;
        }
      }
      word = merged;
      if (word.length === 1) break;
    }
    if (this.#cache.size < 10000) this.#cache.set(token, word);
    return word;
  }
}

/** GPT-2's reversible byte -> printable unicode character table. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let i = 0x21; i <= 0x7e; i++) bs.push(i);
  for (let i = 0xa1; i <= 0xac; i++) bs.push(i);
  for (let i = 0xae; i <= 0xff; i++) bs.push(i);
  const table: string[] = new Array<string>(256);
  for (const b of bs) table[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCodePoint(256 + n++);
  }
  return table;
}

/**
 * CLIPTokenizer's text preparation with ftfy: `whitespace_clean(ftfy.fix_text(text)).lower()`.
 */
export function clipClean(text: string): string {
  return fixText(text).replace(/\s+/gu, ' ').trim().toLowerCase();
}

interface TokenizerConfigJson {
  pad_token?: string | { content?: string };
  model_max_length?: number;
}

function tokenString(v: string | { content?: string } | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : v.content;
}

/**
 * Loads vocab.json + merges.txt and the padding token / max length from tokenizer_config.json
 * (or special_tokens_map.json) of an optimum/diffusers `tokenizer/` folder.
 */
export async function loadClipTokenizer(dir: string): Promise<ClipTokenizer> {
  const vocabFile = path.join(dir, 'vocab.json');
  const mergesFile = path.join(dir, 'merges.txt');
  let vocab: Record<string, number>;
  try {
    vocab = JSON.parse(await fs.readFile(vocabFile, 'utf8')) as Record<string, number>;
  } catch (err) {
    throw new ModelDirError(vocabFile, 'a JSON object of token -> id', describeReadError(err));
  }
  let merges: string;
  try {
    merges = await fs.readFile(mergesFile, 'utf8');
  } catch (err) {
    throw new ModelDirError(mergesFile, 'the BPE merges text file', describeReadError(err));
  }
  let padToken: string | undefined;
  let maxLength: number | undefined;
  for (const name of ['tokenizer_config.json', 'special_tokens_map.json']) {
    const file = path.join(dir, name);
    let cfg: TokenizerConfigJson;
    try {
      cfg = JSON.parse(await fs.readFile(file, 'utf8')) as TokenizerConfigJson;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new ModelDirError(file, 'valid JSON', describeReadError(err));
    }
    padToken ??= tokenString(cfg.pad_token);
    // Some configs store a huge sentinel ("no limit"); only a sane value is a real limit.
    if (maxLength === undefined && typeof cfg.model_max_length === 'number' && cfg.model_max_length <= 4096) {
      maxLength = cfg.model_max_length;
    }
  }
  try {
    return new ClipTokenizer({ vocab, merges, padToken, maxLength });
  } catch (err) {
    throw new ModelDirError(vocabFile, 'a CLIP vocabulary with <|startoftext|>, <|endoftext|> and the pad token', (err as Error).message);
  }
}

function describeReadError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e instanceof SyntaxError) return `invalid JSON (${e.message})`;
  return e.message;
}
