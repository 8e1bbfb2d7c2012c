// Scratch: memory/time per phase of the bare ORT calls on the full-size export, under session options.
const fs = require('fs');
const path = require('path');
const ort = require('/work/wt/realsize/node_modules/onnxruntime-node');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const dir = args.model || '/work/cache/sd21-random/onnx';
const steps = Number(args.steps || 2);
const threads = Number(args.threads || 2);
const lazy = args.lazy === '1';
const so = { executionProviders: ['cpu'], graphOptimizationLevel: args.opt || 'all', logSeverityLevel: 3, intraOpNumThreads: threads,
  enableCpuMemArena: args.arena !== '0', enableMemPattern: args.pattern !== '0' };
const auxSo = { ...so, enableCpuMemArena: (args.auxArena ?? args.arena) !== '0', enableMemPattern: (args.auxPattern ?? args.pattern) !== '0' };
const extra = {};
if (args.prepack === '0') extra['session.disable_prepacking'] = '1';
if (args.devinit === '1') extra['session.use_device_allocator_for_initializers'] = '1';
if (Object.keys(extra).length) so.extra = extra;
function status(k) { const m = new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8')); return Number(m[1]) * 1024; }
const phases = [];
let t = performance.now();
function mark(name) { const now = performance.now(); phases.push({ name, s: +((now - t) / 1000).toFixed(2), hwmGiB: +(status('VmHWM') / 2 ** 30).toFixed(2), rssGiB: +(status('VmRSS') / 2 ** 30).toFixed(2) }); fs.writeFileSync('/proc/self/clear_refs', '5'); t = performance.now(); }
(async () => {
  mark('start');
  const f = (s) => path.join(dir, s, 'model.onnx');
  let te = lazy ? null : await ort.InferenceSession.create(f('text_encoder'), auxSo); if (!lazy) mark('load te');
  const teFirst = args.teFirst === '1';
  let unet = teFirst ? null : await ort.InferenceSession.create(f('unet'), so); if (!teFirst) mark('load unet');
  if (lazy) { te = await ort.InferenceSession.create(f('text_encoder'), auxSo); mark('load te'); }
  let vae = lazy ? null : await ort.InferenceSession.create(f('vae_decoder'), auxSo); if (!lazy) mark('load vae');
  const ids = new ort.Tensor('int64', BigInt64Array.from({ length: 77 }, (_, i) => BigInt(i === 0 ? 49406 : i === 9 ? 49407 : i < 9 ? 320 + i : 0)), [1, 77]);
  const a = await te.run({ input_ids: ids }, ['last_hidden_state']);
  const b = await te.run({ input_ids: ids }, ['last_hidden_state']);
  const ehs = new Float32Array(2 * 77 * 1024); ehs.set(a.last_hidden_state.data, 0); ehs.set(b.last_hidden_state.data, 77 * 1024);
  mark('text');
  if (lazy) { await te.release(); te = null; mark('release te'); }
  if (teFirst) { unet = await ort.InferenceSession.create(f('unet'), so); mark('load unet'); }
  const per = 4 * 64 * 64; const sample = new Float32Array(2 * per).map(() => Math.random() - 0.5);
  const ehsT = new ort.Tensor('float32', ehs, [2, 77, 1024]);
  const stepS = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await unet.run({ sample: new ort.Tensor('float32', sample, [2, 4, 64, 64]), timestep: new ort.Tensor('float32', new Float32Array([999 - i * 250]), []), encoder_hidden_states: ehsT }, ['out_sample']);
    stepS.push(+((performance.now() - t0) / 1000).toFixed(2));
    mark(`unet step ${i + 1}`);
  }
  if (lazy) { vae = await ort.InferenceSession.create(f('vae_decoder'), auxSo); mark('load vae'); }
  await vae.run({ latent_sample: new ort.Tensor('float32', sample.slice(0, per), [1, 4, 64, 64]) }, ['sample']);
  mark('vae');
  if (lazy) { await vae.release(); mark('release vae'); }
  const peak = Math.max(...phases.map((p) => p.hwmGiB));
  console.log(JSON.stringify({ args, peakGiB: peak, stepS, maxRSSGiB: +(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2), phases }));
})();
