/**
 * analyze and rewrite stream their records: any number of lines, output before stdin ends, line
 * numbers and errors that count from the start of the input across read blocks.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import type { CliContext } from '../../src/cli/command';
import { readPromptInputs, streamPromptInputs } from '../../src/cli/io';
import { main } from '../../src/cli/main';

/** Counts output lines without keeping them; remembers the first and the last. */
class LineCounter extends Writable {
  lines = 0;
  first = '';
  last = '';
  #partial = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    const parts = (this.#partial + chunk.toString('utf8')).split('\n');
    this.#partial = parts.pop()!;
    for (const p of parts) {
      if (this.lines === 0) this.first = p;
      this.last = p;
      this.lines++;
    }
    done();
  }
}

function ctx(stdin: NodeJS.ReadableStream, stdout: Writable, stderr: Writable, cwd = os.tmpdir()): CliContext {
  return { stdout, stderr, stdin, cwd, env: {}, signal: new AbortController().signal };
}

test('prompt inputs of 300,000 lines stream through (push(...array) overflowed the stack at ~125,000)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-stream-'));
  const file = path.join(dir, 'many.prompts');
  const n = 300_000;
  fs.writeFileSync(file, 'a cat left of a dog\n'.repeat(n));
  const c = ctx(new PassThrough(), new LineCounter(), new LineCounter());
  let count = 0;
  let last = 0;
  for await (const block of streamPromptInputs([file], c)) {
    count += block.length;
    last = block[block.length - 1]!.line;
  }
  assert.equal(count, n);
  assert.equal(last, n, 'line numbers run on across read blocks');
  assert.equal((await readPromptInputs([file], c)).length, n);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('records come out before stdin ends', async () => {
  const stdin = new PassThrough();
  const chunks: string[] = [];
  let sawFirst!: () => void;
  const first = new Promise<void>((r) => (sawFirst = r));
  const stdout = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      sawFirst();
      done();
    },
  });
  // The writer flushes at 64 KiB: one record a prompt, enough prompts to pass that.
  const done = main(['analyze', '-'], ctx(stdin, stdout, new LineCounter()));
  stdin.write('a cat above a dog\n'.repeat(400));
  await first;
  assert.ok(chunks.length > 0, 'output while stdin is still open');
  stdin.end('a cup on a table\n');
  assert.equal(await done, 0);
  const lines = chunks.join('').trim().split('\n');
  assert.equal(lines.length, 401);
  assert.equal((JSON.parse(lines[400]!) as { text: string; line: number }).line, 401);
});

test('an error past the first read block names its line and offset in the whole file; nothing written for a file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-stream-'));
  const file = path.join(dir, 'late.jsonl');
  const good = '{"prompt": "a cat left of a dog"}\n';
  const count = Math.ceil((3 << 20) / good.length);
  fs.writeFileSync(file, good.repeat(count) + '{"prompt": oops}\n');
  for (const command of ['analyze', 'rewrite']) {
    const out = new LineCounter();
    let err = '';
    const stderr = new Writable({
      write(c: Buffer, _e, d) {
        err += c.toString();
        d();
      },
    });
    const code = await main([command, file], ctx(new PassThrough(), out, stderr));
    assert.equal(code, 2, command);
    assert.match(err, new RegExp(`late\\.jsonl:${count + 1}: bad JSONL line`));
    assert.equal(out.lines, 0, 'a file is checked whole before any output');
  }
  const bin = path.join(dir, 'late.prompts');
  const pad = 'a cat left of a dog\n'.repeat(Math.ceil((2 << 20) / 20));
  fs.writeFileSync(bin, Buffer.concat([Buffer.from(pad), Buffer.from([0x61, 0xff, 0x0a])]));
  let err = '';
  const stderr = new Writable({
    write(c: Buffer, _e, d) {
      err += c.toString();
      d();
    },
  });
  assert.equal(await main(['analyze', bin], ctx(new PassThrough(), new LineCounter(), stderr)), 2);
  assert.match(err, new RegExp(`late\\.prompts:${pad.split('\n').length}: invalid UTF-8 \\(byte 0xff at offset ${pad.length + 1}\\)`));
  fs.rmSync(dir, { recursive: true, force: true });
});
