// Installs the vendored ComfyUI (a GPL-3.0 test fixture, never shipped) for the live ComfyUI suite,
// as ../shared/docs/comfyui-offline.md says: the source tarball unpacked and a Python venv with its
// requirements (plus `requests`) pinned by the vendored constraints. Both live outside the source
// tree, in $SPRIGHT_COMFYUI_HOME (default ~/.cache/spright-lens/comfyui), and are reused when
// present and complete. The first install downloads ~3.3 GB from PyPI and takes ~2 minutes.
//
// Usage: node scripts/comfyui-setup.mjs [--json]
//   --json  print one line {"python", "comfyDir", "home", "installed", "seconds"} on stdout last
// Exit status 1 with one line on stderr saying what is missing and what to do.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const vendor = path.resolve(process.env.SPRIGHT_COMFYUI_VENDOR ?? path.join(root, '..', 'shared', 'vendor', 'comfyui'));
const home = path.resolve(
  process.env.SPRIGHT_COMFYUI_HOME ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'spright-lens', 'comfyui'),
);
const json = process.argv.includes('--json');
/** The installer used for the requirements (pinned: the same resolution everywhere). */
const UV = 'uv==0.13.9';
const t0 = Date.now();

function fail(message) {
  process.stderr.write(`comfyui-setup: ${message}\n`);
  process.exit(1);
}

function log(message) {
  // With --json, stdout carries only the result line; progress goes to stderr.
  (json ? process.stderr : process.stdout).write(`comfyui-setup: ${message}\n`);
}

function findTarball() {
  if (!fs.existsSync(vendor)) {
    fail(
      `no vendored ComfyUI at ${vendor}: the live ComfyUI suite needs ../shared/vendor/comfyui (or SPRIGHT_COMFYUI_VENDOR pointing at a folder with ComfyUI-*.tgz and constraints.txt)`,
    );
  }
  const tgz = fs.readdirSync(vendor).filter((f) => /^ComfyUI-.*\.tgz$/.test(f));
  if (tgz.length !== 1) fail(`expected one ComfyUI-*.tgz in ${vendor}, found ${tgz.length ? tgz.join(', ') : 'none'}`);
  const constraints = path.join(vendor, 'constraints.txt');
  if (!fs.existsSync(constraints)) fail(`no constraints.txt in ${vendor}`);
  return { tarball: path.join(vendor, tgz[0]), constraints };
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) fail(`${what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    fail(`${what} failed (exit ${r.status}):\n${tail}`);
  }
  return r.stdout;
}

/** A Python 3.10+ interpreter: $SPRIGHT_COMFYUI_PYTHON, else the first of python3.11, python3.12, python3. */
function findPython() {
  const candidates = process.env.SPRIGHT_COMFYUI_PYTHON
    ? [process.env.SPRIGHT_COMFYUI_PYTHON]
    : ['python3.11', 'python3.12', 'python3.13', 'python3'];
  const seen = [];
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    if (r.status !== 0) {
      seen.push(`${py}: ${r.error ? 'not found' : 'no venv module'}`);
      continue;
    }
    const [major, minor] = r.stdout.trim().split('.').map(Number);
    if (major === 3 && minor >= 10) return py;
    seen.push(`${py}: ${r.stdout.trim()}`);
  }
  fail(
    `ComfyUI needs Python 3.10 or newer with the venv module (on Debian: apt-get install python3 python3-venv); tried ${seen.join('; ')}`,
  );
}

/**
 * One installer at a time per home (a test run and a bench started together would otherwise
 * unpack and pip-install over each other): a lock folder holding the owner's pid, taken over
 * when that process is gone, released at exit.
 */
function lock() {
  const dir = path.join(home, '.install-lock');
  const deadline = Date.now() + 30 * 60_000;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
      process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let owner = 0;
    let age = 0;
    try {
      age = Date.now() - fs.statSync(dir).mtimeMs;
      owner = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8') || 0);
    } catch {
      // Released meanwhile (try again), or taken a moment ago with its pid not written yet.
      if (!fs.existsSync(dir)) continue;
    }
    // A lock without a pid yet was taken a moment ago: its owner is alive.
    let alive = owner === 0 && age < 10_000;
    try {
      if (owner > 0) alive = process.kill(owner, 0);
    } catch {
      alive = false;
    }
    if (!alive) {
      fs.rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) fail(`another install (pid ${owner}) has held ${dir} for 30 minutes`);
    if (!told) log(`waiting for another install (pid ${owner}) to finish`);
    told = true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  }
}

function sha256(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

const { tarball, constraints } = findTarball();
const tarHash = sha256(tarball).slice(0, 12);
const comfyDir = path.join(home, `ComfyUI-${tarHash}`);
const venv = path.join(home, 'venv');
const python = path.join(venv, 'bin', 'python');
fs.mkdirSync(home, { recursive: true });
lock();

// Unpack into a temp folder and rename, so an interrupted unpack is never taken for a good one.
if (!fs.existsSync(path.join(comfyDir, 'main.py'))) {
  log(`unpacking ${path.basename(tarball)} into ${comfyDir}`);
  const tmp = fs.mkdtempSync(path.join(home, '.unpack-'));
  run('tar', ['-xzf', tarball, '-C', tmp], 'unpacking the ComfyUI tarball');
  // The tarball holds the tree either at its top level or in one folder.
  const entries = fs.readdirSync(tmp);
  const top =
    entries.length === 1 && fs.existsSync(path.join(tmp, entries[0], 'main.py')) ? path.join(tmp, entries[0]) : tmp;
  if (!fs.existsSync(path.join(top, 'main.py'))) fail(`${tarball} holds no main.py: not a ComfyUI source tarball`);
  fs.rmSync(comfyDir, { recursive: true, force: true });
  fs.renameSync(top, comfyDir);
  fs.rmSync(tmp, { recursive: true, force: true });
}

// The venv is current when its stamp matches the requirements, the constraints and the Python.
const requirements = path.join(comfyDir, 'requirements.txt');
const stampFile = path.join(venv, '.spright-lens-stamp');
const wanted = createHash('sha256')
  .update(fs.readFileSync(requirements))
  .update(fs.readFileSync(constraints))
  .digest('hex');
let installed = false;
const current = fs.existsSync(stampFile) && fs.existsSync(python) ? fs.readFileSync(stampFile, 'utf8').trim() : '';
if (current !== wanted) {
  const base = findPython();
  log(`creating ${venv} with ${base} and installing ComfyUI's requirements (first time: ~3.3 GB from PyPI)`);
  fs.rmSync(venv, { recursive: true, force: true });
  run(base, ['-m', 'venv', venv], 'creating the venv');
  const pipArgs = ['install', '--quiet', '-r', requirements, 'requests', '-c', constraints];
  // uv fetches and unpacks the 3.3 GB of wheels in parallel: 106 s where pip took 745 s, fresh
  // caches, on the same busy 2-core machine. Plain pip where uv cannot be installed.
  const uv = path.join(venv, 'bin', 'uv');
  const gotUv = spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', UV], {
    encoding: 'utf8',
  });
  if (gotUv.status === 0 && fs.existsSync(uv)) {
    run(uv, ['pip', ...pipArgs, '--python', python], 'uv pip install');
  } else {
    log(`installing ${UV} failed (${(gotUv.stderr ?? '').trim().split('\n').pop()}); using pip`);
    run(python, ['-m', 'pip', '--disable-pip-version-check', ...pipArgs], 'pip install');
  }
  // Import what the server imports first, so that a broken install fails here and not at start.
  run(python, ['-c', 'import torch, transformers, aiohttp, safetensors, requests, PIL'], 'checking the install');
  fs.writeFileSync(stampFile, `${wanted}\n`);
  installed = true;
}

const seconds = Math.round((Date.now() - t0) / 100) / 10;
if (json) process.stdout.write(`${JSON.stringify({ python, comfyDir, home, installed, seconds })}\n`);
else
  log(`${installed ? 'installed' : 'already installed'} in ${seconds}s: ${python} ${path.join(comfyDir, 'main.py')}`);
