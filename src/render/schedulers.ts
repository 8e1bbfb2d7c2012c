/**
 * Diffusion schedulers, re-implemented from diffusers' scheduling_ddim.py,
 * scheduling_euler_discrete.py, scheduling_euler_ancestral_discrete.py and
 * scheduling_dpmsolver_multistep.py (DPM-Solver++ 2M), configured by scheduler_config.json.
 *
 * diffusers builds the noise schedule in float32 torch tensors; we compute in float64 and round
 * to float32 where diffusers stores a float32 tensor, so that timesteps are identical and sigmas
 * agree to float32 precision.
 */

import { SCHEDULER_NAMES, type SchedulerName } from '../protocol/service';

// Scheduler names accepted by the pipeline and the CLI; the service protocol is their home.
export { SCHEDULER_NAMES, type SchedulerName };

/** The keys of diffusers' scheduler_config.json that these schedulers read (all optional). */
export interface SchedulerConfig {
  readonly _class_name?: string;
  readonly num_train_timesteps?: number;
  readonly beta_start?: number;
  readonly beta_end?: number;
  readonly beta_schedule?: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2' | string;
  readonly trained_betas?: readonly number[] | null;
  readonly prediction_type?: 'epsilon' | 'v_prediction' | 'sample' | string;
  readonly timestep_spacing?: 'leading' | 'trailing' | 'linspace' | string;
  readonly steps_offset?: number;
  readonly set_alpha_to_one?: boolean;
  readonly clip_sample?: boolean;
  readonly clip_sample_range?: number;
  readonly thresholding?: boolean;
  readonly rescale_betas_zero_snr?: boolean;
  readonly interpolation_type?: string;
  readonly use_karras_sigmas?: boolean;
  readonly solver_order?: number;
  readonly algorithm_type?: string;
  readonly solver_type?: string;
  readonly lower_order_final?: boolean;
  readonly euler_at_final?: boolean;
  readonly final_sigmas_type?: string;
  readonly [key: string]: unknown;
}

/**
 * Draws a standard-normal tensor of `length` values for step `stepIndex` (ancestral samplers).
 * Called once on every step, including the last, as diffusers draws it, so that a replayed
 * stream stays aligned.
 */
export type NoiseSource = (length: number, stepIndex: number) => Float32Array;

/**
 * One configured sampling run: `timesteps.length` steps. Call `scaleModelInput` before the UNet
 * and `step` after it, with the step index 0..n-1 in order.
 */
export interface Scheduler {
  readonly name: SchedulerName;
  /** Timesteps fed to the UNet, one per step (fractional for Euler with linspace spacing). */
  readonly timesteps: readonly number[];
  /** Noise levels (n + 1 values, last 0) for sigma-based schedulers; null for DDIM. */
  readonly sigmas: readonly number[] | null;
  /** Initial latents are standard-normal noise times this. */
  readonly initNoiseSigma: number;
  readonly predictionType: 'epsilon' | 'v_prediction' | 'sample';
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  /**
   * `original` noised to the level of step `stepIndex` with the standard-normal `noise`, in the
   * space of the latents that step receives (diffusers' `add_noise` at `timesteps[stepIndex]`).
   */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array;
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: NoiseSource): Float32Array;
}

/** Thrown for a scheduler_config.json value these schedulers do not implement. */
export class SchedulerConfigError extends Error {
  override readonly name = 'SchedulerConfigError';
}

const f32 = Math.fround;

/** numpy's round(): half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy.linspace(start, stop, num) (endpoint included). */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(start + i * step);
  out[num - 1] = stop;
  return out;
}

/** The training noise schedule's betas, as float32 values. */
export function makeBetas(config: SchedulerConfig): number[] {
  const n = config.num_train_timesteps ?? 1000;
  if (config.trained_betas && config.trained_betas.length > 0) return config.trained_betas.map(f32);
  const start = config.beta_start ?? 0.0001;
  const end = config.beta_end ?? 0.02;
  const schedule = config.beta_schedule ?? 'linear';
  switch (schedule) {
    case 'linear':
      return linspace(start, end, n).map(f32);
    case 'scaled_linear':
      // torch.linspace(start**0.5, end**0.5, n, dtype=float32) ** 2
      return linspace(Math.sqrt(start), Math.sqrt(end), n).map((b) => f32(f32(b) * f32(b)));
    case 'squaredcos_cap_v2': {
      const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * Math.PI * 0.5) ** 2;
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(f32(Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999)));
      return out;
    }
    default:
      throw new SchedulerConfigError(`beta_schedule '${schedule}' is not supported (use linear, scaled_linear or squaredcos_cap_v2)`);
  }
}

/** Cumulative products of (1 - beta), float32 as torch.cumprod computes them. */
export function alphasCumprod(betas: readonly number[], rescaleZeroSnr = false): number[] {
  const out: number[] = [];
  let acc = 1;
  for (const b of betas) {
    acc = f32(acc * f32(1 - b));
    out.push(acc);
  }
  if (!rescaleZeroSnr) return out;
  // rescale_zero_terminal_snr (Lin et al. 2023, Algorithm 1), as diffusers applies it to betas.
  const sqrtAc = out.map(Math.sqrt);
  const first = sqrtAc[0]!;
  const last = sqrtAc[sqrtAc.length - 1]!;
  const rescaled = sqrtAc.map((v) => ((v - last) * first) / (first - last));
  return rescaled.map((v) => f32(Math.max(v * v, 0)));
}

function predictionType(config: SchedulerConfig): 'epsilon' | 'v_prediction' | 'sample' {
  const p = config.prediction_type ?? 'epsilon';
  if (p !== 'epsilon' && p !== 'v_prediction' && p !== 'sample') {
    throw new SchedulerConfigError(`prediction_type '${p}' is not supported (use epsilon, v_prediction or sample)`);
  }
  return p;
}

function spacing(config: SchedulerConfig, fallback: string): 'leading' | 'trailing' | 'linspace' {
  const s = config.timestep_spacing ?? fallback;
  if (s !== 'leading' && s !== 'trailing' && s !== 'linspace') {
    throw new SchedulerConfigError(`timestep_spacing '${s}' is not supported (use leading, trailing or linspace)`);
  }
  return s;
}

function checkCommon(config: SchedulerConfig, steps: number): number {
  const n = config.num_train_timesteps ?? 1000;
  if (!Number.isInteger(steps) || steps < 1) throw new SchedulerConfigError(`steps must be a positive integer, got ${steps}`);
  if (steps > n) throw new SchedulerConfigError(`steps (${steps}) cannot exceed num_train_timesteps (${n})`);
  if (config.thresholding) throw new SchedulerConfigError('thresholding (dynamic thresholding) is not supported; set it to false');
  return n;
}

/** Linear interpolation of `ys` (defined at 0..len-1) at `x`, as numpy.interp. */
function interpIndex(ys: readonly number[], x: number): number {
  if (x <= 0) return ys[0]!;
  if (x >= ys.length - 1) return ys[ys.length - 1]!;
  const i = Math.floor(x);
  const w = x - i;
  return ys[i]! + (ys[i + 1]! - ys[i]!) * w;
}

/** `a * original + b * noise`, elementwise. */
function mix(original: Float32Array, noise: Float32Array, a: number, b: number): Float32Array {
  if (noise.length !== original.length) throw new RangeError(`noise has ${noise.length} values, expected ${original.length}`);
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = a * original[i]! + b * noise[i]!;
  return out;
}

/** Creates the named scheduler configured for `steps` sampling steps. */
export function createScheduler(name: SchedulerName, config: SchedulerConfig, steps: number): Scheduler {
  switch (name) {
    case 'ddim':
      return new DdimScheduler(config, steps);
    case 'euler':
      return new EulerScheduler(config, steps, false);
    case 'euler_a':
      return new EulerScheduler(config, steps, true);
    case 'dpmpp_2m':
      return new DpmSolverMultistepScheduler(config, steps);
    default:
      throw new SchedulerConfigError(`unknown scheduler '${String(name)}' (use ${SCHEDULER_NAMES.join(', ')})`);
  }
}

/** Maps a diffusers `_class_name` to our scheduler name (the model's default). */
export function schedulerFromClassName(className: string | undefined): SchedulerName | undefined {
  switch (className) {
    case 'DDIMScheduler':
      return 'ddim';
    case 'EulerDiscreteScheduler':
      return 'euler';
    case 'EulerAncestralDiscreteScheduler':
      return 'euler_a';
    case 'DPMSolverMultistepScheduler':
      return 'dpmpp_2m';
    default:
      return undefined;
  }
}

class DdimScheduler implements Scheduler {
  readonly name = 'ddim' as const;
  readonly timesteps: number[];
  readonly sigmas = null;
  readonly initNoiseSigma = 1;
  readonly predictionType: 'epsilon' | 'v_prediction' | 'sample';
  readonly #ac: number[];
  readonly #finalAc: number;
  readonly #stepRatio: number;
  readonly #clip: number | undefined;

  constructor(config: SchedulerConfig, steps: number) {
    const n = checkCommon(config, steps);
    this.predictionType = predictionType(config);
    this.#ac = alphasCumprod(makeBetas(config), config.rescale_betas_zero_snr === true);
    this.#finalAc = config.set_alpha_to_one ?? true ? 1 : this.#ac[0]!;
    this.#clip = config.clip_sample ?? true ? (config.clip_sample_range ?? 1) : undefined;
    this.#stepRatio = Math.floor(n / steps);
    const offset = config.steps_offset ?? 0;
    const sp = spacing(config, 'leading');
    if (sp === 'linspace') {
      this.timesteps = linspace(0, n - 1, steps).map(roundHalfEven).reverse();
    } else if (sp === 'leading') {
      this.timesteps = Array.from({ length: steps }, (_, i) => i * this.#stepRatio + offset).reverse();
    } else {
      const ratio = n / steps;
      this.timesteps = Array.from({ length: steps }, (_, k) => roundHalfEven(n - k * ratio) - 1);
    }
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    const a = this.#ac[this.timesteps[stepIndex]!]!;
    return mix(original, noise, Math.fround(Math.sqrt(a)), Math.fround(Math.sqrt(1 - a)));
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    const t = this.timesteps[stepIndex]!;
    const prev = t - this.#stepRatio;
    const aT = this.#ac[t]!;
    const aPrev = prev >= 0 ? this.#ac[prev]! : this.#finalAc;
    const bT = 1 - aT;
    const sa = Math.sqrt(aT);
    const sb = Math.sqrt(bT);
    const saPrev = Math.sqrt(aPrev);
    const dirCoef = Math.sqrt(1 - aPrev);
    const clip = this.#clip;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      let x0: number;
      let eps: number;
      if (this.predictionType === 'epsilon') {
        x0 = (x - sb * m) / sa;
        eps = m;
      } else if (this.predictionType === 'v_prediction') {
        x0 = sa * x - sb * m;
        eps = sa * m + sb * x;
      } else {
        x0 = m;
        eps = (x - sa * x0) / sb;
      }
      // diffusers clamps x0 but keeps the unclipped epsilon (use_clipped_model_output=False).
      if (clip !== undefined) x0 = Math.min(Math.max(x0, -clip), clip);
      out[i] = saPrev * x0 + dirCoef * eps;
    }
    return out;
  }
}

/** Sigma-schedule timesteps shared by Euler and Euler ancestral. */
function eulerTimesteps(config: SchedulerConfig, n: number, steps: number): number[] {
  const offset = config.steps_offset ?? 0;
  const sp = spacing(config, 'linspace');
  if (sp === 'linspace') return linspace(0, n - 1, steps).reverse();
  if (sp === 'leading') {
    const ratio = Math.floor(n / steps);
    return Array.from({ length: steps }, (_, i) => i * ratio + offset).reverse();
  }
  const ratio = n / steps;
  const ts: number[] = [];
  for (let k = 0; k < steps; k++) ts.push(roundHalfEven(n - k * ratio) - 1);
  return ts;
}

function trainSigmas(ac: readonly number[]): number[] {
  // numpy on the float32 alphas_cumprod: float32 arithmetic.
  return ac.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a))));
}

function karras(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const rho = 7;
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return linspace(0, 1, steps).map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/** Inverse of the sigma schedule (diffusers `_sigma_to_t`): fractional timestep of `sigma`. */
function sigmaToT(sigma: number, logSigmas: readonly number[]): number {
  const ls = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (ls - logSigmas[i]! >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const high = low + 1;
  const lo = logSigmas[low]!;
  const hi = logSigmas[high]!;
  let w = (lo - ls) / (lo - hi);
  w = Math.min(Math.max(w, 0), 1);
  return (1 - w) * low + w * high;
}

class EulerScheduler implements Scheduler {
  readonly name: SchedulerName;
  readonly timesteps: number[];
  readonly sigmas: number[];
  readonly initNoiseSigma: number;
  readonly predictionType: 'epsilon' | 'v_prediction' | 'sample';
  readonly #ancestral: boolean;

  constructor(config: SchedulerConfig, steps: number, ancestral: boolean) {
    const n = checkCommon(config, steps);
    this.name = ancestral ? 'euler_a' : 'euler';
    this.#ancestral = ancestral;
    this.predictionType = predictionType(config);
    const ac = alphasCumprod(makeBetas(config), config.rescale_betas_zero_snr === true);
    const all = trainSigmas(ac);
    let timesteps = eulerTimesteps(config, n, steps);
    let sigmas: number[];
    const interpolation = config.interpolation_type ?? 'linear';
    if (interpolation === 'linear') {
      sigmas = timesteps.map((t) => interpIndex(all, t));
    } else if (interpolation === 'log_linear') {
      const logs = linspace(Math.log(all[all.length - 1]!), Math.log(all[0]!), steps + 1).map(Math.exp);
      sigmas = logs.reverse().slice(0, steps);
    } else {
      throw new SchedulerConfigError(`interpolation_type '${interpolation}' is not supported (use linear or log_linear)`);
    }
    if (!ancestral && config.use_karras_sigmas) {
      const logSigmas = all.map(Math.log);
      sigmas = karras(sigmas[sigmas.length - 1]!, sigmas[0]!, steps);
      timesteps = sigmas.map((s) => sigmaToT(s, logSigmas));
    }
    this.timesteps = timesteps.map(f32);
    this.sigmas = [...sigmas.map(f32), 0];
    const max = Math.max(...this.sigmas);
    const sp = spacing(config, 'linspace');
    this.initNoiseSigma = sp === 'linspace' || sp === 'trailing' ? max : Math.sqrt(max * max + 1);
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    const sigma = this.sigmas[stepIndex]!;
    const k = 1 / Math.sqrt(sigma * sigma + 1);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) out[i] = sample[i]! * k;
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    return mix(original, noise, 1, this.sigmas[stepIndex]!);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: NoiseSource): Float32Array {
    const sigma = this.sigmas[stepIndex]!;
    const next = this.sigmas[stepIndex + 1]!;
    let dt: number;
    let up = 0;
    if (this.#ancestral) {
      up = Math.sqrt((next * next * (sigma * sigma - next * next)) / (sigma * sigma));
      const down = Math.sqrt(next * next - up * up);
      dt = down - sigma;
    } else {
      dt = next - sigma;
    }
    const vIn = -sigma / Math.sqrt(sigma * sigma + 1);
    const vS = 1 / (sigma * sigma + 1);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      const x0 = this.predictionType === 'epsilon' ? x - sigma * m : this.predictionType === 'v_prediction' ? m * vIn + x * vS : m;
      const derivative = (x - x0) / sigma;
      out[i] = x + derivative * dt;
    }
    if (this.#ancestral) {
      if (!noise) throw new Error('euler_a needs a noise source');
      const z = noise(sample.length, stepIndex);
      if (z.length !== sample.length) throw new RangeError(`noise for step ${stepIndex} has ${z.length} values, expected ${sample.length}`);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + z[i]! * up;
    }
    return out;
  }
}

class DpmSolverMultistepScheduler implements Scheduler {
  readonly name = 'dpmpp_2m' as const;
  readonly timesteps: number[];
  readonly sigmas: number[];
  readonly initNoiseSigma = 1;
  readonly predictionType: 'epsilon' | 'v_prediction' | 'sample';
  readonly #lowerOrderFinal: boolean;
  readonly #eulerAtFinal: boolean;
  readonly #finalZero: boolean;
  readonly #order: number;
  #prev: Float32Array | undefined;
  #lowerOrderNums = 0;

  constructor(config: SchedulerConfig, steps: number) {
    const n = checkCommon(config, steps);
    this.predictionType = predictionType(config);
    const algo = config.algorithm_type ?? 'dpmsolver++';
    if (algo !== 'dpmsolver++') throw new SchedulerConfigError(`algorithm_type '${algo}' is not supported (use dpmsolver++)`);
    const solverType = config.solver_type ?? 'midpoint';
    if (solverType !== 'midpoint') throw new SchedulerConfigError(`solver_type '${solverType}' is not supported (use midpoint)`);
    this.#order = config.solver_order ?? 2;
    if (this.#order !== 1 && this.#order !== 2) throw new SchedulerConfigError(`solver_order ${this.#order} is not supported (use 1 or 2)`);
    this.#lowerOrderFinal = config.lower_order_final ?? true;
    this.#eulerAtFinal = config.euler_at_final ?? false;
    const finalType = config.final_sigmas_type ?? 'zero';
    if (finalType !== 'zero' && finalType !== 'sigma_min') {
      throw new SchedulerConfigError(`final_sigmas_type '${finalType}' is not supported (use zero or sigma_min)`);
    }
    this.#finalZero = finalType === 'zero';
    const ac = alphasCumprod(makeBetas(config), config.rescale_betas_zero_snr === true);
    const all = trainSigmas(ac);
    const offset = config.steps_offset ?? 0;
    const sp = spacing(config, 'linspace');
    let ts: number[];
    if (sp === 'linspace') {
      ts = linspace(0, n - 1, steps + 1).map(roundHalfEven).reverse().slice(0, steps);
    } else if (sp === 'leading') {
      const ratio = Math.floor(n / (steps + 1));
      ts = Array.from({ length: steps + 1 }, (_, i) => i * ratio).reverse().slice(0, steps).map((t) => t + offset);
    } else {
      const ratio = n / steps;
      ts = [];
      for (let k = 0; k < steps; k++) ts.push(roundHalfEven(n - k * ratio) - 1);
    }
    let sigmas = ts.map((t) => interpIndex(all, t));
    if (config.use_karras_sigmas) {
      const logSigmas = all.map(Math.log);
      sigmas = karras(sigmas[sigmas.length - 1]!, sigmas[0]!, steps);
      ts = sigmas.map((s) => roundHalfEven(sigmaToT(s, logSigmas)));
    }
    const last = this.#finalZero ? 0 : Math.sqrt((1 - ac[0]!) / ac[0]!);
    this.timesteps = ts;
    this.sigmas = [...sigmas, last].map(f32);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    const sigma = this.sigmas[stepIndex]!;
    const alpha = 1 / Math.sqrt(sigma * sigma + 1);
    return mix(original, noise, alpha, sigma * alpha);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    const n = this.timesteps.length;
    const lowerOrderFinal =
      stepIndex === n - 1 && (this.#eulerAtFinal || (this.#lowerOrderFinal && n < 15) || this.#finalZero);
    // Convert the model output to a data (x0) prediction at the current sigma.
    const sigma = this.sigmas[stepIndex]!;
    const alphaS = 1 / Math.sqrt(sigma * sigma + 1);
    const sigmaS = sigma * alphaS;
    const x0 = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      x0[i] = this.predictionType === 'epsilon' ? (x - sigmaS * m) / alphaS : this.predictionType === 'v_prediction' ? alphaS * x - sigmaS * m : m;
    }
    const sigmaNext = this.sigmas[stepIndex + 1]!;
    const alphaT = 1 / Math.sqrt(sigmaNext * sigmaNext + 1);
    const sigmaT = sigmaNext * alphaT;
    const lambdaT = Math.log(alphaT) - Math.log(sigmaT);
    const lambdaS0 = Math.log(alphaS) - Math.log(sigmaS);
    const h = lambdaT - lambdaS0;
    // At sigma_next = 0, lambda_t = +inf: exp(-h) = 0 and sigma_t / sigma_s = 0, so x_t = x0.
    const ratio = sigmaT / sigmaS;
    const coef = alphaT * (Math.exp(-h) - 1);
    const out = new Float32Array(sample.length);
    const prev = this.#prev;
    const secondOrder = this.#order === 2 && this.#lowerOrderNums >= 1 && !lowerOrderFinal && prev !== undefined;
    if (!secondOrder) {
      for (let i = 0; i < out.length; i++) out[i] = ratio * sample[i]! - coef * x0[i]!;
    } else {
      const sigmaPrev = this.sigmas[stepIndex - 1]!;
      const alphaS1 = 1 / Math.sqrt(sigmaPrev * sigmaPrev + 1);
      const lambdaS1 = Math.log(alphaS1) - Math.log(sigmaPrev * alphaS1);
      const r0 = (lambdaS0 - lambdaS1) / h;
      for (let i = 0; i < out.length; i++) {
        const d0 = x0[i]!;
        const d1 = (d0 - prev[i]!) / r0;
        out[i] = ratio * sample[i]! - coef * d0 - 0.5 * coef * d1;
      }
    }
    this.#prev = x0;
    if (this.#lowerOrderNums < this.#order) this.#lowerOrderNums++;
    return out;
  }
}
