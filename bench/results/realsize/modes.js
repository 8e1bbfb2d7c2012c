// Scratch: the real pipeline in one memory mode, two renders: RSS held after each, peak, load costs.
const fs = require('fs');
const r = require('/work/wt/realsize/out/src/render');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const rss = () => Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const g = (b) => +(b / 2 ** 30).toFixed(2);
(async () => {
  const memory = args.memory || 'balanced';
  const steps = Number(args.steps || 2);
  const p = await r.loadPipeline(args.model || '/work/cache/sd21-random/onnx', { provider: 'cpu', memory, intraOpThreads: 2 });
  const out = { memory, steps, loadS: +(p.load.ms / 1000).toFixed(1), rssAfterLoad: g(rss()), renders: [] };
  for (let k = 0; k < Number(args.renders || 2); k++) {
    const res = await p.generate({ prompt: 'a red cube to the left of a blue sphere', steps, guidanceScale: 7.5, seed: 1 + k, width: 512, height: 512, scheduler: 'ddim' });
    const t = res.timings;
    out.renders.push({ loadS: +(t.loadMs / 1000).toFixed(1), sessions: t.sessionsLoaded, textS: +(t.textEncoderMs / 1000).toFixed(1), sPerStep: +(t.denoiseMs / steps / 1000).toFixed(1), vaeS: +(t.vaeMs / 1000).toFixed(1), rssAfter: g(rss()), peak: g(t.peakRssBytes) });
  }
  await p.dispose();
  out.rssAfterDispose = g(rss());
  console.log(JSON.stringify(out));
})();
