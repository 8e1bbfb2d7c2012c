// One esbuild script for every bundle: extension host (cjs), CLI (cjs), inference service (cjs),
// webview (iife, browser). Type checking is separate (`tsc -b`). `--production` minifies.
import * as esbuild from 'esbuild';
import { cp, mkdir, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// onnxruntime-node is native and ships as files; TF.js (core, converter, wasm backend) is bundled
// so that exactly one tfjs-core engine exists, and its .wasm binaries are copied to dist/wasm.
const nodeExternals = ['vscode', 'onnxruntime-node'];

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

// jsonc-parser's `main` is a UMD build whose internal requires esbuild cannot follow; its ESM
// build (`module`) bundles cleanly (microsoft/node-jsonc-parser#57).
const alias = { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' };

const nodeBundles = [
  { entryPoints: { extension: 'src/extension/extension.ts' }, external: nodeExternals },
  { entryPoints: { cli: 'src/cli/main.ts' }, external: nodeExternals },
  { entryPoints: { service: 'src/service/main.ts' }, external: nodeExternals },
].map((b) => ({ ...common, ...b, alias, platform: 'node', format: 'cjs', target: 'node20', outdir: 'dist' }));

const webBundles = [];
if (existsSync(path.join(root, 'media/preview.ts'))) {
  webBundles.push({
    ...common,
    entryPoints: { preview: 'media/preview.ts' },
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    outdir: 'dist/media',
  });
}

async function copyAssets() {
  // tfjs-backend-wasm loads its .wasm binaries from disk at run time.
  const wasmSrc = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  await mkdir(path.join(root, 'dist/wasm'), { recursive: true });
  for (const f of await readdir(wasmSrc)) {
    if (f.endsWith('.wasm')) await cp(path.join(wasmSrc, f), path.join(root, 'dist/wasm', f));
  }
}

const all = [...nodeBundles, ...webBundles];
if (watch) {
  const contexts = await Promise.all(all.map((o) => esbuild.context(o)));
  await copyAssets();
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  await Promise.all(all.map((o) => esbuild.build(o)));
  await copyAssets();
}
