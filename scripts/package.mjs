// `npm run package`: builds minified bundles and packs a platform-specific .vsix with @vscode/vsce.
// onnxruntime-node is native, so each .vsix carries the binary of one target; the allowlist in
// .vscodeignore names linux/x64 and is rewritten here for other targets.
// Usage: node scripts/package.mjs [--target linux-x64|linux-arm64|darwin-arm64|win32-x64] [--skip-build]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const ti = args.indexOf('--target');
const target = ti >= 0 ? args[ti + 1] : `${process.platform}-${process.arch}`;
const [platform, arch] = target.split('-');
const supported = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
if (!supported.includes(target)) {
  console.error(`package: unsupported target '${target}'; one of ${supported.join(', ')}`);
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = path.join(root, `${pkg.name}-${pkg.version}-${target}.vsix`);

if (!args.includes('--skip-build')) {
  execFileSync('npm', ['run', 'build:prod'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'scripts', 'fetch-models.mjs')], { cwd: root, stdio: 'inherit' });
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'spright-vsce-'));
try {
  const ignoreFile = path.join(tmp, '.vscodeignore');
  const ignore = readFileSync(path.join(root, '.vscodeignore'), 'utf8').replace(
    'napi-v6/linux/x64/**',
    `napi-v6/${platform}/${arch}/**`,
  );
  writeFileSync(ignoreFile, ignore);
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  // --no-rewrite-relative-links: the README's screenshot (media/*.png, shipped in the .vsix) stays
  // a relative link, which VS Code's extension page resolves inside the installed extension; with
  // no repository URL vsce would otherwise refuse any relative image.
  execFileSync(
    process.execPath,
    [vsce, 'package', '--target', target, '--ignoreFile', ignoreFile, '--allow-missing-repository', '--no-rewrite-relative-links', '--skip-license', '--out', out],
    { cwd: root, stdio: 'inherit' },
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const mb = (statSync(out).size / 1024 / 1024).toFixed(1);
console.log(`packaged ${path.relative(root, out)} (${mb} MB)`);
