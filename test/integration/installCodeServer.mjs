// Installs code-server 4.100.3 (VS Code 1.100.3) into .vscode-test/code-server, offline except for
// the npm registry, following ../shared/docs/vscode-offline.md. Reused when already present.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const prefix = path.join(root, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
export const codeServerBin = path.join(prefix, 'node_modules', '.bin', 'code-server');

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * The Debian packages the integration run needs: Chromium drives the workbench; the rest lets
 * code-server's native modules build from source (their prebuilt downloads are unreachable).
 * As root with apt-get (a fresh CI or developer machine) they are installed; elsewhere the
 * error names them.
 */
const SYSTEM_PACKAGES = [
  { pkg: 'chromium', present: () => Boolean(process.env.CHROMIUM_PATH) || existsSync('/usr/bin/chromium') },
  { pkg: 'ripgrep', present: () => Boolean(which('rg')) },
  { pkg: 'build-essential', present: () => Boolean(which('g++') && which('make')) },
  { pkg: 'python3', present: () => Boolean(which('python3')) },
  { pkg: 'libkrb5-dev', present: () => existsSync('/usr/include/krb5.h') || existsSync('/usr/include/krb5/krb5.h') },
];

export function ensureSystemPackages({ log = console.log } = {}) {
  const missing = SYSTEM_PACKAGES.filter((p) => !p.present()).map((p) => p.pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !which('apt-get')) {
    throw new Error(
      `the integration tests need these system packages: ${missing.join(' ')} ` +
        `(Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}; or set CHROMIUM_PATH to a Chromium build)`,
    );
  }
  log(`installing system packages with apt-get: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}

export function installCodeServer({ log = console.log } = {}) {
  ensureSystemPackages({ log });
  if (existsSync(codeServerBin) && existsSync(path.join(prefix, '.complete'))) return codeServerBin;
  const rg = which('rg');
  if (!rg) throw new Error('ripgrep (rg) is needed to install code-server offline: apt-get install -y ripgrep');
  mkdirSync(prefix, { recursive: true });
  writeFileSync(path.join(prefix, 'package.json'), JSON.stringify({ name: 'code-server-host', private: true }) + '\n');
  // @vscode/ripgrep's postinstall downloads rg from GitHub; seed its cache with Debian's rg.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'spright-cs-'));
  const cache = path.join(tmp, 'vscode-ripgrep-cache-1.15.11');
  mkdirSync(cache, { recursive: true });
  const stage = path.join(tmp, 'stage');
  mkdirSync(stage);
  copyFileSync(rg, path.join(stage, 'rg'));
  execFileSync('tar', ['-czf', path.join(cache, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz'), '-C', stage, 'rg']);
  log(`installing code-server ${CODE_SERVER_VERSION} into ${path.relative(root, prefix)} (about a minute)...`);
  try {
    execFileSync('npm', ['install', `code-server@${CODE_SERVER_VERSION}`, '--no-audit', '--no-fund'], {
      cwd: prefix,
      stdio: ['ignore', process.env.SPRIGHT_VERBOSE ? 'inherit' : 'ignore', 'inherit'],
      env: {
        ...process.env,
        TMPDIR: tmp,
        npm_config_nodedir: existsSync('/usr/include/node/node.h') ? '/usr' : process.env.npm_config_nodedir,
        npm_config_yes: 'true',
        // code-server's postinstall insists on unsafe-perm when run as root; npm 11 no longer
        // knows the flag, so it has to arrive as the environment variable npm 10 used to set.
        npm_config_unsafe_perm: 'true',
      },
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!existsSync(codeServerBin)) throw new Error(`code-server did not install: ${codeServerBin} is missing`);
  writeFileSync(path.join(prefix, '.complete'), new Date().toISOString() + '\n');
  return codeServerBin;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(installCodeServer());
}
