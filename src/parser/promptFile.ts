/** Reading prompt files: .prompt/.prompts/.txt (one prompt a line) and .jsonl (`prompt`/`text`). */
import * as fs from 'node:fs';
import { splitPromptLines } from './lines';

/** One prompt read from a file. */
export interface PromptRecord {
  /** The file name as given (or "<stdin>"). */
  source: string;
  /** 1-based line number, for people. */
  line: number;
  text: string;
}

/** A prompt file that cannot be read; the message names the file, the line and what to do. */
export class PromptFileError extends Error {
  override readonly name = 'PromptFileError';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | null = null,
  ) {
    super(message);
  }
}

/** Byte offset of the first invalid UTF-8 sequence, or -1 (linear; mirrors WHATWG's decoder). */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      if (x === undefined || x < (k === 1 ? lo : 0x80) || x > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

function lineOfByte(b: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (b[i] === 10) line++;
  return line;
}

/**
 * Parses the bytes of a prompt file into records. `.jsonl`/`.ndjson` files take each line's
 * `prompt` (or else `text`) string field; every other name is read as one prompt a line with `#`
 * comments. A UTF-8 BOM and CRLF line ends are fine. Throws PromptFileError for binary data (NUL
 * bytes), invalid UTF-8, a JSONL line that is not a JSON object, or one without the field.
 */
export function readPromptSource(bytes: Uint8Array, fileName: string): PromptRecord[] {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new PromptFileError(
      `${fileName}:${lineOfByte(bytes, nul)}: not a text file (NUL byte at offset ${nul}); prompt files must be UTF-8 text`,
      fileName,
      lineOfByte(bytes, nul),
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    const line = lineOfByte(bytes, at);
    throw new PromptFileError(
      `${fileName}:${line}: invalid UTF-8 (byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')} at offset ${at}); re-save the file as UTF-8`,
      fileName,
      line,
    );
  }
  if (/\.(jsonl|ndjson)$/i.test(fileName)) return readJsonl(text, fileName);
  return splitPromptLines(text).map((l) => ({ source: fileName, line: l.line + 1, text: l.text }));
}

function readJsonl(text: string, fileName: string): PromptRecord[] {
  const out: PromptRecord[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw.length === 0) continue;
    const where = `${fileName}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new PromptFileError(
        `${where}: bad JSONL line (${(err as Error).message}); each line must be one JSON object such as {"prompt": "a cat to the left of a dog"}`,
        fileName,
        i + 1,
      );
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new PromptFileError(`${where}: bad JSONL line (not a JSON object); write {"prompt": "..."} on each line`, fileName, i + 1);
    }
    const record = value as Record<string, unknown>;
    const prompt = typeof record.prompt === 'string' ? record.prompt : typeof record.text === 'string' ? record.text : undefined;
    if (prompt === undefined) {
      throw new PromptFileError(`${where}: no "prompt" or "text" string field; add one, e.g. {"prompt": "a cat to the left of a dog"}`, fileName, i + 1);
    }
    out.push({ source: fileName, line: i + 1, text: prompt });
  }
  return out;
}

/** A prompt file that could not be opened or read, as one PromptFileError saying what to do. */
export function promptFileReadError(path: string, err: unknown): PromptFileError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'no such file; check the path'
      : code === 'EISDIR'
        ? 'is a directory; pass the prompt files inside it'
        : code === 'EACCES'
          ? 'permission denied; check the file permissions'
          : `cannot be read (${(err as Error).message})`;
  return new PromptFileError(`${path}: ${why}`, path);
}

/** Reads a prompt file from disk (see readPromptSource); missing files become PromptFileError. */
export function readPromptFile(path: string): PromptRecord[] {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    throw promptFileReadError(path, err);
  }
  return readPromptSource(bytes, path);
}
