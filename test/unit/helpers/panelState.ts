// The preview panel's state for the webview tests: a configured model, nothing rendered, and the
// prompt each test draws; and the DOM description renderApp makes of it.
import type { PanelState, PromptView } from '../../../src/protocol/messages';
import { renderApp } from '../../../media/view';
import type { VElement } from '../../../media/vnode';

/** A panel showing `prompt`, with a model configured and no image, render or batch. */
export function panelState(prompt: PromptView | null, over: Partial<PanelState> = {}): PanelState {
  return {
    rule: 'visor',
    view: { showBoxes: true, showLabels: true },
    prompt,
    image: null,
    render: null,
    setup: { configured: true, modelPath: '/models/spright', problem: null, ignoredUntrusted: false },
    batch: null,
    notice: null,
    regionGuide: false,
    ...over,
  };
}

/** What the webview draws for `s`, under one root element (as in the page). */
export function appTree(s: PanelState, extras: Partial<Parameters<typeof renderApp>[1]> = {}): VElement {
  return {
    tag: 'div',
    svg: false,
    attrs: { id: 'app' },
    children: renderApp(s, { saveStatus: null, saving: false, ...extras }),
  };
}
