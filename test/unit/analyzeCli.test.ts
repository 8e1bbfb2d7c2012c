/** `spright-lens analyze` through the real CLI dispatcher, with in-memory stdio. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import type { CliContext } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import { fixture, repoRoot } from './helpers/paths';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

async function run(args: string[], stdin = '', stdinIsTTY = false): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const input = Readable.from([Buffer.from(stdin)]) as Readable & { isTTY?: boolean };
  input.isTTY = stdinIsTTY;
  const ctx: CliContext = { stdout, stderr, stdin: input, cwd: repoRoot, env: {}, signal: new AbortController().signal };
  const code = await main(['analyze', ...args], ctx);
  return { code, out: stdout.text, err: stderr.text };
}

test('jsonl (default): one record per prompt with source, 1-based line and the parse', async () => {
  const r = await run(['examples/spatial.prompts']);
  assert.equal(r.code, 0, r.err);
  const records = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const promptLines = fs.readFileSync(path.join(repoRoot, 'examples/spatial.prompts'), 'utf8').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  assert.equal(records.length, promptLines.length);
  const first = records[0];
  assert.deepEqual(Object.keys(first), ['source', 'line', 'text', 'objects', 'relations', 'scene', 'diagnostics']);
  assert.equal(first.source, 'examples/spatial.prompts');
  assert.equal(first.text, 'a dog to the left of a cat');
  assert.equal(fs.readFileSync(path.join(repoRoot, 'examples/spatial.prompts'), 'utf8').split('\n')[(first.line as number) - 1], first.text);
  const codes = records.flatMap((x) => (x.diagnostics as Array<{ code: string }>).map((d) => d.code));
  for (const c of ['contradiction', 'vague', 'unknown-relation']) assert.ok(codes.includes(c), `example file shows ${c}`);
});

test('text format: readable blocks with relations and problem codes', async () => {
  const r = await run(['--format', 'text', fixture('parser', 'prompts.jsonl')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /prompts\.jsonl:1: a cat left of a dog\n {2}objects: {3}cat; dog\n {2}relations: left_of\(cat, dog\)\n/);
  assert.match(r.out, /prompts\.jsonl:3: a lamp over a table\n[^]*above\(lamp, table\)/);
  const v = await run(['-f', 'text', '-'], 'a man with a dog\n');
  assert.match(v.out, /warning vague \(col 12\): 'with' does not say where dog is/);
});

test('stdin with "-" and with no file when piped', async () => {
  for (const args of [['-'], []]) {
    const r = await run(args, '# c\na cat above a dog\n');
    assert.equal(r.code, 0);
    const rec = JSON.parse(r.out) as { source: string; line: number; relations: Array<{ relation: string }> };
    assert.equal(rec.source, '<stdin>');
    assert.equal(rec.line, 2);
    assert.equal(rec.relations[0].relation, 'above');
  }
});

test('several files keep their own sources and lines', async () => {
  const r = await run([fixture('parser', 'bom-crlf.prompts'), fixture('parser', 'prompts.jsonl')]);
  const recs = r.out.trim().split('\n').map((l) => JSON.parse(l) as { source: string; line: number });
  assert.deepEqual(recs.map((x) => [path.basename(x.source), x.line]), [
    ['bom-crlf.prompts', 2],
    ['bom-crlf.prompts', 4],
    ['prompts.jsonl', 1],
    ['prompts.jsonl', 3],
    ['prompts.jsonl', 4],
  ]);
});

test('exit 2 with one line naming the file and the problem, no output, no stack', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['missing.prompts'], /^spright-lens analyze: missing\.prompts: no such file; check the path\n$/],
    [[fixture('parser', 'invalid-utf8.prompts')], /invalid-utf8\.prompts:2: invalid UTF-8/],
    [[fixture('parser', 'binary.prompts')], /binary\.prompts:1: not a text file/],
    [[fixture('parser', 'bad-json.jsonl')], /bad-json\.jsonl:2: bad JSONL line/],
    [['examples/spatial.prompts', 'missing.prompts'], /missing\.prompts: no such file/],
  ];
  for (const [args, pattern] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, pattern);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.doesNotMatch(r.err, /\n\s+at /);
    assert.equal(r.out, '', 'nothing written before the failure');
  }
});

test('usage errors exit 2 and point at --help', async () => {
  for (const args of [['--format', 'xml', 'x.prompts'], ['--bogus'], ['-', '-']]) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /^spright-lens analyze: .+\nRun 'spright-lens analyze --help' for usage\.\n$/);
  }
  const none = await run([], '', true);
  assert.equal(none.code, 2);
  assert.match(none.err, /no input/);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: spright-lens analyze/);
});

test('files in a temporary folder, relative to cwd', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'analyze-'));
  try {
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, 'a cat left of a dog\n');
    const r = await run([file]);
    assert.equal(r.code, 0);
    assert.equal((JSON.parse(r.out) as { source: string }).source, file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
