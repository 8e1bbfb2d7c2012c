/**
 * Where a batch's prompts come from, for the CLI's `batch` and the editor's Render All Prompts
 * alike: prompt files and SR2D sets (or an editor's unsaved text, or a selection of its lines),
 * the prompt ids that name the images, and the run descriptor that lets the editor find and resume
 * an unfinished batch of the same source.
 */
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { parseSr2d, promptFromParsed } from '../evaluate/index';
import { parsePrompt, promptFileReadError, readPromptSource } from '../parser/index';
import { parseManifest } from './manifest';
import { MANIFEST } from './runBatch';
import type { BatchOptions, BatchPrompt } from './types';

/** File extensions "Render all prompts" picks up when given a folder. */
export const PROMPT_FILE_EXTENSIONS: readonly string[] = ['.prompt', '.prompts'];

/** Folders a folder scan never enters: tool state and dependencies, not the user's prompts. */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git', '.vscode-test', 'out', 'dist']);

/**
 * Every *.prompt/*.prompts file under `dir`, recursively, sorted by path so the ids and the
 * order of images are the same on every run. Hidden folders are skipped.
 */
export async function findPromptFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && !SKIPPED_FOLDERS.has(e.name)) await walk(full);
      } else if (e.isFile() && PROMPT_FILE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) {
        found.push(full);
      }
    }
  };
  await walk(dir);
  return found.sort();
}

/** One prompt source: a file (or its unsaved text) and optionally a line range. */
export interface PromptSource {
  /** Absolute path of the file (used for the file-type rules and messages). */
  file: string;
  /** Path shown to people and stored in the manifest ("prompts/set.prompts"). */
  label: string;
  /** The file's text (an editor's unsaved contents); read from `file` when absent. */
  text?: string;
  /** 1-based inclusive line range to keep (a selection); all lines when absent. */
  lines?: { start: number; end: number };
}

/** An id made safe for file names (`{prompt_id}_{k}.png`). */
function safeId(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+/, '') || 'prompts';
}

function sourceBytes(s: PromptSource): Uint8Array {
  if (s.text !== undefined) return Buffer.from(s.text, 'utf8');
  try {
    return readFileSync(s.file);
  } catch (err) {
    throw promptFileReadError(s.file, err);
  }
}

/**
 * The batch prompts of the sources, with stable ids: the line number (or SR2D's unique_id) for
 * one source, as VISOR names images; `{file stem}-{line}` for several, and the label-derived path
 * when two stems collide. Ids are safe in file names (`{prompt_id}_{k}.png`). A `.json` source is
 * VISOR's SR2D set (objects and relation from its record fields); anything else is prompt text.
 * Throws PromptFileError for a file that is not prompt text, PromptSetError for a bad SR2D set.
 */
export function promptsFromSources(sources: readonly PromptSource[]): BatchPrompt[] {
  const stems = sources.map((s) => safeId(path.basename(s.label).replace(/\.[^.]*$/, '')));
  const clash = new Set(stems).size !== stems.length;
  const out: BatchPrompt[] = [];
  sources.forEach((s, i) => {
    const prefix = sources.length === 1 ? '' : `${clash ? safeId(s.label.replace(/\.[^.]*$/, '')) : stems[i]}-`;
    const bytes = sourceBytes(s);
    if (/\.json$/i.test(s.file)) {
      for (const p of parseSr2d(Buffer.from(bytes).toString('utf8'), s.file)) {
        const id = `${prefix}${safeId(p.id)}`;
        out.push({ id, text: p.text, source: `${s.label}#${p.id}`, evalPrompt: { ...p, id } });
      }
      return;
    }
    for (const r of readPromptSource(bytes, s.file)) {
      if (s.lines && (r.line < s.lines.start || r.line > s.lines.end)) continue;
      const id = `${prefix}${r.line}`;
      out.push({ id, text: r.text, source: `${s.label}:${r.line}`, evalPrompt: promptFromParsed(id, parsePrompt(r.text)) });
    }
  });
  return out;
}

/** The run descriptor written next to the manifest; it makes a batch folder resumable from VS Code. */
export interface BatchDescriptor {
  /** Format version of this file. */
  version: 1;
  /** Identifies what was rendered (files and selection), see {@link sourceKey}. */
  sourceKey: string;
  /** "set.prompts (lines 3-9)", for messages and the panel title. */
  title: string;
  startedAt: string;
  /** Everything runBatch needs to continue exactly as it started (prompts included). */
  options: Omit<BatchOptions, 'outDir'>;
  /** Number of images the batch makes. */
  total: number;
}

/** Name of the run descriptor in a batch folder. */
export const DESCRIPTOR = 'spright-batch.json';

/** Images a batch makes: prompts x images per prompt x variants. */
export function batchTotal(options: Pick<BatchOptions, 'prompts' | 'imagesPerPrompt' | 'rewrite'>): number {
  return options.prompts.length * options.imagesPerPrompt * (options.rewrite === 'both' ? 2 : 1);
}

/** A key for "the same source": the files and the selected lines, independent of their text. */
export function sourceKey(sources: readonly Pick<PromptSource, 'file' | 'lines'>[]): string {
  const parts = sources.map((s) => `${path.resolve(s.file)}${s.lines ? `#${s.lines.start}-${s.lines.end}` : ''}`).sort();
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}

/** `batch-20261127-221530` (local time), a folder name that sorts by start time. */
export function batchFolderName(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `batch-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Reads a descriptor; undefined when the folder has none or it is not one of ours. */
export async function readDescriptor(dir: string): Promise<BatchDescriptor | undefined> {
  let v: unknown;
  try {
    v = JSON.parse(await fs.readFile(path.join(dir, DESCRIPTOR), 'utf8'));
  } catch {
    return undefined;
  }
  const d = v as Partial<BatchDescriptor> | null;
  if (!d || d.version !== 1 || typeof d.sourceKey !== 'string' || typeof d.total !== 'number' || !d.options || !Array.isArray(d.options.prompts)) return undefined;
  return d as BatchDescriptor;
}

/** Distinct images the manifest of `dir` records as finished. */
export async function finishedCount(dir: string): Promise<number> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, MANIFEST), 'utf8');
  } catch {
    return 0;
  }
  const keys = new Set(parseManifest(text).records.map((r) => `${r.variant}/${r.prompt_id}/${r.k}`));
  return keys.size;
}

/** An unfinished batch of the same source, found in an output folder. */
export interface ResumableBatch {
  dir: string;
  descriptor: BatchDescriptor;
  done: number;
}

/**
 * The most recent unfinished batch of `key` among the `batch-*` folders of `root`, or undefined.
 * Unfinished means the manifest holds fewer images than the descriptor's total.
 */
export async function findResumable(root: string, key: string): Promise<ResumableBatch | undefined> {
  let names: string[];
  try {
    names = (await fs.readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name.startsWith('batch-')).map((e) => e.name);
  } catch {
    return undefined;
  }
  for (const name of names.sort().reverse()) {
    const dir = path.join(root, name);
    const descriptor = await readDescriptor(dir);
    if (descriptor?.sourceKey !== key) continue;
    const done = await finishedCount(dir);
    if (done < descriptor.total) return { dir, descriptor, done };
  }
  return undefined;
}
