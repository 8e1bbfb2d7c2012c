/**
 * The deterministic SPRIGHT-style rewriter. SPRIGHT's captions (LLaVA asked for "2 sentences ...
 * left/right, above/below, front/behind, far/near/adjacent, inside/outside ... relative sizes")
 * name every object, say where each one is and compare sizes; a model fine-tuned on them follows
 * prompts written the same way.
 *
 * The person's own sentences come first, kept word for word (capitalised and terminated), so the
 * medium, the style, what each object does and wears, quoted text and the order things were
 * introduced all survive. After them come plain sentences that add only what the planned layout
 * knows and the prompt left open: where each object no relation places is, and relative sizes
 * (with depth words for things in the background or foreground). A
 * one-clause fragment such as "a cat to the left of a dog" gets its missing "is".
 *
 * Every rewrite checks itself before it is returned: parsed again it must keep every object,
 * count, relation and placement without a new contradiction, and it must add no structural grammar
 * issue; an added sentence that fails is left out.
 */
import { nounsOf, parsePrompt, relationLabel, SIDE_PHRASES, type ParsedPrompt, type PromptObject } from '../parser/index';
import { isKnownNoun, PLURAL_ONLY, pluralize, wordClass } from './english';
import { grammarBaseline, newGrammarIssues } from './grammar';
import { depthOf, planLayout } from './layout';
import { createRandom, hashString } from './prng';
import { sizeClass } from './sizes';
import { compareRewrite } from './roundTrip';
import type { Layout, RewriteOptions, RewriteResult } from './types';


const PLACEMENT_TEMPLATES = ['{S} {be} {P}.', '{S} {appear} {P}.', '{S} {be} placed {P}.'];
const BIGGER_TEMPLATES = ['{S} {look} bigger than {O}.', '{S} {be} larger than {O}.', '{S} {appear} larger than {O}.'];
const LOOKS_BIGGER_TEMPLATES = ['{S} {look} bigger than {O}.', '{S} {appear} larger than {O}.'];
const SMALLER_TEMPLATES = ['{S} {look} smaller than {O}.', '{S} {appear} smaller than {O}.'];
const EQUAL_TEMPLATES = ['{S} {be} about as big as {O}.', '{S} {be} about as large as {O}.', '{S} {look} about as big as {O}.'];
/** Depth and size in one sentence: what is far away is drawn smaller. */
const BACKGROUND_TEMPLATES = ['{S} in the background {look} smaller than {O}.', '{S} in the background {appear} smaller than {O}.'];
const FOREGROUND_TEMPLATES = ['{S} in the foreground {look} bigger than {O}.', '{S} in the foreground {appear} larger than {O}.'];

const VERBS: Record<string, [singular: string, plural: string]> = {
  be: ['is', 'are'],
  appear: ['appears', 'appear'],
  look: ['looks', 'look'],
};

const ORDINALS = ['', 'first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth', 'eleventh', 'twelfth'];

/** Area ratio from which the layout's sizes are worth stating as "bigger than". */
const SIZE_RATIO = 1.2;

const SIDE_RE = new RegExp(
  `\\b(?:${Object.keys(SIDE_PHRASES)
    .sort((a, b) => b.length - a.length)
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|')})\\b`,
  'gi',
);

/**
 * Whether the prompt says where something is ("on the left", "in the background") without the
 * parser's record saying what: then an added "the cat is in the center" could contradict it, so
 * the rewrite adds no placements of its own.
 */
function hasUnreadSides(parsed: ParsedPrompt): boolean {
  let sides = 0;
  for (const m of parsed.text.matchAll(SIDE_RE)) {
    if (!parsed.relations.some((r) => m.index >= r.span[0] && m.index < r.span[1])) sides++;
  }
  return sides > parsed.objects.reduce((n, o) => n + o.placements.length, 0);
}

const POSITIONAL = (relation: string): boolean => relation !== 'larger_than' && relation !== 'smaller_than';
const DETERMINER_START = /^(a|an|the|this|that|these|those|some|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|many|\d+)\s/i;

interface Mention {
  plural: boolean;
  text: string;
}

/**
 * Writes a SPRIGHT-style description of `parsed`: the prompt's own sentences plus explicit
 * placements, counts and relative sizes from the planned layout. Relations that clash (the
 * planner's minimal conflict sets) are left out of the layout, latest-stated first, and each
 * omission is explained in `notes`; the person's words stay.
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
        notes.push(`Left out ${relationLabel(parsed.relations[drop]!, 'note', nounsOf(parsed))} from the layout: it contradicts ${others.join(' and ')}. The rewrite keeps the prompt's words, so change one of them.`);
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

  const base = normalizeProse(parsed.text);
  if (!base) return { text: '', layout, notes, conflicts };
  const withVerb = fragmentWithCopula(parsed);
  const added = layout ? additions(parsed, kept, layout, random) : [];
  const text = verifiedText(parsed, withVerb === null ? [base] : [withVerb, base], added);
  return { text, layout, notes, conflicts };
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

/**
 * The prompt as sentences: whitespace tidied, stray unpaired brackets dropped, each sentence
 * capitalised and ended with a full stop. Nothing else changes; quoted text is left as written.
 */
export function normalizeProse(text: string): string {
  const flat = dropUnpairedBrackets(text).replace(/\s+/g, ' ').trim();
  if (!flat) return '';
  // Sentence ends: ., ! or ? (with any closing quote or bracket) followed by a space.
  const parts = flat.split(/(?<=[.!?]["'”’)\]]?)\s+(?=\S)/u);
  return parts
    .map((p) => {
      let s = p.replace(/[\s,;:]+$/u, '');
      if (!/[.!?]["'”’)\]]?$/u.test(s)) s += '.';
      return s.replace(/^(\p{Ll})/u, (c) => c.toUpperCase());
    })
    .join(' ');
}

/** Removes a bracket that has no partner ("on top of a [pillow"): a typo, not content. */
function dropUnpairedBrackets(text: string): string {
  if (!/[()[\]{}]/.test(text)) return text;
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const open: number[] = [];
  const drop = new Set<number>();
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(' || c === '[' || c === '{') open.push(i);
    else if (c in pairs) {
      if (open.length && text[open[open.length - 1]!] === pairs[c]) open.pop();
      else drop.add(i);
    }
  }
  for (const i of open) drop.add(i);
  if (!drop.size) return text;
  return [...text].filter((_, i) => !drop.has(i)).join('');
}

/**
 * "a cat to the left of a dog" has no verb: when the whole prompt is one subject, one relation
 * phrase and one object, the copula goes in ("A cat is to the left of a dog."). Null otherwise,
 * and when the relation phrase already starts with a verb ("sits next to").
 */
function fragmentWithCopula(parsed: ParsedPrompt): string | null {
  const text = parsed.text;
  if (parsed.relations.length !== 1 || parsed.objects.length !== 2 || parsed.scene.length > 0) return null;
  if (parsed.objects.some((o) => o.details.length > 0 || o.placements.length > 0)) return null;
  const r = parsed.relations[0]!;
  const subject = parsed.objects.find((o) => o.id === r.subject);
  const object = parsed.objects.find((o) => o.id === r.object);
  if (!subject || !object || r.object2) return null;
  const gap = (a: number, b: number): boolean => a <= b && /^\s*$/.test(text.slice(a, b));
  if (!gap(0, subject.span[0]) || !gap(subject.span[1], r.span[0]) || !gap(r.span[1], object.span[0])) return null;
  if (!/^[\s.!]*$/.test(text.slice(object.span[1]))) return null;
  const first = r.phrase.split(/\s+/)[0]!.toLowerCase();
  const c = wordClass(first);
  if ((c.verb && !c.participle) || /^(is|are|was|were|be|being|been|has|have)$/.test(first)) return null;
  // The verb agrees with the grammatical head: "a pair of scissors is", "a couple of cats are".
  const partitive = /^(a|an|one)\s+([\w-]+)\s+of\s/i.exec(subject.phrase.trim());
  const plural = partitive ? /^(couple|few|lot|lots|number|dozen)$/i.test(partitive[2]!) : isPlural(subject);
  return normalizeProse(`${text.slice(0, subject.span[1])} ${plural ? 'are' : 'is'}${text.slice(subject.span[1])}`);
}

const lastWord = (phrase: string): string => phrase.trim().split(/\s+/).pop() ?? '';

/**
 * The sentences the rewrite adds, in the order the prompt introduced the objects: a place for each
 * object nothing places, then one comparison of sizes (or of depth and size).
 */
function additions(parsed: ParsedPrompt, kept: Set<number>, layout: Layout, random: () => number): Choice[] {
  const placed = new Set<string>();
  let sizesStated = false;
  for (const i of kept) {
    const r = parsed.relations[i]!;
    if (!POSITIONAL(r.relation)) {
      sizesStated = true;
      continue;
    }
    for (const id of [r.subject, r.object, r.object2]) if (id) placed.add(id);
  }
  for (const o of parsed.objects) if (o.placements.length) placed.add(o.id);

  const sharing = new Map<string, PromptObject[]>();
  for (const o of parsed.objects) (sharing.get(o.noun) ?? sharing.set(o.noun, []).get(o.noun)!).push(o);
  // Two chairs are told apart by where the layout put them ("the chair on the left side"), when
  // that differs, otherwise by the order the prompt named them ("the first chair").
  const where = (o: PromptObject): string | undefined => {
    const w = layout.placements[o.id];
    return w === undefined ? undefined : spokenPlacement(w);
  };
  const shared = (o: PromptObject): boolean => sharing.get(o.noun)!.length > 1;
  const unique = <T>(o: PromptObject, key: (x: PromptObject) => T): boolean => key(o) !== undefined && sharing.get(o.noun)!.filter((x) => key(x) === key(o)).length === 1;
  const byPlace = (o: PromptObject): boolean => unique(o, where);
  const rank = (o: PromptObject): number => sharing.get(o.noun)!.indexOf(o) + 1;
  // An object is named again only when the name can mean nothing else and is a noun at all.
  const nameable = parsed.objects.filter((o) => where(o) !== undefined && (!shared(o) || byPlace(o) || rank(o) < ORDINALS.length) && isNounHead(o.noun));
  const mention = (o: PromptObject): Mention => {
    // Counts the prompt left open ("frogs", "red leaves") stay open: the layout draws a few, but
    // "three leaves" on a tree would change the picture the person meant.
    const plural = isPlural(o);
    const name = writtenNoun(o, plural);
    if (shared(o)) return { plural, text: byPlace(o) ? `the ${name} ${where(o)!}` : `the ${ORDINALS[rank(o)]!} ${name}` };
    return { plural, text: isProperName(o, name) ? name : `the ${name}` };
  };

  const out: Choice[] = [];
  const sayPlaces = !hasUnreadSides(parsed);
  for (const o of nameable) {
    if (!sayPlaces || placed.has(o.id) || shared(o)) continue;
    out.push(choices(random, PLACEMENT_TEMPLATES, mention(o), undefined, where(o)));
  }
  // "A tree behind a stop sign" is drawn smaller than the sign: perspective, not a mistake.
  const inFront = new Set<string>();
  const holds = new Set<string>();
  for (const i of kept) {
    const r = parsed.relations[i]!;
    if (r.relation === 'in_front_of') inFront.add(`${r.subject}>${r.object}`);
    if (r.relation === 'behind') inFront.add(`${r.object}>${r.subject}`);
    // "a dog on a bench", "a bird under an umbrella": the bench, the umbrella hold or cover it.
    if (r.relation === 'on' || r.relation === 'inside' || r.relation === 'under') holds.add(`${r.object}>${r.subject}`);
  }
  const size = sizesStated
    ? null
    : sizeSentence(nameable, layout, random, mention, (a, b) => inFront.has(`${a.id}>${b.id}`), (a, b) => holds.has(`${a.id}>${b.id}`));
  if (size) out.push(size);
  if (out.length === 0 && sayPlaces) {
    // SPRIGHT captions have at least two sentences: say where the placed objects ended up.
    for (const o of nameable) if (!shared(o)) out.push(choices(random, PLACEMENT_TEMPLATES, mention(o), undefined, where(o)));
  }
  return out;
}

/** The head noun is a noun, not an adjective or a bare participle the parser took for one. */
function isNounHead(noun: string): boolean {
  if (isKnownNoun(noun)) return true;
  const c = wordClass(lastWord(noun));
  return c.noun && !c.adjective && !c.participle;
}

/** The head noun's words as written in the phrase ("Statue of Liberty", "seats"), or null. */
function writtenHead(o: PromptObject): string | null {
  const words = o.noun.split(/\s+/).length;
  const at = o.phrase.toLowerCase().indexOf(o.noun.toLowerCase());
  if (at === -1) return null;
  const tail = o.phrase.slice(at).split(/\s+/);
  return tail.slice(0, words).join(' ');
}

function isPlural(o: PromptObject): boolean {
  const head = writtenHead(o);
  // "a pair of scissors" is one thing, but "the scissors are".
  if (PLURAL_ONLY.has(lastWord(head ?? o.noun).toLowerCase())) return true;
  if (o.count !== null) return o.count > 1;
  return head !== null ? wordClass(lastWord(head)).number === 'plural' : /s$/i.test(o.phrase.trim());
}

/**
 * The noun as the person wrote it ("Statue of Liberty" keeps its capitals), inflected for number.
 * Falls back to the parser's lower-case noun when the phrase does not contain it.
 */
function writtenNoun(o: PromptObject, plural: boolean): string {
  const head = writtenHead(o);
  if (head === null) return plural ? pluralize(o.noun) : o.noun;
  const headPlural = wordClass(lastWord(head)).number === 'plural';
  if (headPlural === plural) return head;
  // Written in the other number ("the frog" said of "three frogs"): inflect the parser's noun,
  // keeping the capitals of the written words.
  const inflected = plural ? pluralize(head) : o.noun.split(/\s+/).map((w, i) => (i < head.split(/\s+/).length - 1 ? head.split(/\s+/)[i]! : w)).join(' ');
  return inflected;
}

/** "Mount Everest", "Anubis": a capitalised name the prompt used without a determiner. */
function isProperName(o: PromptObject, name: string): boolean {
  if (DETERMINER_START.test(o.phrase.trim())) return false;
  const capitals = name.split(/\s+/).filter((w) => /^\p{Lu}/u.test(w)).length;
  return capitals > 0 && capitals === name.split(/\s+/).length && o.span[0] > 0;
}

/**
 * States relative size from the layout: the object with the largest box against the one with the
 * smallest, when they differ enough to say so, otherwise that they are about as big. An object in
 * the background or foreground carries its depth words into the comparison.
 */
function sizeSentence(
  nameable: PromptObject[],
  layout: Layout,
  random: () => number,
  mention: (o: PromptObject) => Mention,
  isInFrontOf: (a: PromptObject, b: PromptObject) => boolean,
  holds: (a: PromptObject, b: PromptObject) => boolean,
): Choice | null {
  const areas = nameable
    .map((o) => ({ o, area: Math.max(0, ...layout.boxes.filter((b) => b.objectId === o.id).map((b) => b.w * b.h)) }))
    .filter((a) => a.area > 0);
  if (areas.length < 2) return null;
  const far = areas.find((a) => depthOf(a.o) === 'background');
  const near = areas.find((a) => depthOf(a.o) === 'foreground');
  const biggest = (list: typeof areas): (typeof areas)[number] => list.reduce((a, b) => (b.area > a.area ? b : a));
  // A name that already carries its depth ("the cat in the background", told apart from another
  // cat by it) is not given the depth words twice.
  const saysDepth = (m: Mention): boolean => / in the (background|foreground)$/.test(m.text);
  if (far) {
    const other = areas.filter((a) => depthOf(a.o) !== 'background');
    if (other.length && biggest(other).area >= far.area * SIZE_RATIO) {
      const s = mention(far.o);
      return choices(random, saysDepth(s) ? SMALLER_TEMPLATES : BACKGROUND_TEMPLATES, s, mention(biggest(other).o));
    }
  }
  if (near) {
    const other = areas.filter((a) => depthOf(a.o) !== 'foreground');
    const smallest = other.length ? other.reduce((a, b) => (b.area < a.area ? b : a)) : null;
    if (smallest && near.area >= smallest.area * SIZE_RATIO) {
      const s = mention(near.o);
      return choices(random, saysDepth(s) ? BIGGER_TEMPLATES : FOREGROUND_TEMPLATES, s, mention(smallest.o));
    }
  }
  const big = biggest(areas);
  const small = areas.reduce((a, b) => (b.area < a.area ? b : a));
  if (big.area < small.area * SIZE_RATIO) {
    const [first, second] = areas;
    return choices(random, EQUAL_TEMPLATES, mention(first!.o), mention(second!.o));
  }
  // The planner draws loads smaller than their supports and fills cells by typical size, so its
  // boxes can make a remote control bigger than a cat, or a panda bigger than a waterfall where
  // both are of one size class. Only comparisons that common sense makes are said: the pair with
  // the largest area ratio whose typical sizes agree with it, or of one size class where the
  // bigger one holds the other ("a dog on a bench") or stands in front of it.
  let best: { big: (typeof areas)[number]; small: (typeof areas)[number]; ratio: number } | null = null;
  for (const a of areas) {
    for (const b of areas) {
      const ratio = a.area / b.area;
      const ca = sizeClass(a.o);
      const cb = sizeClass(b.o);
      if (ratio < SIZE_RATIO || (ca < cb ? !isInFrontOf(a.o, b.o) : ca === cb && !isInFrontOf(a.o, b.o) && !holds(a.o, b.o))) continue;
      if (!best || ratio > best.ratio) best = { big: a, small: b, ratio };
    }
  }
  if (!best) return null;
  // Smaller by nature but nearer: it looks bigger, it is not.
  const perspective = sizeClass(best.big.o) < sizeClass(best.small.o);
  return choices(random, perspective ? LOOKS_BIGGER_TEMPLATES : BIGGER_TEMPLATES, mention(best.big.o), mention(best.small.o));
}

/** One added sentence: the seeded wording, and the other wordings (filled only when needed). */
interface Choice {
  preferred: string;
  others(): string[];
}

function choices(random: () => number, templates: readonly string[], s: Mention, o?: Mention, place?: string): Choice {
  const k = Math.floor(random() * templates.length);
  return {
    preferred: fill(templates[k]!, s, o, place),
    others: () => templates.filter((_, i) => i !== k).map((t) => fill(t, s, o, place)),
  };
}

function fill(template: string, s: Mention, o?: Mention, place?: string): string {
  const out = template
    .replace('{S}', s.text)
    .replace('{O}', o?.text ?? '')
    .replace('{P}', place ?? '')
    .replace(/\{(\w+)\}/g, (_, verb: string) => VERBS[verb]?.[s.plural ? 1 : 0] ?? verb);
  return out.charAt(0).toUpperCase() + out.slice(1);
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
 * Joins the person's sentences and the added ones, keeping only what checks out: parsed again the
 * text keeps every object, count, relation and placement without a new contradiction, and adds no
 * structural grammar issue. `bases` are tried in order (the copula version first); an added
 * sentence whose wordings all fail is left out.
 */
function verifiedText(parsed: ParsedPrompt, bases: string[], added: Choice[]): string {
  // A record that did not come from this parser (built by hand, or by a newer parser) may hold
  // more than the parser reads back; then the additions must keep the parser's own reading.
  let own: ParsedPrompt | undefined;
  const keeps = (back: ParsedPrompt): boolean => compareRewrite(parsed, back).ok || compareRewrite((own ??= parsePrompt(parsed.text)), back).ok;
  const baseline = grammarBaseline(parsed.text);
  const ok = (text: string): boolean => keeps(parsePrompt(text)) && newGrammarIssues(baseline, text).length === 0;
  const join = (base: string, extra: string[]): string => [base, ...extra].join(' ');
  const preferred = added.map((c) => c.preferred);
  for (const base of bases) if (ok(join(base, preferred))) return join(base, preferred);
  const base = bases.find((b) => ok(b)) ?? bases[bases.length - 1]!;
  const keep: string[] = [];
  for (const choice of added) {
    const good = [choice.preferred, ...choice.others()].find((sentence) => ok(join(base, [...keep, sentence])));
    if (good) keep.push(good);
  }
  return join(base, keep);
}
