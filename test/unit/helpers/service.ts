/** The forked service's entry, bundled fresh from src/service/main.ts so no test runs a stale build. */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { repoRoot } from './paths';

let built: Promise<string> | undefined;

/**
 * Bundles src/service/main.ts (as scripts/build.mjs does for dist/service.js) into out/, where
 * the bundle resolves onnxruntime-node from node_modules; removed when the process exits.
 */
export function serviceBundle(): Promise<string> {
  built ??= (async () => {
    const entry = path.join(repoRoot, 'out', 'test-service', `service-${process.pid}.js`);
    // createRequire keeps esbuild out of the quick-test bundle (its API must load from node_modules).
    const esbuild = createRequire(path.join(repoRoot, 'package.json'))('esbuild') as typeof import('esbuild');
    await esbuild.build({ entryPoints: [path.join(repoRoot, 'src/service/main.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: entry, external: ['onnxruntime-node'], logLevel: 'warning' });
    process.once('exit', () => fs.rmSync(entry, { force: true }));
    return entry;
  })();
  return built;
}
