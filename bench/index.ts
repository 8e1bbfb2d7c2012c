/** `npm run bench`: runs every registered section in one process and prints its figures. */
import type { BenchSection } from './harness';

// Each area registers its section here (lazy, so a failing one does not stop the others).
const sections: Array<() => BenchSection> = [
  () => (require('./evaluate') as { default: BenchSection }).default,
  () => (require('./evaluateStream') as { default: BenchSection }).default,
  () => (require('./parser') as { default: BenchSection }).default,
  () => (require('./generator') as { default: BenchSection }).default,
  () => (require('./render') as { renderSection: BenchSection }).renderSection,
  () => (require('./detect') as { default: BenchSection }).default,
  () => (require('./bestOf') as { default: BenchSection }).default,
  () => (require('./cli') as { default: BenchSection }).default,
  () => (require('./queue') as { queueSection: BenchSection }).queueSection,
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  let failed = 0;
  for (const load of sections) {
    const section = load();
    if (only.length && !only.includes(section.name)) continue;
    process.stdout.write(`\n## ${section.name}\n`);
    try {
      const rows = await section.run();
      for (const [k, v] of Object.entries(rows)) process.stdout.write(`${k.padEnd(48)} ${v}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`FAILED: ${(err as Error).stack ?? String(err)}\n`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
