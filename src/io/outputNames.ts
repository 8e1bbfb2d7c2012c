/**
 * Output names of renders: one stem rule and one naming rule for the CLI's `render` and the
 * editor's Render Preview alike, so that the same render always gets the same file name.
 *
 * - The stem is the prompt's words, lower-case, accents dropped, joined by `-`, at most 60 chars.
 * - A render is `{stem}-{seed}.png`; image k of a batch of several is `{stem}-{seed}_{k}.png`.
 * - The same render again (same text chunks, see {@link RENDER_IDENTITY_KEYS}) replaces its file.
 *   A file of that name holding a different render is never overwritten: the new one is written as
 *   `{name}-{digest}.png`, where the digest is made from its own settings, so that name too is
 *   the same on every run.
 */
import { createHash } from 'node:crypto';

const MAX_STEM = 60;

/** File-name stem from prompt text: lower-case words joined by '-', at most 60 characters. */
export function outputStem(text: string): string {
  const s = text
    .toLowerCase()
    .normalize('NFKD')
    // Decomposed accents are marks of their own: drop them so that "crème" stays one word.
    .replace(/\p{M}+/gu, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_STEM)
    .replace(/-+$/, '');
  return s || 'render';
}

/** `{stem}-{seed}` for a single image, `{stem}-{seed}_{k}` for image k of a batch of `count`. */
export function renderBaseName(stem: string, seed: number, index: number, count: number): string {
  return count > 1 ? `${stem}-${seed}_${index}` : `${stem}-${seed}`;
}

/**
 * The PNG text chunks that identify a render: two files that agree on these are the same render
 * (the execution provider is left out: it changes how, not what, is computed).
 */
export const RENDER_IDENTITY_KEYS = ['prompt', 'negative_prompt', 'seed', 'batch_index', 'steps', 'guidance', 'scheduler', 'size', 'model', 'guide'] as const;

/** The settings in which two renders differ, as `key value` of the other one (empty: the same render). */
export function identityDifferences(mine: Readonly<Record<string, string>>, other: Readonly<Record<string, string>>): string[] {
  return RENDER_IDENTITY_KEYS.filter((k) => (mine[k] ?? '') !== (other[k] ?? '')).map((k) => `${k} ${JSON.stringify(other[k] ?? '')}`);
}

/** Eight hex digits from a render's identity: the suffix that keeps a different render's file. */
export function identityDigest(text: Readonly<Record<string, string>>): string {
  const h = createHash('sha256');
  for (const k of RENDER_IDENTITY_KEYS) h.update(`${k}\0${text[k] ?? ''}\0`);
  return h.digest('hex').slice(0, 8);
}
