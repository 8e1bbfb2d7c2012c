import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatProgress, ProgressReporter } from '../../src/batch';

test('formatDuration and formatProgress', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(65_000), '1m05s');
  assert.equal(formatDuration(3_725_000), '1h02m');
  assert.equal(formatProgress(3, 12, 65_000, '2_1', 80), '[########......................] 3/12  25%  ETA 1m05s  2_1');
  assert.equal(formatProgress(3, 12, null, '', 200, false), '3/12  25%');
  const long = formatProgress(1, 2, null, 'x'.repeat(200), 60);
  assert.equal(long.length, 59);
  assert.ok(long.endsWith('…'));
});

test('ProgressReporter: redraws a bar on a TTY, throttled plain lines otherwise', () => {
  let t = 0;
  const tty = { out: '', isTTY: true, columns: 80, write(s: string) { this.out += s; } };
  const bar = new ProgressReporter(tty, { now: () => t });
  bar.update(1, 4, null, 'a');
  t += 50;
  bar.update(2, 4, null, 'b'); // within 100 ms: skipped
  t += 100;
  bar.update(3, 4, 1000, 'c');
  bar.finish();
  assert.equal(tty.out.split('\r\x1b[K').filter(Boolean).length, 2);
  assert.ok(tty.out.includes('3/4  75%  ETA 1s  c'));
  assert.ok(!tty.out.includes('\n'));

  const log = { out: '', write(s: string) { this.out += s; } };
  const plain = new ProgressReporter(log, { now: () => t });
  plain.update(1, 4, null);
  t += 1000;
  plain.update(2, 4, null); // within 5 s: skipped
  plain.update(4, 4, 0, '', true); // forced (the end)
  assert.equal(log.out, '1/4  25%\n4/4 100%  ETA 0s\n');
});
