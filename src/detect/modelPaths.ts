/** Where the embedded model lives: `models/nanodet` beside the spright-lens package.json. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The folder of the package.json named `spright-lens` above `from` (this file's folder by default;
 * works from dist/ and from out/src/detect/), or null when there is none.
 */
export function findPackageRoot(from: string = __dirname): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'spright-lens') return dir;
      } catch {
        // An unreadable package.json of some other project: keep walking up.
      }
    }
    if (path.dirname(dir) === dir) return null;
  }
}

/** The default models folder (`<package root>/models`), or null when the package root is unknown. */
export function defaultModelsDir(): string | null {
  const root = findPackageRoot();
  return root ? path.join(root, 'models') : null;
}
