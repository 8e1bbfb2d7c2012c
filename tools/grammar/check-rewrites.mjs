#!/usr/bin/env node
// Dev-only: checks the deterministic rewrites with LanguageTool and writes the golden file the
// unit tests hold every rewrite to (test/fixtures/generator/rewrites.golden.jsonl).
//
// For each prompt of the dev set (../shared/data/prompts-dev) and of the repository's prompt
// fixtures it rewrites the prompt (seed 0, 768 x 768, as the editor does by default), asks
// LanguageTool for the rule matches of the prompt and of the rewrite, and records the matches of
// the rewrite that the prompt does not have (same rule, same words: a misspelling the person made
// is theirs, however often the rewrite repeats the word). A rewrite is `ok` when there are none. test/unit/rewriteGolden.test.ts recomputes every rewrite and fails when one differs
// from this file (rerun this script, read the diff) or when the file records a new match.
//
// Needs Java (Debian: default-jre-headless) and, once, Maven Central: LanguageTool's server and
// English rules are fetched with tools/grammar/pom.xml into tools/grammar/target/lib (git-ignored).
// Run `npx tsc -b` first: the rewriter is loaded from out/.
//
//   node tools/grammar/check-rewrites.mjs            # rewrite, check, write the golden file
//   node tools/grammar/check-rewrites.mjs --check    # same, but only report; exit 1 on new matches
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);
const LT_VERSION = '6.6';
const GOLDEN = path.join(root, 'test', 'fixtures', 'generator', 'rewrites.golden.jsonl');
const FIXTURES = ['test/fixtures/generator/roundtrip.prompts', 'test/fixtures/parser/prompts.jsonl', 'examples/spatial.prompts', 'playground/scenes.prompts', 'playground/plain.txt'];
const DEV = ['nsr1k-natural-dev.jsonl', 'parti-keyword-dev.jsonl'];
const checkOnly = process.argv.includes('--check');

function fail(message) {
  console.error(`check-rewrites: ${message}`);
  process.exit(2);
}

const outDir = path.join(root, 'out', 'src');
if (!fs.existsSync(path.join(outDir, 'generator', 'index.js'))) fail(`no build in ${outDir}: run "npx tsc -b" first`);
const { parsePrompt, readPromptFile } = require(path.join(outDir, 'parser', 'index.js'));
const { rewritePrompt } = require(path.join(outDir, 'generator', 'index.js'));

/** Every prompt to check, with a source label that does not depend on where the data lives. */
function prompts() {
  const out = [];
  const devDir = path.join(root, '..', 'shared', 'data', 'prompts-dev');
  if (!fs.existsSync(devDir)) fail(`the dev set is not at ${devDir}`);
  for (const f of DEV) for (const r of readPromptFile(path.join(devDir, f))) out.push({ source: `prompts-dev/${f}:${r.line}`, prompt: r.text });
  for (const f of FIXTURES) for (const r of readPromptFile(path.join(root, f))) out.push({ source: `${f}:${r.line}`, prompt: r.text });
  return out;
}

function libDir() {
  const lib = path.join(here, 'target', 'lib');
  if (!fs.existsSync(lib) || !fs.readdirSync(lib).some((f) => f.startsWith('languagetool-server'))) {
    console.error('check-rewrites: fetching LanguageTool from Maven Central (once)...');
    const mvn = spawnSync('mvn', ['-q', '-f', path.join(here, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`], { stdio: 'inherit' });
    if (mvn.error || mvn.status !== 0) fail('could not fetch LanguageTool with mvn (is Maven installed and Maven Central reachable?)');
  }
  return lib;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startLanguageTool() {
  const port = await freePort();
  const child = spawn('java', ['-Xmx1g', '-cp', path.join(libDir(), '*'), 'org.languagetool.server.HTTPServer', '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d.toString()));
  child.on('error', (err) => fail(`could not start java: ${err.message} (install default-jre-headless)`));
  const url = `http://127.0.0.1:${port}/v2/check`;
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) fail(`LanguageTool exited: ${stderr.slice(-500)}`);
    try {
      await check(url, 'A test.');
      return { url, stop: () => child.kill() };
    } catch {
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  child.kill();
  fail('LanguageTool did not answer within 120 s');
}

async function check(url, text) {
  const body = new URLSearchParams({ language: 'en-US', text });
  const res = await fetch(url, { method: 'POST', body });
  if (!res.ok) throw new Error(`LanguageTool answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const json = await res.json();
  return json.matches.map((m) => ({
    rule: m.rule.id,
    type: m.rule.issueType,
    message: m.message,
    words: text.slice(m.offset, m.offset + m.length),
  }));
}

/**
 * Matches of `after` that `before` does not have (same rule, same words). A match the prompt
 * already has is the person's ("racoon", "a siamese cat"), however often the rewrite repeats it.
 */
function newMatches(before, after) {
  const key = (m) => `${m.rule}\u0000${m.words.toLowerCase()}`;
  const had = new Set(before.map(key));
  return after.filter((m) => !had.has(key(m)));
}

async function main() {
  const items = prompts().map((p) => ({ ...p, rewrite: rewritePrompt(parsePrompt(p.prompt), { seed: 0, width: 768, height: 768 }).text }));
  console.error(`check-rewrites: ${items.length} prompts rewritten; starting LanguageTool ${LT_VERSION}...`);
  const lt = await startLanguageTool();
  const records = [];
  try {
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++];
        const [before, after] = [await check(lt.url, item.prompt), await check(lt.url, item.rewrite)];
        records.push({ ...item, new: newMatches(before, after).map(({ rule, type, message, words }) => ({ rule, type, message, words })) });
      }
    };
    await Promise.all([worker(), worker()]);
  } finally {
    lt.stop();
  }
  const order = new Map(items.map((it, i) => [it.source, i]));
  records.sort((a, b) => order.get(a.source) - order.get(b.source));
  const flagged = records.filter((r) => r.new.length);
  for (const r of flagged) console.log(`${r.source}: ${r.new.map((m) => `${m.rule} "${m.words}": ${m.message}`).join('; ')}\n    ${r.rewrite}`);
  console.log(`check-rewrites: ${records.length} rewrites, ${flagged.length} with LanguageTool matches their prompt does not have (${flagged.reduce((n, r) => n + r.new.length, 0)} matches)`);
  if (checkOnly) process.exit(flagged.length ? 1 : 0);
  const lines = records.map((r) => JSON.stringify({ source: r.source, prompt: r.prompt, rewrite: r.rewrite, verdict: r.new.length ? 'new-matches' : 'ok', new: r.new }));
  const header = JSON.stringify({ languagetool: LT_VERSION, language: 'en-US', seed: 0, size: '768x768', written_by: 'tools/grammar/check-rewrites.mjs' });
  // Written to a temporary file first so that a failed run never leaves half a golden file.
  const tmp = `${GOLDEN}.tmp`;
  fs.writeFileSync(tmp, [header, ...lines].join('\n') + '\n');
  fs.renameSync(tmp, GOLDEN);
  console.log(`check-rewrites: wrote ${path.relative(root, GOLDEN)}`);
}

main().catch((err) => fail(err.stack ?? String(err)));
