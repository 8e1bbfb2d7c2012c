// Lets the integration suite act in the preview webview's real DOM. The suite runs in VS Code's
// extension host, which cannot reach the webview's document; this runner drives the browser. The
// suite logs one line `[[spright-webview]] {"id": ..., "steps": [...]}`; the runner (which sees
// the suite's console through codeAutomationLog) runs the steps in the webview frame, dispatching
// DOM events there (pointer drags, key presses, clicks), and writes what it saw to
// <workspace>/.spright-webview/<id>.json, which the suite waits for (helpers.ts `driveWebview`).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findPanelFrame } from './webviewChecks.mjs';

export const DRIVER_PREFIX = '[[spright-webview]] ';

/**
 * Runs in the webview frame (serialised by puppeteer, so self-contained). Steps:
 *   {op: 'pointer', type: 'pointerdown'|'pointermove'|'pointerup', box, handle?, at: {x, y}}
 *       a pointer event at canvas point `at`, on the box (or its corner handle)
 *   {op: 'key', box, key, shift?}   focus the box, keydown and keyup
 *   {op: 'click', selector}         click the element
 *   {op: 'waitFor', path: [...], equals, timeoutMs?}  until snapshot()[path...] === equals
 *   {op: 'snapshot', name}          record what the panel shows
 */
async function runSteps(steps) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const boxEl = (id) => Array.from(document.querySelectorAll('[data-testid="layout-box"]')).find((b) => b.getAttribute('data-box') === id) ?? null;
  const snapshot = () => ({
    relations: Array.from(document.querySelectorAll('[data-testid="relation"]')).map((r) => r.getAttribute('data-status')),
    checks: Array.from(document.querySelectorAll('[data-testid="layout-check"]')).map((r) => r.getAttribute('data-status')),
    editable: document.querySelector('[data-testid="layout-svg"]')?.getAttribute('data-editable') ?? null,
    source: document.querySelector('[data-testid="layout-section"]')?.getAttribute('data-source') ?? null,
    stale: document.querySelector('[data-testid="layout-stale"]')?.textContent ?? null,
    regionGuide: document.querySelector('[data-testid="region-guide"]')?.checked ?? null,
    focused: document.activeElement?.closest?.('[data-box]')?.getAttribute('data-box') ?? null,
    boxes: Object.fromEntries(
      Array.from(document.querySelectorAll('[data-testid="layout-box"]')).map((b) => {
        const f = b.querySelector('.frame');
        const n = (k) => Number(f?.getAttribute(k));
        return [
          b.getAttribute('data-box'),
          { x: n('x'), y: n('y'), w: n('width'), h: n('height'), violated: b.getAttribute('data-violated'), tabindex: b.getAttribute('tabindex'), label: b.getAttribute('aria-label') },
        ];
      }),
    ),
  });
  const at = (snap, p) => p.reduce((v, k) => (v == null ? v : v[k]), snap);
  const out = { snapshots: {} };
  for (const step of steps) {
    if (step.op === 'pointer') {
      const box = boxEl(step.box);
      if (!box) throw new Error(`no layout box "${step.box}"`);
      const target = step.handle ? box.querySelector(`[data-handle="${step.handle}"]`) : box.querySelector('.frame');
      const svg = box.closest('svg');
      const ctm = svg?.getScreenCTM();
      if (!target || !ctm) throw new Error(`cannot point at box "${step.box}"`);
      const p = new DOMPoint(step.at.x, step.at.y).matrixTransform(ctm);
      const init = { bubbles: true, cancelable: true, composed: true, pointerId: 1, pointerType: 'mouse', isPrimary: true, button: 0, buttons: step.type === 'pointerup' ? 0 : 1, clientX: p.x, clientY: p.y };
      target.dispatchEvent(new PointerEvent(step.type, init));
      // Let the webview post and the host answer between moves, as a hand would.
      await sleep(50);
    } else if (step.op === 'key') {
      const box = boxEl(step.box);
      if (!box) throw new Error(`no layout box "${step.box}"`);
      box.focus();
      const init = { key: step.key, shiftKey: Boolean(step.shift), bubbles: true, cancelable: true, composed: true };
      box.dispatchEvent(new KeyboardEvent('keydown', init));
      (boxEl(step.box) ?? document.body).dispatchEvent(new KeyboardEvent('keyup', init));
      await sleep(50);
    } else if (step.op === 'click') {
      const el = document.querySelector(step.selector);
      if (!el) throw new Error(`nothing matches ${step.selector}`);
      el.click();
    } else if (step.op === 'waitFor') {
      const until = Date.now() + (step.timeoutMs ?? 20000);
      let last;
      for (;;) {
        last = at(snapshot(), step.path);
        if (last === step.equals) break;
        if (Date.now() > until) throw new Error(`waited for ${step.path.join('.')} to be ${JSON.stringify(step.equals)}; it is ${JSON.stringify(last)}`);
        await sleep(50);
      }
    } else if (step.op === 'snapshot') {
      out.snapshots[step.name] = snapshot();
    } else {
      throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
  }
  return out;
}

/** Handles one `[[spright-webview]]` request: runs its steps and writes the result file. */
export async function handleWebviewRequest(page, line, { workspace, log }) {
  let request;
  try {
    request = JSON.parse(line.slice(DRIVER_PREFIX.length));
  } catch (err) {
    log(`webview driver: bad request ${line}: ${err}`);
    return;
  }
  let result;
  try {
    const frame = await findPanelFrame(page, 20_000);
    if (!frame) throw new Error('no preview webview found in the page');
    result = { ok: true, ...(await frame.evaluate(runSteps, request.steps)) };
  } catch (err) {
    result = { ok: false, error: String(err?.message ?? err) };
  }
  const dir = path.join(workspace, '.spright-webview');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${request.id}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(result));
  renameSync(`${file}.tmp`, file);
}
