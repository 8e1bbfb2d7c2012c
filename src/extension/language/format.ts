// Pure helpers for the editor features' UI text: hover markdown, status text, outline data and
// file names. No vscode import, so test/unit/extensionFormat.test.ts runs them in plain Node.
import { nounsOf, relationLabel, type AnalyzedLine, type ParsedPrompt, type PromptObject, type Span } from '../../parser';

/** Escapes text so that markdown renders it literally (user text must never become markup). */
export function escapeMarkdown(text: string): string {
  // Backslash-escape every ASCII punctuation character markdown can give meaning to, and
  // neutralise line breaks, since a hover renders one prompt line.
  return text.replace(/[\\`*_{}[\]()<>#+\-.!|~&"':=^$]/g, '\\$&').replace(/\r?\n|\r/g, ' ');
}

/** "2 × red cat" style description of an object (count when known, attributes before the noun). */
export function objectLabel(o: PromptObject): string {
  const words = [...o.attributes.filter((a) => !o.noun.includes(a)), o.noun].join(' ');
  return o.count === null ? words : `${o.count} × ${words}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Markdown for the hover on a prompt line: its objects (noun, count, attributes, placements and
 * what each does or wears), relations, and scene (medium, style, setting, time, quoted text).
 * Every piece of user text is escaped; the result contains no HTML.
 */
export function hoverMarkdown(parsed: ParsedPrompt): string {
  const out: string[] = [];
  out.push(`**Objects** (${parsed.objects.length})`, '');
  if (parsed.objects.length === 0) out.push('_none found_');
  for (const o of parsed.objects) {
    const count = o.count === null ? 'count not stated' : plural(o.count, 'instance', 'instances');
    const attrs = o.attributes.length > 0 ? `; ${o.attributes.map(escapeMarkdown).join(', ')}` : '';
    const placed = o.placements.length > 0 ? `; placed ${o.placements.join(', ')}` : '';
    out.push(`- **${escapeMarkdown(o.noun)}** (${count}${attrs}${placed}): “${escapeMarkdown(o.phrase)}”`);
    for (const d of o.details) out.push(`  - ${escapeMarkdown(d)}`);
  }
  out.push('', `**Relations** (${parsed.relations.length})`, '');
  if (parsed.relations.length === 0) out.push('_none stated_');
  for (const r of parsed.relations) {
    out.push(`- \`${relationLabel(r, 'call', nounsOf(parsed)).replace(/`/g, "'")}\`: “${escapeMarkdown(r.phrase)}”`);
  }
  if (parsed.scene.length > 0) {
    out.push('', `**Scene** (${parsed.scene.length})`, '');
    for (const s of parsed.scene) out.push(`- ${s.kind}: “${escapeMarkdown(s.phrase)}”`);
  }
  if (parsed.diagnostics.length > 0) {
    out.push('', `**Problems** (${parsed.diagnostics.length})`, '');
    for (const d of parsed.diagnostics) out.push(`- ${d.code}: ${escapeMarkdown(d.message)}`);
  }
  return out.join('\n');
}

/** Counts behind the status-bar summary. */
export interface DocumentSummary {
  prompts: number;
  relations: number;
  problems: number;
}

export function summarize(lines: readonly AnalyzedLine[]): DocumentSummary {
  let relations = 0;
  let problems = 0;
  for (const l of lines) {
    relations += l.parsed.relations.length;
    problems += l.parsed.diagnostics.length;
  }
  return { prompts: lines.length, relations, problems };
}

/** The status-bar text, e.g. `3 prompts · 5 relations · 1 problem`. */
export function statusText(s: DocumentSummary): string {
  return [plural(s.prompts, 'prompt', 'prompts'), plural(s.relations, 'relation', 'relations'), plural(s.problems, 'problem', 'problems')].join(' · ');
}

/**
 * Outline entry for one prompt: its name, detail and children (spans relative to the prompt): the
 * objects, then the scene elements.
 */
export interface PromptSymbol {
  name: string;
  detail: string;
  children: { name: string; detail: string; span: Span; kind: 'object' | 'scene' }[];
}

const MAX_SYMBOL_NAME = 60;

export function promptSymbol(parsed: ParsedPrompt): PromptSymbol {
  const text = parsed.text.trim();
  const name = text.length > MAX_SYMBOL_NAME ? `${text.slice(0, MAX_SYMBOL_NAME - 1)}…` : text || '(empty prompt)';
  return {
    name,
    detail: `${plural(parsed.objects.length, 'object', 'objects')} · ${plural(parsed.relations.length, 'relation', 'relations')}`,
    children: [
      ...parsed.objects.map((o) => ({
        name: o.noun,
        detail: [o.count === null ? '' : `×${o.count}`, ...o.attributes, ...o.placements.map((p) => `@${p}`)].filter(Boolean).join(' '),
        span: o.span,
        kind: 'object' as const,
      })),
      ...parsed.scene.map((s) => ({ name: s.phrase, detail: s.kind, span: s.span, kind: 'scene' as const })),
    ],
  };
}

/** `scenes.prompts` → `scenes.spright.prompts` (any extension; an existing `.spright` is kept once). */
export function siblingRewritePath(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dir = path.slice(0, slash + 1);
  let base = path.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  if (dot > 0) base = base.slice(0, dot);
  if (base.endsWith('.spright')) base = base.slice(0, -'.spright'.length);
  return `${dir}${base}.spright.prompts`;
}
