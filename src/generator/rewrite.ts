/**
 * The deterministic SPRIGHT-style rewriter. SPRIGHT's captions (LLaVA asked for "2 sentences ...
 * left/right, above/below, front/behind, far/near/adjacent, inside/outside ... relative sizes")
 * name every object, say where each one is relative to the others and compare sizes; a model
 * fine-tuned on them follows prompts written the same way. This module writes such a description
 * from the parser's record and the planned layout, choosing among several phrasings per relation
 * with a seeded PRNG so the text is varied but repeatable.
 */
import { nounsOf, relationLabel, type ParsedPrompt, type PromptObject, type PromptRelation, type RelationType } from '../parser/index';
import { planLayout } from './layout';
import { createRandom, hashString, pick } from './prng';
import type { Layout, RewriteOptions, RewriteResult } from './types';

/** `{S}` subject, `{O}` object, `{O2}` second object; `{be}`/`{sit}`... agree with the subject. */
const TEMPLATES: Record<RelationType, readonly string[]> = {
  left_of: ['{S} {be} to the left of {O}.', '{S} {sit} on the left side of {O}.', 'To the left of {O} {be} {S}.', '{S} {be} positioned to the left of {O}.'],
  right_of: ['{S} {be} to the right of {O}.', '{S} {sit} on the right side of {O}.', 'To the right of {O} {be} {S}.', '{S} {be} positioned to the right of {O}.'],
  above: ['{S} {be} above {O}.', '{S} {be} located above {O}.', 'Above {O} {be} {S}.', '{S} {appear} above {O}.'],
  below: ['{S} {be} below {O}.', '{S} {be} located below {O}.', 'Below {O} {be} {S}.', '{S} {appear} below {O}.'],
  on: ['{S} {be} on top of {O}.', '{S} {rest} on top of {O}.', '{S} {sit} on top of {O}.'],
  under: ['{S} {be} under {O}.', '{S} {be} underneath {O}.', '{S} {sit} beneath {O}.'],
  in_front_of: ['{S} {be} in front of {O}.', '{S} {be} placed in front of {O}.', 'In front of {O} {be} {S}.'],
  behind: ['{S} {be} behind {O}.', '{S} {sit} behind {O}.', 'Behind {O} {be} {S}.', '{S} {be} partly hidden behind {O}.'],
  next_to: ['{S} {be} next to {O}.', '{S} {sit} beside {O}.', '{S} {be} adjacent to {O}.'],
  near: ['{S} {be} near {O}.', '{S} {be} close to {O}.', '{S} {sit} near {O}.'],
  far_from: ['{S} {be} far from {O}.', '{S} {be} far away from {O}.', '{S} {be} located far from {O}.'],
  inside: ['{S} {be} inside {O}.', '{S} {sit} inside {O}.', '{S} {be} within {O}.'],
  outside: ['{S} {be} outside {O}.', '{S} {be} outside of {O}.', '{S} {be} located outside {O}.'],
  between: ['{S} {be} between {O} and {O2}.', '{S} {sit} between {O} and {O2}.', 'Between {O} and {O2} {be} {S}.'],
  around: ['{S} {be} around {O}.', '{S} {be} arranged around {O}.', '{S} {be} placed around {O}.'],
  larger_than: ['{S} {be} larger than {O}.', '{S} {be} bigger than {O}.', '{S} {look} bigger than {O}.'],
  smaller_than: ['{S} {be} smaller than {O}.', '{S} {look} smaller than {O}.', '{S} {be} tinier than {O}.'],
};

/** The same shape without a second object: "between two trees" names both sides at once. */
const BETWEEN_ONE = ['{S} {be} between {O}.', '{S} {sit} between {O}.', 'Between {O} {be} {S}.'];

const PLACEMENT_TEMPLATES = ['{S} {be} {P}.', '{S} {appear} {P}.', '{S} {be} placed {P}.'];
const SIZE_TEMPLATES = ['{S} {look} bigger than {O}.', '{S} {be} larger than {O}.', '{S} {appear} larger than {O}.'];

const VERBS: Record<string, [singular: string, plural: string]> = {
  be: ['is', 'are'],
  sit: ['sits', 'sit'],
  rest: ['rests', 'rest'],
  appear: ['appears', 'appear'],
  look: ['looks', 'look'],
};

const ORDINALS = ['', 'first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth', 'eleventh', 'twelfth'];
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

/** Area ratio from which the layout's sizes are worth stating as "bigger than". */
const SIZE_RATIO = 1.2;

const IRREGULAR_PLURALS: Record<string, string> = {
  person: 'people',
  man: 'men',
  woman: 'women',
  child: 'children',
  mouse: 'mice',
  goose: 'geese',
  foot: 'feet',
  tooth: 'teeth',
  ox: 'oxen',
  knife: 'knives',
  leaf: 'leaves',
  wolf: 'wolves',
  shelf: 'shelves',
  loaf: 'loaves',
  calf: 'calves',
  half: 'halves',
  scarf: 'scarves',
  cactus: 'cacti',
  fungus: 'fungi',
  potato: 'potatoes',
  tomato: 'tomatoes',
  hero: 'heroes',
};
const SAME_PLURAL = new Set(['sheep', 'deer', 'fish', 'bison', 'moose', 'skis', 'scissors', 'glasses', 'pants', 'aircraft', 'salmon', 'trout', 'shrimp']);

/** English plural of a (possibly multi-word) noun: the last word inflects ("wine glasses"). */
export function pluralize(noun: string): string {
  const words = noun.split(' ');
  const last = words.pop() ?? '';
  const lower = last.toLowerCase();
  let plural: string;
  if (IRREGULAR_PLURALS[lower]) plural = IRREGULAR_PLURALS[lower];
  else if (SAME_PLURAL.has(lower)) plural = last;
  else if (/(s|x|z|ch|sh)$/i.test(last)) plural = `${last}es`;
  else if (/[^aeiou]y$/i.test(last)) plural = `${last.slice(0, -1)}ies`;
  else plural = `${last}s`;
  return [...words, plural].join(' ');
}

/** "a" or "an" before `word` (by its sound, approximated from its spelling). */
export function article(word: string): 'a' | 'an' {
  const w = word.toLowerCase();
  if (/^(hour|honest|honou?r|heir)/.test(w)) return 'an';
  if (/^(uni|use|usu|ure|eu|one|once)/.test(w)) return 'a';
  return /^[aeiou]/.test(w) ? 'an' : 'a';
}

interface Mention {
  plural: boolean;
  text: string;
}

/**
 * Writes a SPRIGHT-style description of `parsed`. Relations that clash (the planner's minimal
 * conflict sets) are left out, latest-stated first, and each omission is explained in `notes`.
 */
export function rewritePrompt(parsed: ParsedPrompt, options: RewriteOptions = {}): RewriteResult {
  const notes: string[] = [];
  const random = createRandom((hashString(parsed.text) ^ (options.seed ?? 0)) >>> 0);
  const kept = new Set(parsed.relations.map((_, i) => i).filter((i) => relationIsUsable(parsed, i, notes)));

  const conflicts: number[][] = [];
  let layout: Layout | null = options.layout ?? null;
  if (!layout && parsed.objects.length) {
    for (let guard = 0; guard <= parsed.relations.length; guard++) {
      const keptList = [...kept];
      const sub: ParsedPrompt = { ...parsed, relations: keptList.map((i) => parsed.relations[i]!) };
      const planned = planLayout(sub, { seed: options.seed, width: options.width, height: options.height });
      if (planned.ok) {
        // Report checks against the caller's relation indices.
        layout = { ...planned.layout, checks: planned.layout.checks.map((c) => ({ ...c, relation: keptList[c.relation]! })) };
        break;
      }
      for (const conflict of planned.conflicts) {
        const original = conflict.map((i) => keptList[i]!);
        conflicts.push(original);
        const drop = Math.max(...original);
        if (!kept.delete(drop)) continue;
        const others = original.filter((i) => i !== drop).map((i) => relationLabel(parsed.relations[i]!, 'note', nounsOf(parsed)));
        notes.push(`Left out ${relationLabel(parsed.relations[drop]!, 'note', nounsOf(parsed))}: it contradicts ${others.join(' and ')}.`);
      }
    }
  }
  if (layout) {
    for (const c of layout.checks) {
      if (!c.satisfied && kept.has(c.relation)) {
        const why = [c.visor === false ? 'VISOR' : '', c.geneval === false ? 'GenEval' : '', c.t2i !== null && c.t2i < 1 ? `T2I-CompBench (score ${c.t2i.toFixed(2)})` : '']
          .filter(Boolean)
          .join(', ');
        notes.push(`The planned layout cannot fully satisfy ${relationLabel(parsed.relations[c.relation]!, 'note', nounsOf(parsed))}${why ? ` under ${why}` : ''}; other relations pull the objects apart.`);
      }
    }
    for (const o of parsed.objects) {
      const drawn = layout.boxes.filter((b) => b.objectId === o.id).length;
      if (o.count !== null && o.count > drawn && drawn > 0) notes.push(`The layout draws ${drawn} of the ${o.count} ${pluralize(o.noun)}.`);
    }
  }

  const mentioned = new Set<string>();
  const objectById = new Map(parsed.objects.map((o) => [o.id, o]));
  // Objects that share a noun ("a chair to the right of a chair") need ordinals to stay apart.
  const rank = new Map<string, number>();
  const sharing = new Map<string, number>();
  for (const o of parsed.objects) {
    sharing.set(o.noun, (sharing.get(o.noun) ?? 0) + 1);
    rank.set(o.id, sharing.get(o.noun)!);
  }
  const mention = (id: string | undefined): Mention => {
    const o = id === undefined ? undefined : objectById.get(id);
    if (!o) return { plural: false, text: 'it' };
    const plural = isPlural(o);
    const shared = sharing.get(o.noun)! > 1;
    const k = rank.get(o.id)!;
    if (mentioned.has(o.id)) {
      const ordinal = shared && k < ORDINALS.length ? `${ORDINALS[k]} ` : '';
      return { plural, text: `the ${ordinal}${plural ? pluralize(o.noun) : o.noun}` };
    }
    mentioned.add(o.id);
    const first = firstMention(o);
    return { plural, text: shared && k > 1 && /^an? /.test(first) ? first.replace(/^an? /, 'another ') : first };
  };

  const sameNoun = (a: string, b: string | undefined): boolean => b !== undefined && objectById.get(a)?.noun === objectById.get(b)?.noun;
  const sentences: string[] = [];
  const placed = new Set<string>();
  for (const i of kept) {
    const r = parsed.relations[i]!;
    const positional = r.relation !== 'larger_than' && r.relation !== 'smaller_than';
    if (positional) for (const id of [r.subject, r.object, r.object2]) if (id) placed.add(id);
    sentences.push(relationSentence(r, random, mention, sameNoun));
  }
  // Objects no relation places get an explicit spot from the layout.
  for (const o of parsed.objects) {
    if (placed.has(o.id)) continue;
    const where = spokenPlacement(layout?.placements[o.id] ?? 'in the center');
    sentences.push(fill(pick(random, PLACEMENT_TEMPLATES), mention(o.id), undefined, undefined, where));
  }
  const sizeSentence = relativeSizes(parsed, kept, layout, random, mention);
  if (sizeSentence) sentences.push(sizeSentence);
  if (!sizeSentence && layout) {
    // No size difference to state: say where the related objects sit instead, so the text still
    // has two sentences and places everything explicitly.
    for (const o of parsed.objects) {
      if (!placed.has(o.id) || !layout.placements[o.id]) continue;
      sentences.push(fill(pick(random, PLACEMENT_TEMPLATES), mention(o.id), undefined, undefined, spokenPlacement(layout.placements[o.id]!)));
    }
  }
  if (sentences.length === 1 && parsed.objects.length === 1) {
    // SPRIGHT captions have at least two sentences; a lone object is framed in the middle.
    sentences.push(fill(pick(random, ['{S} {be} in the middle of the frame.', '{S} {sit} in the middle of the picture.']), mention(parsed.objects[0]!.id)));
  }
  return { text: sentences.join(' '), layout, notes, conflicts };
}

function relationIsUsable(parsed: ParsedPrompt, i: number, notes: string[]): boolean {
  const r = parsed.relations[i]!;
  const ids = [r.subject, r.object, ...(r.object2 ? [r.object2] : [])];
  const missing = ids.filter((id) => !parsed.objects.some((o) => o.id === id));
  if (missing.length) {
    notes.push(`Left out relation ${i} ("${r.phrase}"): it refers to unknown object id ${missing.join(', ')}.`);
    return false;
  }
  return true;
}

function isPlural(o: PromptObject): boolean {
  return o.count === null ? /s$/.test(o.phrase.trim()) : o.count > 1;
}

/** "two red cats", "an old wooden table", "some apples": count and attributes, as SPRIGHT names them. */
function firstMention(o: PromptObject): string {
  const attrs = o.attributes.filter((a) => a && !o.noun.split(' ').includes(a));
  const body = [...attrs, o.count !== null && o.count > 1 ? pluralize(o.noun) : o.noun].join(' ');
  if (o.count === null) return isPlural(o) ? `some ${[...attrs, pluralize(o.noun)].join(' ')}` : `${article(body)} ${body}`;
  if (o.count <= 1) return `${article(body)} ${body}`;
  return `${o.count < NUMBER_WORDS.length ? NUMBER_WORDS[o.count] : String(o.count)} ${body}`;
}

function relationSentence(
  r: PromptRelation,
  random: () => number,
  mention: (id: string | undefined) => Mention,
  sameNoun: (a: string, b: string | undefined) => boolean,
): string {
  const twoSided = r.relation === 'between' && !r.object2;
  let templates = twoSided ? BETWEEN_ONE : TEMPLATES[r.relation];
  // With two objects of one noun, "another" must come second: keep the subject first.
  if (sameNoun(r.subject, r.object) || sameNoun(r.subject, r.object2)) templates = templates.filter((t) => t.startsWith('{S}'));
  const template = pick(random, templates);
  // Mention order follows the sentence so the first, full naming comes first in the text.
  const order = ['{S}', '{O}', '{O2}'].sort((a, b) => template.indexOf(a) - template.indexOf(b));
  const got: Record<string, Mention | undefined> = {};
  for (const slot of order) {
    if (!template.includes(slot)) continue;
    got[slot] = mention(slot === '{S}' ? r.subject : slot === '{O}' ? r.object : r.object2);
  }
  return fill(template, got['{S}']!, got['{O}'], got['{O2}']);
}

function fill(template: string, s: Mention, o?: Mention, o2?: Mention, place?: string): string {
  let out = template
    .replace('{S}', s.text)
    .replace('{O2}', o2?.text ?? '')
    .replace('{O}', o?.text ?? '')
    .replace('{P}', place ?? '')
    .replace(/\{(\w+)\}/g, (_, verb: string) => VERBS[verb]?.[s.plural ? 1 : 0] ?? verb);
  out = out.charAt(0).toUpperCase() + out.slice(1);
  return out;
}

/**
 * Placement words the parser reads as absolute sides: "at the top on the left" rather than "in the
 * top left corner" (which would read "corner" as an object).
 */
function spokenPlacement(words: string): string {
  const corner = /^in the (top|bottom) (left|right) corner$/.exec(words);
  return corner ? `at the ${corner[1]} on the ${corner[2]}` : words;
}

/**
 * States relative size from the layout when the prompt did not: the object with the largest box
 * against the one with the smallest, when they differ enough to say so.
 */
function relativeSizes(
  parsed: ParsedPrompt,
  kept: Set<number>,
  layout: Layout | null,
  random: () => number,
  mention: (id: string | undefined) => Mention,
): string | null {
  if (!layout || parsed.objects.length < 2) return null;
  if ([...kept].some((i) => parsed.relations[i]!.relation === 'larger_than' || parsed.relations[i]!.relation === 'smaller_than')) return null;
  const areas = parsed.objects
    .map((o) => ({ id: o.id, area: Math.max(0, ...layout.boxes.filter((b) => b.objectId === o.id).map((b) => b.w * b.h)) }))
    .filter((a) => a.area > 0);
  if (areas.length < 2) return null;
  const big = areas.reduce((a, b) => (b.area > a.area ? b : a));
  const small = areas.reduce((a, b) => (b.area < a.area ? b : a));
  // Equal sizes have no wording the parser reads without inventing an object ("equally big").
  if (big.area < small.area * SIZE_RATIO) return null;
  return fill(pick(random, SIZE_TEMPLATES), mention(big.id), mention(small.id));
}
