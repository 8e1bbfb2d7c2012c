/** Locations tests need, found from the repo root so they work from out/ and from bundles. */
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'spright-lens') {
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the spright-lens repo root above ${__dirname}`);
  }
}

/** The repository root (folder of package.json). */
export const repoRoot = findRoot();

/** test/fixtures/... */
export function fixture(...parts: string[]): string {
  return path.join(repoRoot, 'test', 'fixtures', ...parts);
}

/** ../shared/data/... (read-only, may be absent on other machines). */
export function sharedData(...parts: string[]): string {
  return path.join(repoRoot, '..', 'shared', 'data', ...parts);
}

/**
 * Returns a skip reason when ../shared/data (or the given file in it) is absent, for
 * `test(name, { skip: sharedDataMissing('sr2d/...') }, fn)`.
 */
export function sharedDataMissing(...parts: string[]): string | false {
  const p = sharedData(...parts);
  return fs.existsSync(p) ? false : `shared data not present at ${p}`;
}
