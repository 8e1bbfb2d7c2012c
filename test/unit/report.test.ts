/** The batch report opens in headless Chromium: DOM checks and a screenshot under test-results/. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { escapeHtml, runBatch } from '../../src/batch';
import { fakeDeps, prompt, SIZE } from '../fixtures/evaluate/batchFakes';
import { repoRoot } from './helpers/paths';

// The test project has no DOM lib; this is the little of it the page function below uses.
interface PageElement {
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
  getBoundingClientRect(): { width: number };
}
declare const document: {
  title: string;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
};

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p));

test('escapeHtml escapes every markup character', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('report.html renders in headless Chromium with grid, tables and charts', { skip: CHROMIUM ? false : 'no chromium found' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-report-'));
  const hostile = 'a cup <img src=x onerror="document.title=\'pwned\'"> to the left of a book';
  await runBatch(
    {
      prompts: [prompt('0', 'dog', 'cat'), prompt('1', 'cup', 'book', hostile), prompt('2', 'car', 'tree')],
      outDir: dir,
      imagesPerPrompt: 4,
      seed: 0,
      rewrite: 'both',
      render: { model: 'fake', steps: 2, guidance: 7.5, width: SIZE, height: SIZE, scheduler: 'ddim', modelId: 'fake-model' },
      detection: { detector: 'fake', threshold: 0 },
    },
    fakeDeps(),
  );
  const puppeteer = (await import('puppeteer-core')).default;
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.setViewport({ width: 1280, height: 1600 });
    await page.goto(`file://${path.join(dir, 'report.html')}`, { waitUntil: 'load' });
    const dom = await page.evaluate(() => ({
      title: document.title,
      benchmarkRows: document.querySelectorAll('#benchmarks tbody tr').length,
      benchmarkHead: [...document.querySelectorAll('#benchmarks thead th')].map((th) => th.textContent),
      uncond: [...document.querySelectorAll('#benchmarks tbody tr')].find((tr) => tr.querySelector('th')?.textContent === 'VISOR uncond (%)')?.textContent,
      relationRows: document.querySelectorAll('#relations tbody tr').length,
      images: document.querySelectorAll('.grid svg image').length,
      boxes: document.querySelectorAll('.grid svg rect').length,
      charts: document.querySelectorAll('svg#chart-visor rect, svg#chart-relations rect').length,
      prompts: [...document.querySelectorAll('.prompt h3')].map((h) => h.textContent),
      injected: document.querySelectorAll('.prompt h3 img').length,
      gridWidth: document.querySelector('.grid')?.getBoundingClientRect().width ?? 0,
    }));
    assert.doesNotMatch(dom.title, /pwned/);
    assert.equal(dom.injected, 0, 'prompt text must not become markup');
    assert.ok(dom.prompts[1]?.includes('<img src=x'), 'the hostile prompt shows as text');
    assert.equal(dom.benchmarkRows, 12);
    assert.deepEqual(dom.benchmarkHead, ['Metric', 'As written', 'SPRIGHT rewrite']);
    assert.match(dom.uncond ?? '', /50\.00\s*100\.00/);
    assert.equal(dom.relationRows, 1);
    assert.equal(dom.images, 24);
    assert.equal(dom.boxes, 48);
    assert.ok(dom.charts >= 14 + 2, `chart bars: ${dom.charts}`);
    assert.ok(dom.gridWidth > 4 * 200);
    assert.ok(requests.every((u) => u.startsWith('file:') || u.startsWith('data:')), `network requests: ${requests.join(' ')}`);
    const shots = path.join(repoRoot, 'test-results');
    fs.mkdirSync(shots, { recursive: true });
    const file = path.join(shots, 'batch-report.png');
    await page.screenshot({ path: file, fullPage: false });
    // A blank page compresses to a few KB; tables, charts and thumbnails do not.
    assert.ok(fs.statSync(file).size > 30000, `screenshot only ${fs.statSync(file).size} bytes`);
  } finally {
    await browser.close();
  }
});
