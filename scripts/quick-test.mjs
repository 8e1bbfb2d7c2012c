// Development helper: bundles one or more test files with esbuild (no type check) and runs them
// with `node --test`, so that a half-finished file elsewhere in the tree does not block you.
// Usage: node scripts/quick-test.mjs test/unit/foo.test.ts [more files]
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/quick-test.mjs <test.ts>...');
  process.exit(2);
}
const outdir = path.join(root, 'out', 'quick');
const outputs = [];
for (const f of files) {
  const rel = path.relative(path.join(root, 'test'), path.resolve(f)).replace(/\.ts$/, '.js');
  const outfile = path.join(outdir, rel);
  await esbuild.build({
    entryPoints: [path.resolve(f)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    outfile,
    external: ['vscode', 'onnxruntime-node', '@tensorflow/*', 'fast-check', 'compromise', 'pngjs'],
    logLevel: 'warning',
  });
  outputs.push(outfile);
}
const r = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', ...outputs], { stdio: 'inherit' });
process.exit(r.status ?? 1);
