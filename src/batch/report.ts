/**
 * report.html: one self-contained page (no scripts, no network): benchmark tables per variant,
 * accuracy per relation type, inline-SVG charts and a grid of thumbnails with box overlays.
 * Every piece of prompt text is user input and goes through `escapeHtml`.
 */
import { decodePng, encodeJpeg, resizeBilinear } from '../image/index';
import type { EvaluationSummary } from '../evaluate/index';
import type { RelationType } from '../parser/types';
import { judgeRecord } from './summary';
import type { BatchSummary, BestOfSummary } from './summary';
import type { BatchPrompt, FailedImage, ManifestRecord, Variant } from './types';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Options of {@link renderReport}. */
export interface ReportOptions {
  /** PNG bytes per record `file`; missing ones show as a placeholder box. */
  images: ReadonlyMap<string, Buffer>;
  title?: string;
  /** Longest side of the embedded thumbnails in pixels (default 256). */
  thumbnail?: number;
  /** The batch's prompts as the prompt files say now: headings, and rows for prompts not rendered yet. */
  prompts?: readonly BatchPrompt[];
  /** The batch's score threshold, for the per-image marks (judged like summary.json). */
  threshold?: number;
  /** Images that failed for good: listed in their own table and marked in the grid. */
  failures?: readonly FailedImage[];
}

const VARIANT_LABEL: Record<Variant, string> = { original: 'As written', rewrite: 'SPRIGHT rewrite' };
const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c'];

const fmt = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined ? '–' : v.toFixed(digits);

/**
 * A small JPEG of the image as a data URI: the page stays one self-contained file, and a
 * thumbnail costs about 10 KB instead of the 250 KB of a PNG (renders are photographs, which PNG
 * compresses badly). The full PNG is linked, never inlined.
 */
export function thumbnailUri(png: Buffer, max: number): string {
  try {
    const img = decodePng(png);
    const scale = Math.min(1, max / Math.max(img.width, img.height));
    const small =
      scale < 1
        ? resizeBilinear(img, Math.max(1, Math.round(img.width * scale)), Math.max(1, Math.round(img.height * scale)))
        : img;
    return `data:image/jpeg;base64,${encodeJpeg(small, 80).toString('base64')}`;
  } catch {
    return '';
  }
}

function metricTable(summary: BatchSummary, variants: Variant[]): string {
  const rows: Array<[string, (s: EvaluationSummary) => string]> = [
    ['VISOR OA (%)', (s) => fmt(s.visor.oa)],
    ['VISOR cond (%)', (s) => fmt(s.visor.cond)],
    ['VISOR uncond (%)', (s) => fmt(s.visor.uncond)],
    ['VISOR-1 (%)', (s) => fmt(s.visor.visor_1)],
    ['VISOR-2 (%)', (s) => fmt(s.visor.visor_2)],
    ['VISOR-3 (%)', (s) => fmt(s.visor.visor_3)],
    ['VISOR-4 (%)', (s) => fmt(s.visor.visor_4)],
    ['VISOR images', (s) => String(s.visor.images)],
    ['T2I-CompBench spatial', (s) => fmt(s.t2i_compbench.score, 4)],
    ['T2I-CompBench images', (s) => String(s.t2i_compbench.images)],
    ['GenEval position', (s) => fmt(s.geneval.score, 4)],
    ['GenEval images', (s) => String(s.geneval.images)],
  ];
  const head = variants.map((v) => `<th>${VARIANT_LABEL[v]}</th>`).join('');
  const body = rows
    .map(([name, get]) => `<tr><th scope="row">${name}</th>${variants.map((v) => `<td>${get(summary.variants[v]!)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table id="benchmarks"><thead><tr><th>Metric</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function relationTable(summary: BatchSummary, variants: Variant[], types: string[]): string {
  const head = variants
    .map((v) => `<th>${VARIANT_LABEL[v]}: n</th><th>both found</th><th>VISOR %</th><th>T2I</th><th>GenEval %</th>`)
    .join('');
  const body = types
    .map((t) => {
      const cells = variants
        .map((v) => {
          const r = summary.variants[v]!.per_relation[t as keyof EvaluationSummary['per_relation']];
          // A type asked for but never scored: every such relation names an object the detector cannot know.
          return r
            ? `<td>${r.relations}</td><td>${r.detected}</td><td>${fmt(r.visor)}</td><td>${fmt(r.t2iCompbench, 3)}</td><td>${fmt(r.geneval)}</td>`
            : '<td colspan="5" class="unscored">not scored: an object outside the detector\'s vocabulary</td>';
        })
        .join('');
      return `<tr><th scope="row">${escapeHtml(t)}</th>${cells}</tr>`;
    })
    .join('\n');
  return `<table id="relations"><thead><tr><th>Relation</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Grouped horizontal bars, one group per label, one bar per variant; values 0..100. */
function barChart(id: string, title: string, labels: string[], series: Array<{ name: string; values: Array<number | null> }>): string {
  const barH = 14;
  const groupH = series.length * barH + 10;
  const left = 130;
  const width = 520;
  const height = labels.length * groupH + 44;
  const colors = ['#4363d8', '#f58231'];
  const parts: string[] = [];
  labels.forEach((label, i) => {
    const y0 = 34 + i * groupH;
    parts.push(`<text x="${left - 6}" y="${y0 + (series.length * barH) / 2 + 4}" text-anchor="end">${escapeHtml(label)}</text>`);
    series.forEach((s, j) => {
      const v = s.values[i];
      const w = v === null ? 0 : (Math.max(0, Math.min(100, v)) / 100) * (width - left - 50);
      const y = y0 + j * barH;
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${colors[j % 2]}"><title>${escapeHtml(s.name)}: ${fmt(v)}</title></rect>`);
      parts.push(`<text x="${left + w + 4}" y="${y + barH - 4}">${fmt(v, 1)}</text>`);
    });
  });
  const legend = series.map((s, j) => `<tspan fill="${colors[j % 2]}">■ ${escapeHtml(s.name)}</tspan>`).join(' ');
  return `<figure><svg id="${id}" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-size="11"><text x="0" y="12" font-weight="bold">${escapeHtml(title)}</text><text x="0" y="26">${legend}</text>${parts.join('')}</svg></figure>`;
}

const RULE_TITLE: Record<BestOfSummary['rule'], string> = { visor: 'VISOR', 't2i-compbench': 'T2I-CompBench', geneval: 'GenEval' };

/** The best-of section: per prompt set, all relations satisfied with the chosen image against candidate 0 alone. */
function bestOfSection(b: BestOfSummary): string {
  const pctCell = (v: number | null): string => (v === null ? '–' : `${v.toFixed(1)}%`);
  const rows = b.gains
    .map((g) => {
      const gain = g.chosen_pct === null || g.seed0_pct === null ? '–' : `${g.chosen_pct - g.seed0_pct >= 0 ? '+' : ''}${(g.chosen_pct - g.seed0_pct).toFixed(1)}`;
      return `<tr><th scope="row">${escapeHtml(g.set === 'all' ? 'all prompt sets' : g.set)}</th><td>${VARIANT_LABEL[g.variant]}</td><td>${g.images}</td><td>${pctCell(g.seed0_pct)}</td><td>${pctCell(g.chosen_pct)}</td><td>${gain}</td></tr>`;
    })
    .join('\n');
  const who =
    b.picked_by === b.scored_by
      ? `Picked and scored by the same detector, ${escapeHtml(b.scored_by)}: its own misses and false boxes favour the images it picked, so <strong>the gain is an upper bound</strong>. Judge the chosen images with another detector (<code>spright-lens evaluate --prompts manifest.jsonl --detector owlvit:DIR</code>) for an unbiased figure.`
      : `Picked by ${escapeHtml(b.picked_by)}, scored by ${escapeHtml(b.scored_by)}.`;
  return `<h2>Best of ${b.n}</h2>
<p id="best-of">Each image is the best of ${b.n} candidates${b.until_satisfied ? ' (or of fewer: rendering stopped at the first that satisfied every relation)' : ''} under the ${RULE_TITLE[b.rule]} rule: relations satisfied first, then objects found, then detector confidence; ties go to the lower seed. ${b.candidates} candidates were rendered for ${b.images} images (${b.images > 0 ? (b.candidates / b.images).toFixed(2) : '0'}× the renders of a plain batch). ${who}</p>
${
  b.gains.length
    ? `<table id="best-of-gain"><thead><tr><th>Prompt set</th><th>Variant</th><th>Images judged</th><th>All relations satisfied: candidate 0 alone</th><th>chosen of ${b.n}</th><th>Gain (points)</th></tr></thead><tbody>\n${rows}\n</tbody></table>
<p>Images judged: those whose prompt has a relation the ${RULE_TITLE[b.rule]} rule scores, with objects the detector knows. Candidate 0 is the image a plain batch renders with the same seed.</p>`
    : `<p>No prompt has a relation the ${RULE_TITLE[b.rule]} rule scores: the choice rested on objects found and confidence only.</p>`
}`;
}

/** The candidates of a best-of image under its thumbnail: each with its ✓/✗ counts, linked, the chosen one marked. */
function candidateList(r: ManifestRecord): string {
  const b = r.best_of;
  if (!b) return '';
  const items = b.candidates
    .map((c, j) => {
      const s = c.score;
      const mark = `✔${s.satisfied} ✘${s.scored - s.satisfied} · ${s.found}/${s.instances} found`;
      return `<li class="${j === b.chosen ? 'chosen' : ''}"><a href="${escapeHtml(c.file)}">seed ${c.seed}</a> ${mark}${j === b.chosen ? ' ← chosen' : ''}</li>`;
    })
    .join('');
  return `<ol class="candidates" start="0">${items}</ol>`;
}

function overlay(r: ManifestRecord): string {
  // The batch asks the detector only for the prompt's objects, so every box is one of them.
  // Sized relative to the image so labels read the same at any thumbnail scale.
  const font = r.width / 22;
  return r.detections
    .map((d, i) => {
      const c = PALETTE[i % PALETTE.length];
      return `<g><rect x="${d.x}" y="${d.y}" width="${d.w}" height="${d.h}" fill="none" stroke="${c}" stroke-width="${Math.max(1, r.width / 200)}"/><text x="${d.x + 2}" y="${d.y + font}" fill="${c}" font-size="${font}">${escapeHtml(d.label)} ${d.score.toFixed(2)}</text></g>`;
    })
    .join('');
}

function cell(r: ManifestRecord | undefined, images: ReadonlyMap<string, Buffer>, thumb: number, threshold: number | undefined, failure?: FailedImage): string {
  if (!r && failure) return `<td class="img missing failed" title="${escapeHtml(failure.error)}">failed</td>`;
  if (!r) return '<td class="img missing">not rendered</td>';
  const png = images.get(r.file);
  const uri = png ? thumbnailUri(png, thumb) : '';
  const nounOf = new Map(r.eval_prompt.objects.map((o) => [o.id, o.noun]));
  // Marks re-judged from the detections, as summary.json is, not the verdicts stored at render time.
  const marks = judgeRecord(r, threshold)
    .relations
    .map((rel) => {
      const sym = rel.status === 'satisfied' ? '✔' : rel.status === 'violated' ? '✘' : rel.status === 'unknown' ? '?' : '·';
      return `<li class="${rel.status}">${sym} ${escapeHtml(nounOf.get(rel.subject) ?? rel.subject)} ${escapeHtml(rel.relation)} ${escapeHtml(nounOf.get(rel.object) ?? rel.object)}</li>`;
    })
    .join('');
  const img = uri
    ? `<image href="${uri}" x="0" y="0" width="${r.width}" height="${r.height}"/>`
    : `<rect width="${r.width}" height="${r.height}" fill="#ddd"/>`;
  return `<td class="img"><a href="${escapeHtml(r.file)}"><svg viewBox="0 0 ${r.width} ${r.height}" width="${thumb}" height="${Math.round((thumb * r.height) / r.width)}">${img}${overlay(r)}</svg></a><div class="k">k=${r.k} seed ${r.seed}${r.best_of ? ` · best of ${r.best_of.candidates.length}` : ''}</div><ul>${marks}</ul>${candidateList(r)}</td>`;
}

/** The failed images: which, why, after how many attempts (empty when none failed). */
function failureTable(failures: readonly FailedImage[]): string {
  if (failures.length === 0) return '';
  const rows = failures
    .map((f) => `<tr><td>${escapeHtml(f.file)}</td><td>${escapeHtml(f.prompt_id)}</td><td>${f.seed}</td><td>${f.attempts}</td><td class="error">${escapeHtml(f.error)}</td></tr>`)
    .join('\n');
  return `<h2>Failed images</h2>
<p>${failures.length} image${failures.length === 1 ? '' : 's'} failed every attempt and ${failures.length === 1 ? 'is' : 'are'} not in the figures above; running the batch again retries ${failures.length === 1 ? 'it' : 'them'}.</p>
<table id="failures"><thead><tr><th>Image</th><th>Prompt</th><th>Seed</th><th>Attempts</th><th>Error</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/** Renders the whole report as one HTML string. */
export function renderReport(records: readonly ManifestRecord[], summary: BatchSummary, options: ReportOptions): string {
  const thumb = options.thumbnail ?? 256;
  const variants = (['original', 'rewrite'] as const).filter((v) => summary.variants[v]);
  const title = `SPRIGHT Lens batch report${options.title ? `: ${options.title}` : ''}`;
  const p = summary.parameters;
  const params = p
    ? `model ${escapeHtml(p.model)} · ${p.steps} steps · guidance ${p.guidance} · ${p.width}×${p.height} · ${escapeHtml(p.scheduler)}${summary.detection ? ` · detector ${escapeHtml(summary.detection.detector)} at score ≥ ${summary.detection.threshold}` : ''}`
    : 'no images yet';

  const visorLabels = ['OA', 'cond', 'uncond', 'VISOR-1', 'VISOR-2', 'VISOR-3', 'VISOR-4'];
  const visorSeries = variants.map((v) => {
    const s = summary.variants[v]!.visor;
    return { name: VARIANT_LABEL[v], values: [s.oa, s.cond, s.uncond, s.visor_1, s.visor_2, s.visor_3, s.visor_4] };
  });
  // Every relation type the prompts ask for, scored or not, so that none silently drops out.
  const asked = new Set<string>(variants.flatMap((v) => Object.keys(summary.variants[v]!.per_relation)));
  for (const r of records) for (const rel of r.eval_prompt.relations) asked.add(rel.relation);
  const relTypes = [...asked].sort();
  const relSeries = variants.map((v) => ({
    name: VARIANT_LABEL[v],
    values: relTypes.map((t) => {
      const r = summary.variants[v]!.per_relation[t as RelationType];
      // VISOR where it applies; T2I's score (as %) for next_to/near.
      return r ? (r.visor ?? (r.t2iCompbench === null ? null : r.t2iCompbench * 100)) : null;
    }),
  }));

  // Grid rows: one per prompt; per variant, its k images side by side.
  const promptIds: string[] = options.prompts ? options.prompts.map((p) => p.id) : [];
  const textOf = new Map(options.prompts?.map((p) => [p.id, p.text]));
  const seen = new Set(promptIds);
  const byKey = new Map<string, ManifestRecord>();
  let maxK = 0;
  for (const r of records) {
    if (!seen.has(r.prompt_id)) {
      seen.add(r.prompt_id);
      promptIds.push(r.prompt_id);
    }
    if (!textOf.has(r.prompt_id)) textOf.set(r.prompt_id, r.prompt);
    byKey.set(`${r.variant}\u0000${r.prompt_id}\u0000${r.k}`, r);
    maxK = Math.max(maxK, r.k + 1);
  }
  const failedAt = new Map((options.failures ?? []).map((f) => [`${f.variant}\u0000${f.prompt_id}\u0000${f.k}`, f]));
  for (const f of options.failures ?? []) {
    if (!seen.has(f.prompt_id)) {
      seen.add(f.prompt_id);
      promptIds.push(f.prompt_id);
    }
    maxK = Math.max(maxK, f.k + 1);
  }
  const gridVariants: Variant[] = variants.length ? variants : [...new Set<Variant>([...(options.failures ?? []).map((f) => f.variant), 'original'])].sort();
  const grid = promptIds
    .map((id) => {
      const rw = records.find((r) => r.prompt_id === id && r.rewrite !== null)?.rewrite;
      const rows = gridVariants
        .map((v) => {
          const cells = Array.from({ length: Math.max(1, maxK) }, (_, k) =>
            cell(byKey.get(`${v}\u0000${id}\u0000${k}`), options.images, thumb, options.threshold, failedAt.get(`${v}\u0000${id}\u0000${k}`)),
          ).join('');
          return `<tr class="${v}"><th scope="row">${VARIANT_LABEL[v]}</th>${cells}</tr>`;
        })
        .join('');
      return `<section class="prompt" id="p-${escapeHtml(id)}"><h3><span class="id">#${escapeHtml(id)}</span> ${escapeHtml(textOf.get(id) ?? '')}</h3>${rw ? `<p class="rewrite">Rewrite: ${escapeHtml(rw)}</p>` : ''}<table class="grid">${rows}</table></section>`;
    })
    .join('\n');

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
table{border-collapse:collapse;margin:8px 0 20px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
thead th,tbody th{text-align:left;background:#f4f4f4}
.prompt{margin:18px 0;border-top:1px solid #ddd}.prompt h3{font-size:15px;margin:10px 0 4px}.id{color:#888}
.rewrite{color:#555;margin:0 0 6px;font-style:italic}
.grid td.img{vertical-align:top;text-align:left;border:none;padding:4px}.grid th{border:none;background:none;vertical-align:top}
.grid ul{list-style:none;margin:2px 0;padding:0;font-size:12px}.satisfied{color:#1a7f37}.violated{color:#c62828}.unknown{color:#8a6d00}.unscored{color:#777}
.candidates{font-size:11px;margin:2px 0;padding-left:22px}.candidates .chosen{font-weight:bold}
.k{font-size:11px;color:#666}.missing{color:#999}.failed{color:#c62828}td.error{text-align:left}figure{margin:8px 0}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p id="params">${params}</p>
<p>${summary.images} images of ${summary.prompts} prompts. VISOR figures in percent over two-object prompts with one left/right/above/below relation; T2I-CompBench spatial is the mean image score (0..1); GenEval position is the fraction of images with every object found and every position right.</p>
<h2>Benchmarks</h2>
${variants.length ? metricTable(summary, variants) : '<p>No images yet.</p>'}
${variants.length ? barChart('chart-visor', 'VISOR (%)', visorLabels, visorSeries) : ''}
${summary.best_of ? bestOfSection(summary.best_of) : ''}
<h2>Accuracy per relation type</h2>
${variants.length ? relationTable(summary, variants, relTypes) : ''}
${relTypes.length ? barChart('chart-relations', 'Relations satisfied (%): VISOR rule; T2I score for next_to/near', relTypes, relSeries) : ''}
${failureTable(options.failures ?? [])}
<h2>Images</h2>
<p>Boxes: detections with label and score. Marks: ✔ satisfied, ✘ violated, ? object not found, · not scored by any benchmark.</p>
${grid}
</body></html>
`;
}
