/**
 * parsePrompt: objects, spatial relations and problems of one prompt.
 *
 * Three linear passes: tokenise; group tokens into lexicon phrases (longest match in a trie) and
 * noun phrases (compromise's lexicon for word classes, our rules for context); then walk the
 * phrases with a small state machine that attaches relation phrases to subjects and objects,
 * including fronted phrases ("Beneath the table, a cat"), back-references and absolute sides.
 */
import { findConflicts } from './conflicts';
import { idsOf, relationLabel } from './labels';
import {
  COUNT_PHRASES,
  COUNT_WORDS,
  DEFINITE_WORDS,
  FRAME_NOUNS,
  INTENSIFIERS,
  MULTI_WORD_NOUNS,
  PICTURE_NOUNS,
  PRONOUNS,
  SCENE_NOUNS,
  SIDE_PHRASES,
  SPATIAL_PHRASES,
  UNKNOWN_RELATION_PHRASES,
  VAGUE_PHRASES,
  type AbsoluteSide,
} from './lexicon';
import type { ParsedPrompt, PromptDiagnostic, PromptObject, PromptRelation, RelationType, Span } from './types';
import { wordInfo } from './words';

/**
 * Only this many characters of a prompt are analysed; the rest gets an information diagnostic.
 * Text-to-image encoders read 77 tokens, so real prompts are far shorter; the cap keeps a 1 MB
 * line or a binary file from costing more than a long prompt.
 */
export const MAX_ANALYZED_CHARS = 4000;

interface Token {
  lower: string;
  start: number;
  end: number;
  punct: boolean;
}

type Entry =
  | { kind: 'rel'; relation: RelationType; swap: boolean; poss: boolean }
  | { kind: 'side'; side: AbsoluteSide }
  | { kind: 'vague' }
  | { kind: 'unknown' }
  | { kind: 'noun'; noun: string; plural: boolean }
  | { kind: 'count'; count: number | null }
  | { kind: 'skip' };

interface TrieNode {
  next: Map<string, TrieNode>;
  entry?: Entry;
}

const POSS = new Set(['its', 'his', 'her', 'their']);
const PLURAL_PRONOUNS = new Set(['they', 'them', 'their', 'themselves']);
const MALE_PRONOUNS = new Set(['he', 'him', 'his']);
const FEMALE_PRONOUNS = new Set(['she', 'her', 'hers']);
const MALE = /\b(man|boy|king|prince|father|dad|gentleman|guy|husband|son|brother|uncle|grandfather|knight|monk|wizard)$/;
const FEMALE = /\b(woman|girl|queen|princess|mother|mom|lady|wife|daughter|sister|aunt|grandmother|witch|nun)$/;

function buildTrie(): TrieNode {
  const root: TrieNode = { next: new Map() };
  const add = (phrase: string, entry: Entry): void => {
    let node = root;
    for (const w of phrase.split(' ')) {
      let child = node.next.get(w);
      if (!child) node.next.set(w, (child = { next: new Map() }));
      node = child;
    }
    // The first list to claim a phrase wins; the lists are disjoint except by design.
    node.entry ??= entry;
  };
  for (const [p, v] of Object.entries(SPATIAL_PHRASES)) {
    add(p, { kind: 'rel', relation: v.relation, swap: v.swap === true, poss: p.includes('<poss>') });
  }
  for (const [p, side] of Object.entries(SIDE_PHRASES)) add(p, { kind: 'side', side });
  for (const p of UNKNOWN_RELATION_PHRASES) add(p, { kind: 'unknown' });
  for (const p of VAGUE_PHRASES) if (p !== 'and' && p !== 'with') add(p, { kind: 'vague' });
  for (const n of MULTI_WORD_NOUNS) {
    add(n, { kind: 'noun', noun: n, plural: false });
    add(/(s|x|ch|sh)$/.test(n) ? `${n}es` : `${n}s`, { kind: 'noun', noun: n, plural: true });
  }
  for (const [p, count] of Object.entries(COUNT_PHRASES)) add(p, { kind: 'count', count });
  for (const p of STYLE_PHRASES) add(p, { kind: 'skip' });
  return root;
}

// Phrases whose following noun phrase names a style or an author, not an object in the picture.
const STYLE_PHRASES = ['in the style of', 'in style of', 'in the manner of', 'style of', 'inspired by', 'art by', 'artwork by', 'by artist', 'trending on'];
const TRIE = buildTrie();
const DEFINITE = new Set(DEFINITE_WORDS);
const PRONOUN_SET = new Set(PRONOUNS);
const INTENSIFIER_SET = new Set(INTENSIFIERS);
const FRAMES = new Set(FRAME_NOUNS);
const PICTURES = new Set(PICTURE_NOUNS);
const SCENES = new Set(SCENE_NOUNS);
const SENTENCE_END = new Set(['.', ';', '!', '?']);
// Participles after which "by" names an author or cause, not a place ("painted by", "made by").
const BY_AGENT = /^(painted|drawn|made|created|taken|shot|photographed|illustrated|inspired|designed|rendered|written|directed|generated|art|artwork|photo|painting|drawing)$/;

const TOKEN_RE = /[\p{L}\p{M}\p{N}]+(?:-[\p{L}\p{M}\p{N}]+)*|['’]s(?![\p{L}\p{N}])|[.,;:!?]/gu;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(text); m !== null; m = TOKEN_RE.exec(text)) {
    const raw = m[0];
    const punct = raw.length === 1 && /[.,;:!?]/.test(raw);
    tokens.push({ lower: raw.toLowerCase().replace('’', "'"), start: m.index, end: m.index + raw.length, punct });
  }
  return tokens;
}

/** Longest lexicon phrase starting at token i. */
function matchPhrase(tokens: Token[], i: number): { entry: Entry; length: number } | null {
  let node: TrieNode | undefined = TRIE;
  let best: { entry: Entry; length: number } | null = null;
  for (let j = i; j < tokens.length && node; j++) {
    const w = tokens[j].lower;
    if (tokens[j].punct) break;
    const next: TrieNode | undefined = node.next.get(w) ?? (POSS.has(w) ? node.next.get('<poss>') : undefined);
    node = next;
    if (node?.entry) best = { entry: node.entry, length: j - i + 1 };
  }
  return best;
}

type Item =
  | { k: 'np'; obj: number; start: number; end: number }
  | { k: 'pron'; word: string; start: number; end: number }
  | { k: 'rel'; relation: RelationType; swap: boolean; pronoun: string | null; phrase: string; span: Span }
  | { k: 'side'; side: AbsoluteSide; phrase: string; span: Span }
  | { k: 'unknown'; phrase: string; span: Span }
  | { k: 'vague'; phrase: string; span: Span }
  | { k: 'and' }
  | { k: 'comma' }
  | { k: 'stop' };

interface NounPhrase {
  next: number;
  noun: string;
  plural: boolean;
  count: number | null;
  attributes: string[];
  definite: boolean;
  bare: boolean;
  start: number;
  end: number;
  frame: boolean;
}

interface Candidate {
  words: string[];
  noun: boolean;
  attribute: boolean;
  plural: boolean;
  singular: string;
  multi: boolean;
}

/** Reads one noun phrase at token i, or null when none starts there. */
function readNounPhrase(tokens: Token[], i: number): NounPhrase | null {
  let j = i;
  let count: number | null | undefined;
  let definite = false;
  let determiner = false;
  for (; j < tokens.length && !tokens[j].punct; ) {
    const m = matchPhrase(tokens, j);
    if (m?.entry.kind === 'count') {
      count = m.entry.count;
      determiner = true;
      j += m.length;
      continue;
    }
    if (m) break;
    const w = tokens[j].lower;
    const following = tokens[j + 1];
    if (DEFINITE.has(w) || (POSS.has(w) && following && !following.punct && startsContent(following.lower))) {
      definite = true;
      determiner = true;
      j++;
      continue;
    }
    if (w === 'another' || w === 'other' || w === 'each' || w === 'every') {
      determiner = true;
      j++;
      continue;
    }
    if (w in COUNT_WORDS && !(w === 'set' || w === 'row' || w === 'pack' || w === 'stack' || w === 'pile')) {
      count = COUNT_WORDS[w];
      determiner = true;
      j++;
      continue;
    }
    if (/^\p{N}+$/u.test(w)) {
      const n = Number.parseInt(w, 10);
      count = Number.isSafeInteger(n) ? n : null;
      determiner = true;
      j++;
      continue;
    }
    break;
  }

  const cands: Candidate[] = [];
  let lastEnd = j > i ? tokens[j - 1].end : tokens[i].start;
  for (; j < tokens.length && !tokens[j].punct; ) {
    const m = matchPhrase(tokens, j);
    if (m) {
      if (m.entry.kind !== 'noun') break;
      cands.push({ words: [m.entry.noun], noun: true, attribute: false, plural: m.entry.plural, singular: m.entry.noun, multi: true });
      lastEnd = tokens[j + m.length - 1].end;
      j += m.length;
      continue;
    }
    const w = tokens[j].lower;
    if (PRONOUN_SET.has(w) || DEFINITE.has(w) || w in COUNT_WORDS) break;
    if (INTENSIFIER_SET.has(w)) {
      // "right next to", "directly above": the adverb belongs to the relation that follows.
      const after = matchPhrase(tokens, j + 1)?.entry.kind;
      if (after === 'rel' || after === 'side' || after === 'unknown') break;
    }
    const info = wordInfo(w);
    const hasNoun = cands.some((c) => c.noun);
    if (info.link && !info.attribute) {
      // "a standing man": a participle before any noun is a modifier; after the noun, a verb.
      if (hasNoun || !/(ing|ed)$/.test(w) || !tokens[j + 1] || !wordInfo(tokens[j + 1].lower).noun) break;
      cands.push({ words: [w], noun: false, attribute: true, plural: false, singular: w, multi: false });
    } else if (info.func && !info.noun) {
      if (INTENSIFIER_SET.has(w) && !hasNoun && tokens[j + 1] && wordInfo(tokens[j + 1].lower).adjective) {
        j++;
        continue;
      }
      break;
    } else if (info.noun) {
      // After a noun, an unknown plural-looking word is usually a verb ("a dog barks").
      if (hasNoun && info.plural && !info.attribute && (info.verb || !isKnownNounish(w))) break;
      cands.push({ words: [w], noun: true, attribute: info.attribute, plural: info.plural, singular: info.singular, multi: false });
    } else if (info.verb || info.adjective) {
      if (hasNoun) break;
      cands.push({ words: [w], noun: false, attribute: info.attribute || info.adjective, plural: false, singular: w, multi: false });
    } else {
      break;
    }
    lastEnd = tokens[j].end;
    j++;
  }
  if (cands.length === 0) return null;
  // Without a determiner, a run of adjectives ("highly detailed") names nothing.
  if (!determiner && !cands.some((c) => c.noun)) return null;

  let head = cands.length - 1;
  for (let c = cands.length - 1; c >= 0; c--) {
    if (cands[c].noun) {
      head = c;
      break;
    }
  }
  let compoundStart = head;
  while (compoundStart > 0) {
    const prev = cands[compoundStart - 1];
    if (!prev.noun || prev.attribute || prev.multi || cands[compoundStart].multi) break;
    compoundStart--;
  }
  const h = cands[head];
  const nounWords = cands.slice(compoundStart, head).map((c) => c.words.join(' '));
  nounWords.push(h.plural ? h.singular : h.words.join(' '));
  const noun = nounWords.join(' ');
  const attributes = cands.slice(0, compoundStart).map((c) => c.words.join(' '));
  let resolved: number | null;
  if (count !== undefined) resolved = count;
  else resolved = h.plural ? null : 1;
  return {
    next: j,
    noun,
    plural: h.plural,
    count: resolved,
    attributes,
    definite,
    bare: !determiner,
    start: tokens[i].start,
    end: lastEnd,
    frame: FRAMES.has(noun) && compoundStart === head,
  };
}

function startsContent(w: string): boolean {
  const info = wordInfo(w);
  return (info.noun || info.adjective || info.verb) && !info.func;
}

function isKnownNounish(w: string): boolean {
  const info = wordInfo(w);
  return info.noun && !info.verb;
}

function idFor(noun: string): string {
  const base = noun
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
  return base.length > 0 ? base.slice(0, 40) : 'object';
}

interface SidePlacement {
  obj: number;
  side: AbsoluteSide;
  phrase: string;
  span: Span;
}

/** Parses one prompt. Pure, deterministic, linear in the text; never throws. */
export function parsePrompt(text: string): ParsedPrompt {
  try {
    return parseUnsafe(typeof text === 'string' ? text : String(text));
  } catch (err) {
    // A bug must not take down the editor or a batch run: report it on the prompt instead.
    const t = typeof text === 'string' ? text : '';
    return {
      text: t,
      objects: [],
      relations: [],
      scene: [],
      diagnostics: [
        {
          code: 'internal-error',
          severity: 'information',
          message: `internal parser error (${(err as Error).message}); this prompt was not analysed, please report it`,
          span: [0, t.length],
        },
      ],
    };
  }
}

function parseUnsafe(text: string): ParsedPrompt {
  const analysed = text.length > MAX_ANALYZED_CHARS ? text.slice(0, MAX_ANALYZED_CHARS) : text;
  const tokens = tokenize(analysed);
  const objects: PromptObject[] = [];
  const diagnostics: PromptDiagnostic[] = [];
  const usedIds = new Set<string>();
  const latestByNoun = new Map<string, number>();
  const items: Item[] = [];

  const addObject = (np: NounPhrase): number => {
    const existing = latestByNoun.get(np.noun);
    if (existing !== undefined && (np.definite || np.bare)) return existing;
    const base = idFor(np.noun);
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}_${n}`;
    usedIds.add(id);
    objects.push({
      id,
      noun: np.noun,
      phrase: text.slice(np.start, np.end),
      count: np.count,
      attributes: np.attributes,
      placements: [],
      details: [],
      span: [np.start, np.end],
    });
    latestByNoun.set(np.noun, objects.length - 1);
    return objects.length - 1;
  };

  // Pass 2: tokens -> items.
  for (let i = 0; i < tokens.length; ) {
    const t = tokens[i];
    if (t.punct) {
      items.push(t.lower === ',' || t.lower === ':' ? { k: 'comma' } : SENTENCE_END.has(t.lower) ? { k: 'stop' } : { k: 'comma' });
      i++;
      continue;
    }
    const m = matchPhrase(tokens, i);
    if (m?.entry.kind === 'skip') {
      i += m.length;
      const named = readNounPhrase(tokens, i);
      if (named) i = named.next;
      continue;
    }
    if (m && m.entry.kind !== 'noun' && m.entry.kind !== 'count') {
      const last = tokens[i + m.length - 1];
      const span: Span = [t.start, last.end];
      const phrase = text.slice(span[0], span[1]);
      const e = m.entry;
      if (e.kind === 'rel') {
        const prev = i > 0 ? tokens[i - 1].lower : '';
        const after = tokens[i + m.length];
        const isAgentBy = t.lower === 'by' && m.length === 1 && BY_AGENT.test(prev);
        const isNumeric = after !== undefined && /^\p{N}/u.test(after.lower) && (t.lower === 'around' || t.lower === 'over');
        if (isAgentBy || isNumeric) {
          i += m.length;
          // "a painting by Monet": the author is not an object in the picture.
          const agent = isAgentBy ? readNounPhrase(tokens, i) : null;
          if (agent) i = agent.next;
          continue;
        }
        let pronoun: string | null = null;
        if (e.poss) for (let k = i; k < i + m.length; k++) if (POSS.has(tokens[k].lower)) pronoun = tokens[k].lower;
        items.push({ k: 'rel', relation: e.relation, swap: e.swap, pronoun, phrase, span });
      } else if (e.kind === 'side') {
        items.push({ k: 'side', side: e.side, phrase, span });
      } else if (e.kind === 'unknown') {
        items.push({ k: 'unknown', phrase, span });
      } else {
        items.push({ k: 'vague', phrase, span });
      }
      i += m.length;
      continue;
    }
    // "to the northwest of": a spatial-looking frame we have no entry for.
    if ((t.lower === 'to' || t.lower === 'at') && tokens[i + 1]?.lower === 'the' && tokens[i + 3]?.lower === 'of' && !tokens[i + 2].punct && !tokens[i + 3].punct) {
      const span: Span = [t.start, tokens[i + 3].end];
      items.push({ k: 'unknown', phrase: text.slice(span[0], span[1]), span });
      i += 4;
      continue;
    }
    if (t.lower === 'and' || t.lower === '&' || (t.lower === 'as' && tokens[i + 1]?.lower === 'well' && tokens[i + 2]?.lower === 'as')) {
      items.push({ k: 'and' });
      i += t.lower === 'as' ? 3 : 1;
      continue;
    }
    if (t.lower === 'with' || t.lower === 'plus') {
      items.push({ k: 'vague', phrase: text.slice(t.start, t.end), span: [t.start, t.end] });
      i++;
      continue;
    }
    const w = t.lower;
    if (PRONOUN_SET.has(w) && !(POSS.has(w) && tokens[i + 1] && !tokens[i + 1].punct && startsContent(tokens[i + 1].lower))) {
      items.push({ k: 'pron', word: w, start: t.start, end: t.end });
      i++;
      continue;
    }
    const np = readNounPhrase(tokens, i);
    if (np === null || np.next === i) {
      i++;
      continue;
    }
    let next = np.next;
    if (tokens[next]?.lower === 'of' && !matchPhrase(tokens, next)) {
      const inner = tokens[next + 1] ? readNounPhrase(tokens, next + 1) : null;
      if (np.frame && inner) {
        // "a photo of a cat": the frame is not an object.
        i = next + 1;
        continue;
      }
      if (inner && !inner.frame) {
        // "a cup of coffee", "a vase of flowers": one object; the rest describes it.
        np.end = inner.end;
        next = inner.next;
      }
    }
    const previous = items[items.length - 1];
    if (previous?.k === 'rel' && PICTURES.has(np.noun) && np.definite) {
      // "on the left side of the image" places against the picture, not an object.
      const side = pictureSide(previous.relation);
      if (side) {
        items[items.length - 1] = { k: 'side', side, phrase: previous.phrase, span: previous.span };
        i = next;
        continue;
      }
    }
    if (PICTURES.has(np.noun) && np.definite && previous?.k !== 'rel') {
      // "in the scene", "the picture shows": the picture itself, never an object to place.
      i = next;
      continue;
    }
    items.push({ k: 'np', obj: addObject(np), start: np.start, end: np.end });
    i = next;
  }

  // Pass 3: items -> relations.
  const relations: PromptRelation[] = [];
  const sides: SidePlacement[] = [];
  const touched = new Set<number>();
  const vagueWord = new Map<number, string>();
  const mentions: number[] = [];

  const emit = (subject: number, relation: RelationType, object: number, object2: number | undefined, swap: boolean, phrase: string, span: Span): void => {
    let s = subject;
    let o = object;
    if (swap) [s, o] = [o, s];
    if (s === o || (object2 !== undefined && (object2 === s || object2 === o))) return;
    const rel: PromptRelation = { subject: objects[s].id, relation, object: objects[o].id, phrase, span };
    if (object2 !== undefined) rel.object2 = objects[object2].id;
    relations.push(rel);
  };
  // The thing a pronoun or a missing object refers to: the "with" anchor ("a pizza with a knife to
  // its left"), else the latest mention that is not a subject, agreeing in number when possible.
  let withAnchor: number | undefined;
  const resolve = (exclude: readonly number[], pronoun: string | null = null): number | undefined => {
    const plural = pronoun !== null && PLURAL_PRONOUNS.has(pronoun);
    const gender = pronoun === null ? null : MALE_PRONOUNS.has(pronoun) ? MALE : FEMALE_PRONOUNS.has(pronoun) ? FEMALE : null;
    if (
      withAnchor !== undefined &&
      !exclude.includes(withAnchor) &&
      (pronoun === null || (objects[withAnchor].count !== 1) === plural) &&
      (gender === null || gender.test(objects[withAnchor].noun))
    ) {
      return withAnchor;
    }
    let fallback: number | undefined;
    let numberOnly: number | undefined;
    for (let m = mentions.length - 1; m >= 0; m--) {
      const o = mentions[m];
      if (exclude.includes(o)) continue;
      fallback ??= o;
      if (pronoun !== null && (objects[o].count !== 1) !== plural) continue;
      if (gender === null || gender.test(objects[o].noun)) return o;
      numberOnly ??= o;
    }
    return numberOnly ?? fallback;
  };

  const resolveLatest = (pronoun: string | null): number | undefined => {
    const saved = withAnchor;
    withAnchor = undefined;
    const r = resolve([], pronoun);
    withAnchor = saved;
    return r;
  };

  interface Pending {
    relation: RelationType;
    swap: boolean;
    phrase: string;
    span: Span;
    subjects: number[] | null;
    objects: number[];
  }
  let group: number[] = [];
  let groupOpen = false;
  let savedGroup: number[] = [];
  let pending: Pending | null = null;
  let fronted: (Pending & { used: boolean }) | null = null;
  let pendingSide: { side: AbsoluteSide; phrase: string; span: Span } | null = null;
  let lastKind = '';
  let lastVague: string | null = null;
  let touchNext = false;

  const finishPending = (): void => {
    if (!pending) return;
    const p = pending;
    pending = null;
    if (p.objects.length === 0) {
      // "a table with a lamp overhead": the object is the last thing mentioned before.
      const implicit = resolve(p.subjects ?? []);
      if (implicit === undefined || p.subjects === null) return;
      p.objects.push(implicit);
    }
    if (p.subjects) {
      for (const s of p.subjects) emit(s, p.relation, p.objects[0], p.objects[1], p.swap, p.phrase, p.span);
      groupOpen = false;
    } else {
      fronted = { ...p, used: false };
    }
  };
  const endClause = (sentence: boolean): void => {
    finishPending();
    if (sentence) {
      const f = fronted as (Pending & { used: boolean }) | null;
      if (f && !f.used) {
        for (const s of savedGroup) emit(s, f.relation, f.objects[0], f.objects[1], f.swap, f.phrase, f.span);
      }
      fronted = null;
      pendingSide = null;
      savedGroup = [];
      withAnchor = undefined;
    } else if (group.length > 0) {
      savedGroup = group;
    }
    group = [];
    groupOpen = false;
  };
  const mention = (obj: number, fromNounPhrase: boolean): void => {
    mentions.push(obj);
    if (touchNext) touched.add(obj);
    touchNext = false;
    if (pending && pending.objects.length === 0) {
      pending.objects.push(obj);
      if (pending.relation !== 'between') finishPending();
      return;
    }
    if (pending && pending.relation === 'between' && pending.objects.length === 1 && lastKind === 'and') {
      pending.objects.push(obj);
      finishPending();
      return;
    }
    if (pending) finishPending();
    if (fronted && (!fronted.used || lastKind === 'and')) {
      emit(obj, fronted.relation, fronted.objects[0], fronted.objects[1], fronted.swap, fronted.phrase, fronted.span);
      fronted.used = true;
      group = [obj];
      groupOpen = false;
      return;
    }
    if (pendingSide) {
      sides.push({ obj, ...pendingSide });
      pendingSide = null;
      group = [obj];
      return;
    }
    if (fromNounPhrase && lastVague) vagueWord.set(obj, lastVague);
    if (lastKind === 'and' && groupOpen) group.push(obj);
    else {
      group = [obj];
      groupOpen = true;
    }
  };

  for (const item of items) {
    switch (item.k) {
      case 'np':
        mention(item.obj, true);
        lastVague = null;
        break;
      case 'pron': {
        const asObject = pending !== null && pending.objects.length === 0;
        const exclude = asObject ? (pending!.subjects ?? []) : [];
        // As a subject ("It sits..."), the anchor of a "with" clause is not meant.
        const obj = asObject ? resolve(exclude, item.word) : resolveLatest(item.word);
        if (obj !== undefined) mention(obj, false);
        break;
      }
      case 'rel': {
        finishPending();
        if (item.pronoun) {
          const latest = resolveLatest(null);
          const subjects = group.length > 0 ? group : latest !== undefined ? [latest] : [];
          const obj = resolve(subjects, item.pronoun);
          if (obj !== undefined) for (const s of subjects) emit(s, item.relation, obj, undefined, item.swap, item.phrase, item.span);
          groupOpen = false;
          break;
        }
        const subjects = group.length > 0 ? group.slice() : null;
        if (subjects) fronted = null;
        pending = { relation: item.relation, swap: item.swap, phrase: item.phrase, span: item.span, subjects, objects: [] };
        break;
      }
      case 'side':
        finishPending();
        if (group.length > 0) {
          for (const obj of group) sides.push({ obj, side: item.side, phrase: item.phrase, span: item.span });
          // "a fridge on the left and an oven on the right": the oven starts its own group.
          groupOpen = false;
        } else pendingSide = { side: item.side, phrase: item.phrase, span: item.span };
        break;
      case 'unknown':
        finishPending();
        diagnostics.push({
          code: 'unknown-relation',
          severity: 'warning',
          message: `'${item.phrase}' is not a relation SPRIGHT Lens can place; say it with left of, right of, above, below, in front of, behind, on, under, next to, near or far from`,
          span: item.span,
        });
        for (const obj of group) touched.add(obj);
        touchNext = true;
        break;
      case 'vague':
        finishPending();
        lastVague = item.phrase.toLowerCase();
        if (lastVague === 'with' || lastVague === 'plus') {
          withAnchor = group.length > 0 ? group[0] : resolveLatest(null);
          // "B with A on its left": A starts a new subject group; B stays in the mentions.
          group = [];
          groupOpen = false;
        }
        break;
      case 'and':
        if (pending && !(pending.relation === 'between' && pending.objects.length === 1)) finishPending();
        lastVague = lastVague ?? 'and';
        break;
      case 'comma':
        if (pending && pending.relation === 'between' && pending.objects.length === 1) finishPending();
        endClause(false);
        lastVague = null;
        break;
      case 'stop':
        endClause(true);
        lastVague = null;
        break;
    }
    lastKind = item.k === 'np' && lastKind === 'and' ? 'np' : item.k;
  }
  endClause(true);

  addSideRelations(sides, objects, relations);

  for (const conflict of findConflicts(relations)) {
    const parts = conflict.map((i) => `${relationLabel(relations[i], 'sentence', idsOf)} (col ${relations[i].span[0] + 1})`);
    const message =
      parts.length === 2
        ? `${parts[0]} contradicts ${parts[1]}`
        : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]} form a cycle: they cannot all hold`;
    const start = Math.min(...conflict.map((i) => relations[i].span[0]));
    const end = Math.max(...conflict.map((i) => relations[i].span[1]));
    diagnostics.push({ code: 'contradiction', severity: 'error', message, span: [start, end], relations: conflict });
  }

  if (objects.length >= 2) {
    const placed = new Set<string>();
    for (const r of relations) {
      placed.add(r.subject);
      placed.add(r.object);
      if (r.object2) placed.add(r.object2);
    }
    for (const s of sides) placed.add(objects[s.obj].id);
    objects.forEach((o, index) => {
      if (placed.has(o.id) || touched.has(index) || SCENES.has(o.noun)) return;
      const other = objects.find((x) => x !== o && placed.has(x.id)) ?? objects.find((x) => x !== o)!;
      const word = vagueWord.get(index);
      const why = word ? `'${word}' does not say where ${o.id} is` : `${o.id} has no stated position`;
      diagnostics.push({
        code: 'vague',
        severity: 'warning',
        message: `${why} relative to ${other.id}; state it, e.g. "${o.noun} to the left of the ${other.noun}"`,
        span: o.span,
      });
    });
  }

  if (analysed.length < text.length) {
    diagnostics.push({
      code: 'truncated',
      severity: 'information',
      message: `only the first ${MAX_ANALYZED_CHARS} of ${text.length} characters were analysed; split the prompt or shorten it`,
      span: [MAX_ANALYZED_CHARS, text.length],
    });
  }
  diagnostics.sort((a, b) => a.span[0] - b.span[0] || a.span[1] - b.span[1]);
  return { text, objects, relations, scene: [], diagnostics };
}

function pictureSide(r: RelationType): AbsoluteSide | null {
  switch (r) {
    case 'left_of':
      return 'left';
    case 'right_of':
      return 'right';
    case 'above':
      return 'top';
    case 'below':
      return 'bottom';
    case 'in_front_of':
      return 'foreground';
    case 'behind':
      return 'background';
    default:
      return null;
  }
}

// Absolute sides become relations between objects on the same axis, in the order people list them.
const AXES: Array<{ order: Partial<Record<AbsoluteSide, number>>; forward: RelationType; backward: RelationType }> = [
  { order: { left: 0, center: 1, right: 2 }, forward: 'left_of', backward: 'right_of' },
  { order: { top: 0, bottom: 2 }, forward: 'above', backward: 'below' },
  { order: { foreground: 0, background: 2 }, forward: 'in_front_of', backward: 'behind' },
];
// Pairs grow quadratically; prompts name a handful of sides, hostile input may name thousands.
const MAX_SIDES = 64;

function addSideRelations(sides: SidePlacement[], objects: PromptObject[], relations: PromptRelation[]): void {
  const list = sides.slice(0, MAX_SIDES);
  for (let a = 0; a < list.length; a++) {
    for (let b = a + 1; b < list.length; b++) {
      const x = list[a];
      const y = list[b];
      if (x.obj === y.obj) continue;
      for (const axis of AXES) {
        const ox = axis.order[x.side];
        const oy = axis.order[y.side];
        if (ox === undefined || oy === undefined || ox === oy) continue;
        // "in the center" only orders objects against an explicit left or right.
        relations.push({
          subject: objects[x.obj].id,
          relation: ox < oy ? axis.forward : axis.backward,
          object: objects[y.obj].id,
          phrase: x.phrase,
          span: x.span,
        });
      }
    }
  }
}
