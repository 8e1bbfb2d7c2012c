// File names for renders, from the prompt text (pure; unit-tested in Node).

/** A file-name stem from prompt text: lower-case words joined by dashes, at most 48 characters. */
export function fileStem(text: string): string {
  const stem = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return stem.length > 0 ? stem : 'render';
}
