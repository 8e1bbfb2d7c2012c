// The preview panel's side of saved layouts: which layout a prompt shows (its saved one from
// `<prompt file>.layout.json`, else the plan), and saving or forgetting an edited one. The format,
// keys and stale detection are the core's (src/generator/layoutFile.ts); this adds the editor's
// concerns: documents not on disk keep their layouts in memory, reads are cached by the file's
// size and time (so a checkout or a hand edit shows up), and writes to one file go one at a time,
// each re-reading the file, so two quick edits never lose one another and a file that became
// invalid is reported, never overwritten.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AnalyzedLine } from '../../parser';
import type { Layout, LayoutOptions, LayoutResult } from '../../generator';
import {
  layoutFilePath,
  LayoutFileError,
  layoutWithSaved,
  matchLayout,
  parseLayoutFile,
  readLayoutFile,
  relineLayouts,
  savedLayoutOf,
  withLayout,
  withoutLayout,
  writeLayoutFile,
  type LayoutFile,
  type PromptAt,
} from '../../generator/layoutFile';
import type { LayoutEditView } from '../../protocol/messages';

/** The layout a prompt shows and how it relates to the layout file. */
export interface ResolvedLayout {
  result: LayoutResult;
  edit: LayoutEditView;
}

interface Cached {
  stamp: string;
  file: LayoutFile | null;
  problem: string | null;
}

/** Prompts of a document as the layout file keys them (1-based lines). */
function positions(entries: readonly AnalyzedLine[]): Array<{ line: number; text: string }> {
  return entries.map((e) => ({ line: e.line + 1, text: e.parsed.text }));
}

function at(entry: AnalyzedLine): PromptAt & { line: number } {
  return { line: entry.line + 1, text: entry.parsed.text };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class LayoutFiles {
  readonly #cache = new Map<string, Cached>();
  /** Layouts of documents that are not files on disk (untitled ones), by document URI. */
  readonly #memory = new Map<string, LayoutFile>();
  /** The write under way per layout file; the next one starts after it. */
  readonly #writes = new Map<string, Promise<void>>();

  /** The layout file of a document, or null when it is not on disk. */
  fileOf(uri: vscode.Uri): string | null {
    return uri.scheme === 'file' ? layoutFilePath(uri.fsPath) : null;
  }

  /** The document's layouts (cached by the file's size and time) and what stops them being used. */
  #read(uri: vscode.Uri): { file: LayoutFile | null; problem: string | null } {
    const target = this.fileOf(uri);
    if (target === null) return { file: this.#memory.get(uri.toString()) ?? null, problem: null };
    let stamp: string;
    try {
      const st = fs.statSync(target);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      // No layout file (yet): every prompt shows its plan.
      return { file: null, problem: null };
    }
    const cached = this.#cache.get(target);
    if (cached?.stamp === stamp) return cached;
    let next: Cached;
    try {
      next = { stamp, file: parseLayoutFile(fs.readFileSync(target, 'utf8'), target), problem: null };
    } catch (err) {
      next = { stamp, file: null, problem: message(err) };
    }
    this.#cache.set(target, next);
    return next;
  }

  /**
   * The layout `entry` (one of the document's `entries`) shows: its saved boxes over the plan, or
   * the plan; a stale layout is shown as drawn, and said to be stale.
   */
  resolve(uri: vscode.Uri, entry: AnalyzedLine, entries: readonly AnalyzedLine[], options: LayoutOptions): ResolvedLayout {
    const target = this.fileOf(uri);
    const name = target === null ? null : path.basename(target);
    const { file, problem } = this.#read(uri);
    const match = file === null ? ({ status: 'none' } as const) : matchLayout(file, at(entry), positions(entries));
    const saved = match.status === 'none' ? null : match.saved;
    const { result, unmatched } = layoutWithSaved(entry.parsed, saved, options);
    let note = problem !== null ? `${problem}. Edits are not saved until it is fixed.` : null;
    if (note === null && unmatched.length > 0) {
      note = `Saved boxes for objects the prompt does not name are left out: ${unmatched.map((b) => b.id).join(', ')}.`;
    }
    return {
      result,
      edit: { source: saved === null ? 'planned' : 'edited', file: name, staleFor: match.status === 'stale' ? match.saved.prompt : null, problem: note },
    };
  }

  /** Saves `layout` as the layout of `entry`, replacing the entry it matched (fresh or stale). */
  save(uri: vscode.Uri, entry: AnalyzedLine, entries: readonly AnalyzedLine[], layout: Layout): Promise<void> {
    const saved = savedLayoutOf(at(entry), layout, layout.boxes);
    return this.#update(uri, (file) => {
      const match = file === null ? null : matchLayout(file, at(entry), positions(entries));
      return relineLayouts(withLayout(file, saved, match && match.status !== 'none' ? match.saved : undefined), positions(entries));
    });
  }

  /** Forgets the saved layout of `entry` (fresh or stale), so that it shows its plan again. */
  remove(uri: vscode.Uri, entry: AnalyzedLine, entries: readonly AnalyzedLine[]): Promise<void> {
    return this.#update(uri, (file) => {
      if (file === null) return null;
      const match = matchLayout(file, at(entry), positions(entries));
      return match.status === 'none' ? file : withoutLayout(file, match.saved);
    });
  }

  /**
   * Applies `change` to the document's layouts: for a file, after the writes before it, to the
   * file as it is on disk now (a file that became invalid throws and stays as it is), written
   * atomically; a file left with no layouts is removed.
   */
  #update(uri: vscode.Uri, change: (file: LayoutFile | null) => LayoutFile | null): Promise<void> {
    const target = this.fileOf(uri);
    if (target === null) {
      const next = change(this.#memory.get(uri.toString()) ?? null);
      if (next === null || next.layouts.length === 0) this.#memory.delete(uri.toString());
      else this.#memory.set(uri.toString(), next);
      return Promise.resolve();
    }
    const run = async (): Promise<void> => {
      const current = await readLayoutFile(target);
      const next = change(current);
      if (next === current) return;
      if (next === null || next.layouts.length === 0) {
        await fs.promises.rm(target, { force: true });
      } else {
        await writeLayoutFile(target, next);
      }
      this.#cache.delete(target);
    };
    const previous = this.#writes.get(target) ?? Promise.resolve();
    const done = previous.then(run, run);
    this.#writes.set(target, done);
    // The chain keeps going after a failed write; the caller sees the failure.
    void done.finally(() => {
      if (this.#writes.get(target) === done) this.#writes.delete(target);
    }).catch(() => undefined);
    return done;
  }
}

/** A one-line reason an edit was not saved, for the panel. */
export function saveProblem(err: unknown): string {
  return err instanceof LayoutFileError ? `Not saved: ${err.message}` : `Not saved: ${message(err)}`;
}
