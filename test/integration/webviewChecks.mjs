// Checks made from the real browser after the suite passes: the suite leaves the preview panel
// open on a prompt full of markup; the panel must draw boxes and relation marks and show that
// markup as text, never run it.
import path from 'node:path';

/** The preview webview's frame (it has drawn a prompt), or null when none shows up in time. */
export async function findPanelFrame(page, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    for (const frame of page.frames()) {
      try {
        if (await frame.$('#app [data-testid="prompt-text"]')) return frame;
      } catch {
        /* detached or cross-origin frame still loading */
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

export async function checkWebview(page, { resultsDir, log, suffix = '' }) {
  const failures = [];
  const frame = await findPanelFrame(page, 20_000);
  await page.screenshot({ path: path.join(resultsDir, `preview-panel${suffix}.png`) });
  log(`screenshot: ${path.relative(process.cwd(), path.join(resultsDir, `preview-panel${suffix}.png`))}`);
  if (!frame) return ['no preview webview with #app [data-testid="prompt-text"] found in the page'];
  const facts = await frame.evaluate(() => ({
    prompt: document.querySelector('[data-testid="prompt-text"]')?.textContent ?? '',
    layoutBoxes: document.querySelectorAll('[data-testid="layout-box"]').length,
    relations: Array.from(document.querySelectorAll('[data-testid="relation"]')).map((e) => e.getAttribute('data-status')),
    injectedImgs: document.querySelectorAll('img[src="x"]').length,
    // VS Code itself prepends one inline script (#_vscodeApiScript, acquireVsCodeApi) to every
    // webview document; every other script must be ours and carry the page's CSP nonce.
    scripts: Array.from(document.querySelectorAll('script'))
      .filter((s) => !s.nonce && s.id !== '_vscodeApiScript')
      .map((s) => s.id || s.src || s.textContent.slice(0, 60)),
    pwned: window.__pwned ?? null,
  }));
  log(`webview: ${facts.layoutBoxes} layout boxes, relations [${facts.relations.join(', ')}]`);
  if (facts.layoutBoxes < 2) failures.push(`expected at least 2 layout boxes, found ${facts.layoutBoxes}`);
  if (facts.relations.length < 1) failures.push('no relation rows drawn');
  if (facts.relations.some((s) => !['satisfied', 'violated', 'unknown', 'unsupported'].includes(s ?? ''))) {
    failures.push(`relation rows with unexpected data-status: ${facts.relations.join(', ')}`);
  }
  if (!facts.prompt.includes('<script>') || !facts.prompt.includes('<img src=x')) {
    failures.push(`prompt markup is not shown as text: ${JSON.stringify(facts.prompt)}`);
  }
  if (facts.injectedImgs) failures.push('prompt markup became an <img> element');
  if (facts.scripts.length) failures.push(`script element(s) without the CSP nonce in the webview: ${JSON.stringify(facts.scripts)}`);
  if (facts.pwned !== null) failures.push(`prompt markup executed (window.__pwned = ${facts.pwned})`);
  return failures;
}
