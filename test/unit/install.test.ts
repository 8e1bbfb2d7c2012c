/**
 * Quiet installs: npm warns about every unknown .npmrc key on every call, and npm 11.16+ lists
 * dependency install scripts that package.json's allowScripts does not cover.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './helpers/paths';

test('.npmrc holds only keys npm knows', () => {
  const npmrc = path.join(repoRoot, '.npmrc');
  const keys = fs.existsSync(npmrc)
    ? fs
        .readFileSync(npmrc, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#') && !l.startsWith(';'))
        .map((l) => l.split('=')[0]!.trim())
    : [];
  const known = new Set(['fund', 'audit', 'engine-strict', 'save-exact', 'package-lock', 'loglevel', 'update-notifier']);
  for (const k of keys) assert.ok(known.has(k), `.npmrc key '${k}' makes npm warn on every call; use package.json or an environment variable`);
});

test('allowScripts decides every install script in the lock; onnxruntime-node downloads nothing by default', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([where]) => where.replace(/^.*node_modules\//, ''));
  assert.ok(withScripts.includes('onnxruntime-node'));
  for (const name of withScripts) assert.equal(typeof pkg.allowScripts?.[name], 'boolean', `allowScripts does not decide ${name}`);
  assert.equal(pkg.allowScripts?.['onnxruntime-node'], false, "onnxruntime-node's install script downloads the CUDA provider");
});
