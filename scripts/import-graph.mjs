// Counts import statements between the source folders (src/<part>, src/extension/<feature>,
// media), so that a change to the architecture can say how the arrows between parts moved.
// Usage: node scripts/import-graph.mjs [--json]
// An edge A -> B counts each import or export-from statement in a file of A whose target lies in B;
// imports within one folder are not counted.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The folder a file belongs to: `src/<part>`, `src/extension/<feature>` or `media`. */
function folderOf(file) {
  const rel = path.relative(root, file).split(path.sep);
  if (rel[0] === 'media') return 'media';
  if (rel[0] !== 'src') return null;
  if (rel[1] === 'extension') return rel.length > 3 ? `src/extension/${rel[2]}` : 'src/extension';
  return rel.length > 2 ? `src/${rel[1]}` : 'src';
}

const importRe = /^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gms;
const edges = new Map();
for (const file of [...walk(path.join(root, 'src')), ...walk(path.join(root, 'media'))]) {
  const from = folderOf(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1];
    if (!spec.startsWith('.')) continue;
    let target = path.resolve(path.dirname(file), spec);
    // `import … from '../parser'` names the folder's index module.
    if (existsSync(target) && statSync(target).isDirectory()) target = path.join(target, 'index.ts');
    const to = folderOf(target);
    if (!to || to === from) continue;
    const key = `${from} -> ${to}`;
    edges.set(key, (edges.get(key) ?? 0) + 1);
  }
}
const rows = [...edges.entries()].sort((a, b) => a[0].localeCompare(b[0]));
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(Object.fromEntries(rows), null, 2));
} else {
  for (const [k, n] of rows) console.log(`${String(n).padStart(4)}  ${k}`);
  const total = rows.reduce((s, [, n]) => s + n, 0);
  const features = rows.filter(([k]) => /^src\/extension\/\w+ -> src\/extension\/\w+$/.test(k));
  console.log(`total ${total} imports across folders; between extension feature folders ${features.reduce((s, [, n]) => s + n, 0)}`);
}
