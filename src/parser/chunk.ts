/**
 * Pass 2 of the parser: tokens -> chunks. A chunk is a noun phrase, a relation or placement phrase,
 * a verb, a preposition, a pronoun, a conjunction or punctuation; scene phrases (the medium of
 * "a photo of", "in the style of ...", quoted text) are collected on the way.
 *
 * Word classes come from `wordInfo`; which reading a word takes is decided here by position: after
 * a determiner "parked" is a modifier ("a parked car"), after a noun it is a verb ("a car parked
 * next to a bus"); "seats" after "the" is a plural noun, after "a man" a verb. Every rule looks a
 * bounded number of tokens ahead, so the pass is linear.
 */
import {
  CONTAINER_NOUNS,
  CORNER_PHRASES,
  PICTURE_NOUNS,
  COUNT_PHRASES,
  COUNT_WORDS,
  DEFINITE_WORDS,
  FRAME_NOUNS,
  INDEFINITE_PARTITIVE_NOUNS,
  INTENSIFIERS,
  LINK_VERBS,
  MEASURE_NOUNS,
  MIDDLE_PHRASES,
  MULTI_WORD_NOUNS,
  ORDER_PHRASES,
  PART_NOUNS,
  PARTITIVE_NOUNS,
  PLACEMENT_VERBS,
  POSITION_WORDS,
  POSSESSION_VERBS,
  PRESENTATION_VERBS,
  PRONOUNS,
  SIDE_PHRASES,
  SPATIAL_PHRASES,
  SUBORDINATORS,
  SURFACE_CONTAINERS,
  TIME_NOUNS,
  UNKNOWN_RELATION_PHRASES,
  VAGUE_PHRASES,
  type AbsoluteSide,
} from './lexicon';
import type { Token } from './tokens';
import type { RelationType, SceneKind, Span } from './types';
import { nounLike, nounSingular, wordInfo, type VerbForm } from './words';

type Entry =
  | { kind: 'rel'; relation: RelationType; swap: boolean; poss: boolean; middle?: boolean }
  | { kind: 'side'; side: AbsoluteSide }
  | { kind: 'corner'; sides: readonly [AbsoluteSide, AbsoluteSide] }
  | { kind: 'vague' }
  | { kind: 'unknown' }
  | { kind: 'noun'; noun: string; plural: boolean }
  | { kind: 'count'; count: number | null }
  | { kind: 'order'; axis: 'x' | 'y' | 'z'; forward: boolean }
  | { kind: 'style' };

interface TrieNode {
  next: Map<string, TrieNode>;
  entry?: Entry;
}

export const POSS = new Set(['its', 'his', 'her', 'their']);

// Phrases whose following noun phrase names a style or an author, not an object in the picture.
const STYLE_PHRASES = [
  'in the style of', 'in style of', 'in the manner of', 'style of', 'inspired by', 'art by', 'artwork by',
  'by artist', 'trending on', 'in the spirit of', 'in the tradition of',
];

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
  for (const p of MIDDLE_PHRASES) add(p, { kind: 'rel', relation: 'between', swap: false, poss: false, middle: true });
  for (const [p, side] of Object.entries(SIDE_PHRASES)) add(p, { kind: 'side', side });
  for (const [p, sides] of Object.entries(CORNER_PHRASES)) add(p, { kind: 'corner', sides });
  for (const p of UNKNOWN_RELATION_PHRASES) add(p, { kind: 'unknown' });
  for (const p of VAGUE_PHRASES) if (p !== 'and' && p !== 'with') add(p, { kind: 'vague' });
  for (const n of MULTI_WORD_NOUNS) {
    add(n, { kind: 'noun', noun: n, plural: false });
    add(/(s|x|ch|sh)$/.test(n) ? `${n}es` : `${n}s`, { kind: 'noun', noun: n, plural: true });
  }
  for (const [p, count] of Object.entries(COUNT_PHRASES)) add(p, { kind: 'count', count });
  for (const [p, o] of Object.entries(ORDER_PHRASES)) add(p, { kind: 'order', axis: o.axis, forward: o.forward });
  for (const p of STYLE_PHRASES) add(p, { kind: 'style' });
  return root;
}

const TRIE = buildTrie();
const DEFINITE = new Set(DEFINITE_WORDS);
const PRONOUN_SET = new Set(PRONOUNS);
const INTENSIFIER_SET = new Set(INTENSIFIERS);
const FRAMES = new Set(FRAME_NOUNS);
const PARTITIVES = new Set(PARTITIVE_NOUNS);
const INDEFINITE_PARTITIVES = new Set(INDEFINITE_PARTITIVE_NOUNS);
const CONTAINERS = new Set(CONTAINER_NOUNS);
const SURFACES = new Set(SURFACE_CONTAINERS);
const PARTS = new Set(PART_NOUNS);
const POSITIONS = new Set(POSITION_WORDS);
const PICTURE_SET = new Set(PICTURE_NOUNS);
// Instructions to the image model at the start of a prompt ("Draw a cat on a mat").
const IMPERATIVES = new Set(['place', 'put', 'draw', 'show', 'create', 'generate', 'make', 'paint', 'render', 'imagine', 'depict', 'illustrate', 'design', 'add', 'give', 'sketch', 'photograph', 'picture', 'visualize', 'visualise', 'produce', 'compose', 'arrange', 'position']);
const MEASURES = new Set(MEASURE_NOUNS);
const LINKS = new Set(LINK_VERBS);
const PLACEMENT = new Set(PLACEMENT_VERBS);
const POSSESSION = new Set(POSSESSION_VERBS);
const PRESENTATION = new Set(PRESENTATION_VERBS);
const SUBORDINATOR_SET = new Set(SUBORDINATORS);
const COPULAS = new Set(['is', 'are', 'was', 'were', 'be', 'been', 'being', "'s", 'am', "'re"]);
const AUXILIARIES = new Set(['can', 'could', 'should', 'will', 'would', 'may', 'might', 'must', 'does', 'do', 'did', 'seems', 'seem', 'appears', 'appear']);
const PARTICLES = new Set(['up', 'down', 'out', 'off', 'away', 'back', 'over', 'around', 'about', 'along', 'together', 'apart', 'aside', 'forward', 'backward', 'upward', 'downward']);
const PREPOSITIONS = new Set([
  'in', 'into', 'at', 'from', 'for', 'to', 'of', 'through', 'across', 'along', 'about', 'like', 'during',
  'after', 'before', 'via', 'per', 'than', 'out', 'off', 'up', 'down', 'toward', 'towards', 'past',
  'throughout', 'inside', 'outside', 'despite', 'except', 'onto', 'upon', 'unto', 'till', 'until',
]);
const SINGULAR_DETERMINERS = new Set(['a', 'an', 'one', 'each', 'every', 'another', 'this', 'that', 'single', 'lone']);
const RELATIVE = new Set(['which', 'who', 'whom', 'whose']);
const NEGATIONS = new Set(['not', 'never', 'nor', 'nowhere']);
// Events and times that "before" orders in time, not in space ("before sunset", "before dinner").
const BEFORE_TIMES = new Set([...TIME_NOUNS, 'dinner', 'lunch', 'breakfast', 'meal', 'storm', 'rain', 'race', 'game', 'match', 'show', 'battle', 'wedding', 'party', 'bedtime', 'takeoff', 'launch', 'start', 'end', 'performance', 'concert', 'ceremony']);
const COUNT_PREFIX = [
  ['not', 'more', 'than'], ['no', 'more', 'than'], ['more', 'than'], ['less', 'than'], ['fewer', 'than'],
  ['at', 'least'], ['at', 'most'], ['up', 'to'], ['about'], ['approximately'], ['roughly'], ['exactly'],
  ['nearly'], ['almost'], ['over'], ['around'], ['precisely'], ['only'], ['just'],
];
// Image-quality tags people append ("highly detailed, 4k, trending on artstation").
const STYLE_TAGS = /^(\d+k|\d+p|hd|hdr|uhd|4k|8k|16k|artstation|octane|unreal|cgsociety|deviantart|behance|pixiv|photorealistic|hyperrealistic|realistic|detailed|cinematic|lighting|bokeh|masterpiece|quality|resolution|dslr|sharp|focus|highres|ultra|intricate|aesthetic|trending|award-winning|volumetric|unreal engine|4k resolution)$/;
// Verbs that show a picture as a thing in the scene: "a poster of a cat hanging on the wall".
const DISPLAY_VERBS = new Set(['hanging', 'hung', 'hangs', 'framed', 'mounted', 'pinned', 'taped', 'displayed', 'leaning', 'leans', 'propped', 'nailed', 'stuck', 'tacked']);
// Participles spelled like their base form: after a noun and before a preposition, a verb.
// Things that are one object but grammatically plural, counted in pairs.
const PAIR_NOUNS = new Set(['scissors', 'glasses', 'pants', 'jeans', 'shorts', 'trousers', 'tongs', 'pliers', 'binoculars', 'headphones', 'goggles', 'sunglasses', 'tights', 'leggings', 'pajamas', 'pyjamas', 'earphones', 'tweezers', 'shears', 'overalls']);
// Parts named without their whole ("on the front") stand for the whole they belong to.
const PART_ANAPHORS = new Set(['front', 'back', 'side', 'top', 'bottom', 'edge', 'surface', 'rear', 'end', 'tip', 'base']);
// "back to back", "shoulder to shoulder", "arm in arm": two things right next to each other.
const RECIPROCAL_BODY = new Set(['back', 'shoulder', 'cheek', 'nose', 'face', 'arm', 'hand', 'head', 'toe', 'elbow', 'wing', 'paw']);
const SAME_FORM_PARTICIPLES = new Set(['cut', 'put', 'spread', 'split', 'shut', 'hit', 'cast', 'burst', 'slit', 'thrust']);
// Participle + particle before a noun is one modifier: "a run down bus", "a worn out shoe".
const PHRASAL_MODIFIER_PARTICLES = new Set(['down', 'out', 'up', 'off']);
const IRREGULAR_PARTICIPLES = new Set(['run', 'worn', 'beat', 'broken', 'burnt', 'burned', 'dried', 'washed', 'tired', 'stressed', 'spaced', 'rolled', 'blown', 'knocked', 'cut', 'torn', 'messed', 'banged', 'dressed', 'bundled', 'zipped', 'buttoned', 'locked', 'boarded', 'shut', 'lit', 'lined', 'laid', 'set', 'turned', 'sold']);

/** A noun phrase as read: not yet an object (it may be a detail, a setting, a name). */
export interface NounPhrase {
  /** Singular head noun with its compound modifiers ("teddy bear", "statue of liberty"). */
  noun: string;
  /** The last word of the head as written, lower case. */
  head: string;
  plural: boolean;
  count: number | null;
  attributes: string[];
  definite: boolean;
  /** No determiner, count or possessive. */
  bare: boolean;
  /** A name written with capitals ("Loch Awe", "the Great Pyramid"). */
  proper: boolean;
  /** Some word of the noun is written with a capital ("the Sagrada Familia church"). */
  named: boolean;
  /** "its mouth", "his paw", "it's head": owned by what a pronoun refers to. */
  possessedBy: string | null;
  /** "no cats": named only to be denied. */
  negated: boolean;
  /** Restricted by an "of" phrase ("the flag of Texas"): not a back-reference to an earlier noun. */
  ofComplement: boolean;
  /** One collection of many ("a stack of pancakes", "a pile of books"): "it" names it. */
  collective?: boolean;
  /** "a bowl of fruit": what the container holds, and how. */
  contents: { np: NounPhrase; relation: 'inside' | 'on'; span: Span } | null;
  /** "the inside of a subway train": a place seen from within, a setting. */
  interior: boolean;
  start: number;
  end: number;
}

export type Chunk =
  | { k: 'np'; np: NounPhrase; start: number; end: number }
  | {
      k: 'pron';
      word: string;
      start: number;
      end: number;
      plural: boolean | null;
      partOf?: boolean;
      /** "the red one", "a larger one": what tells this member of a group apart. */
      attrs?: string[];
      /** "the red one" (a member already named or known) rather than "a red one". */
      definite?: boolean;
    }
  | { k: 'recip'; start: number; end: number }
  | {
      k: 'rel';
      relation: RelationType;
      swap: boolean;
      pronoun: string | null;
      phrase: string;
      start: number;
      end: number;
      middle: boolean;
      /** Led by a participle ("riding", "hidden by"): it belongs to the noun before, like one. */
      verbLed?: boolean;
    }
  | { k: 'side'; side: AbsoluteSide; phrase: string; start: number; end: number }
  | { k: 'unknown'; phrase: string; start: number; end: number }
  | { k: 'vague'; phrase: string; start: number; end: number }
  | { k: 'verb'; word: string; form: VerbForm; cop: boolean; aux: boolean; placement: boolean; possession: boolean; presentation: boolean; start: number; end: number }
  | { k: 'prep'; word: string; start: number; end: number }
  | { k: 'with'; neg: boolean; vague: string | null; start: number; end: number }
  | { k: 'and'; start: number; end: number }
  | { k: 'but'; start: number; end: number }
  | { k: 'comma'; start: number; end: number }
  | { k: 'stop'; start: number; end: number }
  | { k: 'rp'; start: number; end: number }
  | { k: 'there'; start: number; end: number }
  | { k: 'neg'; start: number; end: number }
  | { k: 'sub'; start: number; end: number }
  | { k: 'adv'; start: number; end: number }
  | { k: 'adj'; word: string; start: number; end: number }
  | { k: 'quote'; start: number; end: number }
  | { k: 'order'; axis: 'x' | 'y' | 'z'; forward: boolean; phrase: string; start: number; end: number }
  | { k: 'view'; start: number; end: number };

/** A scene phrase found while chunking. */
export interface SceneSpan {
  kind: SceneKind;
  span: Span;
}

/** Longest lexicon phrase starting at token i. */
function matchPhrase(tokens: Token[], i: number): { entry: Entry; length: number } | null {
  let node: TrieNode | undefined = TRIE;
  let best: { entry: Entry; length: number } | null = null;
  for (let j = i; j < tokens.length && node; j++) {
    const w = tokens[j].lower;
    if (tokens[j].punct || tokens[j].quote) break;
    const next: TrieNode | undefined = node.next.get(w) ?? (POSS.has(w) ? node.next.get('<poss>') : undefined);
    node = next;
    if (node?.entry) best = { entry: node.entry, length: j - i + 1 };
  }
  return best;
}

function isWord(t: Token | undefined): t is Token {
  return t !== undefined && !t.punct && !t.quote;
}

function startsContent(w: string): boolean {
  const info = wordInfo(w);
  return (info.noun || info.adjective || info.verb) && !info.func;
}

/** "it's mouth": the contraction used as the possessive, before a noun. */
function possessiveIts(tokens: Token[], i: number): boolean {
  const t = tokens[i];
  const s = tokens[i + 1];
  const n = tokens[i + 2];
  if (t?.lower !== 'it' || s?.lower !== "'s" || !isWord(n)) return false;
  const info = wordInfo(n.lower);
  return (info.noun || info.attribute) && info.verbForm !== 'ing' && info.verbForm !== 'ed' && !info.func;
}

interface Candidate {
  words: string[];
  noun: boolean;
  attribute: boolean;
  plural: boolean;
  singular: string;
  multi: boolean;
  proper: boolean;
}

/**
 * A word compromise does not list, guessed an adjective from its ending ("animal", "crystal"):
 * where a noun is expected it is one.
 */
function guessedAdjective(w: string): boolean {
  const info = wordInfo(w);
  return info.adjective && !info.listed && !info.attribute && info.verbForm === null && !info.adverb;
}

/** Whether a noun could start at token j (a bounded look-ahead over adjectives). */
function nounAhead(tokens: Token[], j: number): boolean {
  for (let k = j; k < tokens.length && k < j + 5; k++) {
    const t = tokens[k];
    if (!isWord(t)) return false;
    const m = matchPhrase(tokens, k);
    if (m?.entry.kind === 'noun') return true;
    if (m) return false;
    const info = wordInfo(t.lower);
    if (t.cap) return true;
    if (nounLike(t.lower) || guessedAdjective(t.lower)) return true;
    if (!(info.adjective || info.attribute || info.verbForm === 'ed' || info.verbForm === 'ing' || info.adverb)) return false;
  }
  return false;
}

/** Reads one noun phrase at token i (no "of" complement), or null when none starts there. */
/** How the caller found the phrase. */
export interface ReadOptions {
  /** After "A and": a verb that follows agrees with a plural ("a man and a woman stand"). */
  coordinated?: boolean;
  /** Stop before a possessive 's ("to the lamp's right"). */
  stopAtPossessive?: boolean;
  /** Starts a comma- or sentence-separated fragment: a lone word there is a noun ("..., rain"). */
  fragment?: boolean;
}

export function readNounPhrase(tokens: Token[], i: number, _text: string, options: ReadOptions = {}): (NounPhrase & { next: number }) | null {
  let j = i;
  let count: number | null | undefined;
  let definite = false;
  let determiner = false;
  let singularDet = false;
  let negated = false;
  let possessedBy: string | null = null;
  let collective = false;
  for (; isWord(tokens[j]); ) {
    const m = matchPhrase(tokens, j);
    // "A couple sitting on a bench": with no noun after it, the couple is the thing.
    if (m?.entry.kind === 'count' && !coupleNoun(tokens, j + m.length - 1)) {
      count = m.entry.count;
      determiner = true;
      // "a stack of", "a pile of": one thing made of many, which "it" names.
      if (COLLECTIVE_HEADS.has(tokens[j + m.length - 2]?.lower ?? '') && tokens[j].lower === 'a') collective = true;
      j += m.length;
      continue;
    }
    const w = tokens[j].lower;
    const prefix = countPrefix(tokens, j);
    if (prefix > 0) {
      j += prefix;
      continue;
    }
    if (m && !(DEFINITE.has(w) && m.entry.kind !== 'rel')) break;
    const following = tokens[j + 1];
    if (possessiveIts(tokens, j)) {
      definite = true;
      determiner = true;
      possessedBy = 'it';
      j += 2;
      continue;
    }
    if (DEFINITE.has(w) || (POSS.has(w) && isWord(following) && startsContent(following.lower))) {
      definite = true;
      determiner = true;
      if (POSS.has(w)) possessedBy = w;
      if (w === 'this' || w === 'that') singularDet = true;
      j++;
      continue;
    }
    if (w === 'no' && isWord(following) && startsContent(following.lower)) {
      negated = true;
      determiner = true;
      j++;
      continue;
    }
    if (w === 'another' || w === 'other' || w === 'each' || w === 'every' || w === 'some' || w === 'any') {
      determiner = true;
      if (w !== 'other' && w !== 'some' && w !== 'any') singularDet = true;
      j++;
      continue;
    }
    if (w in COUNT_WORDS && !(w === 'set' || w === 'row' || w === 'pack' || w === 'stack' || w === 'pile' || w === 'group' || w === 'crowd' || w === 'herd' || w === 'flock' || w === 'bunch') && !coupleNoun(tokens, j)) {
      count = COUNT_WORDS[w];
      determiner = true;
      if (SINGULAR_DETERMINERS.has(w)) singularDet = true;
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
  for (; isWord(tokens[j]); ) {
    const t = tokens[j];
    const w = t.lower;
    const hasNoun = cands.some((c) => c.noun);
    // "isn't", "doesn't": a negated verb ends the phrase.
    if (/n't$/.test(w)) break;
    if (hasNoun && (w === 'side' || RECIPROCAL_BODY.has(w)) && /^(by|to|in)$/.test(tokens[j + 1]?.lower ?? '') && tokens[j + 2]?.lower === w) break;
    if ((w === 'can' || w === 'cans') && determiner && !hasNoun && (tokens[j + 1]?.lower === 'of' || !isWord(tokens[j + 1]))) {
      // "a can of soda": after a determiner, the noun.
      cands.push({ words: [w], noun: true, attribute: false, plural: w === 'cans', singular: 'can', multi: false, proper: false });
      lastEnd = t.end;
      j++;
      break;
    }
    const m = matchPhrase(tokens, j);
    if (m) {
      if (m.entry.kind === 'noun') {
        if (hasNoun && !cands[cands.length - 1].noun) break;
        cands.push({ words: [m.entry.noun], noun: true, attribute: false, plural: m.entry.plural, singular: m.entry.noun, multi: true, proper: false });
        lastEnd = tokens[j + m.length - 1].end;
        j += m.length;
        continue;
      }
      // "the inside of", "the top of the hill": after a determiner a part word is a noun.
      const partNoun = !hasNoun && cands.length === 0 && definite && PARTS.has(w) && tokens[j + 1]?.lower === 'of';
      if (partNoun) {
        cands.push({ words: [w], noun: true, attribute: false, plural: false, singular: w, multi: false, proper: false });
        lastEnd = t.end;
        j++;
        break;
      }
      if (!(t.cap && cands.length > 0 && m.entry.kind !== 'rel')) break;
    }
    if (cands.length > 0 && !hasNoun && proOneAt(tokens, j)) {
      // "the red one", "a bigger one": a member of a group named before; the parser resolves it.
      cands.push({ words: [w], noun: true, attribute: false, plural: w === 'ones', singular: 'one', multi: false, proper: false });
      lastEnd = t.end;
      j++;
      break;
    }
    // Count words end the phrase, except collective nouns inside a compound ("a chess set").
    if (PRONOUN_SET.has(w) || DEFINITE.has(w) || (w in COUNT_WORDS && !t.cap && (COUNT_WORDS[w] !== null || !hasNoun) && !coupleNoun(tokens, j))) break;
    if (w === "'s") {
      if (options.stopAtPossessive) break;
      // "a cat's tail", "someone's bed": the possessor describes the head that follows.
      const n = tokens[j + 1];
      if (hasNoun && isWord(n) && startsContent(n.lower) && matchPhrase(tokens, j + 1)?.entry.kind !== 'rel' && matchPhrase(tokens, j + 1)?.entry.kind !== 'side') {
        const owner = cands.map((c) => c.words.join(' ')).join(' ');
        cands.length = 0;
        cands.push({ words: [`${owner}'s`], noun: false, attribute: true, plural: false, singular: owner, multi: false, proper: false });
        definite = true;
        determiner = true;
        j++;
        continue;
      }
      if (hasNoun && !(isWord(n) && startsContent(n.lower))) {
        // "fried banana's.": a plural written with an apostrophe.
        const last = cands[cands.length - 1];
        if (last.noun && !last.plural && !last.proper) {
          last.plural = true;
          last.singular = last.words.join(' ');
        }
        lastEnd = t.end;
        j++;
      }
      break;
    }
    const info = wordInfo(w);
    const next = tokens[j + 1];
    if (!singularDet && pluralThenVerb(cands, info, tokens, j + 1)) break;
    if (INTENSIFIER_SET.has(w)) {
      // "right next to", "directly above": the adverb belongs to the relation that follows.
      const after = matchPhrase(tokens, j + 1)?.entry.kind;
      if (after === 'rel' || after === 'side' || after === 'unknown') break;
    }
    if (t.cap && !info.func && !DEFINITE.has(w)) {
      // A capitalised word inside a sentence is part of a name: "Loch Awe", "Times Square".
      cands.push({ words: [w], noun: true, attribute: false, plural: false, singular: w, multi: false, proper: true });
      lastEnd = t.end;
      j++;
      continue;
    }
    if (!hasNoun && PHRASAL_MODIFIER_PARTICLES.has(next?.lower ?? '') && (info.verbForm === 'ed' || IRREGULAR_PARTICIPLES.has(w)) && nounAhead(tokens, j + 2)) {
      // "a run down bus", "a worn out shoe": participle and particle are one modifier.
      cands.push({ words: [`${w} ${next!.lower}`], noun: false, attribute: true, plural: false, singular: w, multi: false, proper: false });
      lastEnd = next!.end;
      j += 2;
      continue;
    }
    if (!hasNoun && (info.attribute || info.adjective || info.verbForm === 'ed') && (next?.lower === 'and' || next?.lower === ',') && coordinatedModifier(tokens, j + 2)) {
      // Coordinated or listed modifiers: "a brown and white dog", "a white, wired cage".
      cands.push({ words: [w], noun: false, attribute: true, plural: false, singular: w, multi: false, proper: false });
      lastEnd = t.end;
      j += 2;
      continue;
    }
    if (!hasNoun && POSITIONS.has(w) && (nounAhead(tokens, j + 1) || proOneAt(tokens, j + 1)) && matchPhrase(tokens, j + 1)?.entry.kind !== 'rel') {
      // "the top shelf", "the left one": a position, not a compound's first noun.
      cands.push({ words: [w], noun: false, attribute: true, plural: false, singular: w, multi: false, proper: false });
      lastEnd = t.end;
      j++;
      continue;
    }
    if (info.link && !info.attribute && !info.knownNoun) {
      // "a standing man": a participle before any noun is a modifier; after the noun, a verb.
      if (hasNoun || !isWord(next) || !nounAhead(tokens, j + 1)) break;
      cands.push({ words: [w], noun: false, attribute: true, plural: false, singular: w, multi: false, proper: false });
    } else if (info.adverb || (info.func && !info.noun)) {
      // "a colorfully painted bus", "a very small cat": an adverb inside the modifiers.
      if ((info.adverb || INTENSIFIER_SET.has(w)) && !hasNoun && isWord(next) && nounAhead(tokens, j + 1)) {
        const ni = wordInfo(next.lower);
        if (ni.adjective || ni.verbForm === 'ed' || ni.verbForm === 'ing' || ni.attribute) {
          cands.push({ words: [w], noun: false, attribute: true, plural: false, singular: w, multi: false, proper: false });
          lastEnd = t.end;
          j++;
          continue;
        }
      }
      break;
    } else if (hasNoun) {
      // After the head: another noun continues a compound ("coffee table"), a verb form ends the
      // phrase ("a cat sitting", "a dog stands", "the donkey holds the rope"), and so does a
      // preposition the lexicon also lists as a noun ("his dog past a row of shops").
      const last = cands[cands.length - 1];
      if (PREPOSITIONS.has(w) && isWord(next) && (DEFINITE.has(next.lower) || POSS.has(next.lower) || next.lower in COUNT_WORDS)) break;
      if (FRAMES.has(w) && next?.lower === 'of' && last.attribute) {
        // "a wide-angle shot of", "a close-up view of": the picture word is the head.
        cands.push({ words: [w], noun: true, attribute: false, plural: false, singular: w, multi: false, proper: false });
        lastEnd = t.end;
        j++;
        continue;
      }
      if (info.verbForm === 'ed' && isWord(next) && !DEFINITE.has(next.lower) && !POSS.has(next.lower) && !(next.lower in COUNT_WORDS) && nounLike(next.lower) && !nounSingular(next.lower).plural && matchPhrase(tokens, j + 1) === null) {
        // "a neon lit alley", "a snow covered peak": noun and participle make one modifier.
        let k = cands.length;
        while (k > 0 && cands[k - 1].noun && !cands[k - 1].attribute) k--;
        const words = [...cands.slice(k).map((c) => c.words.join(' ')), w].join(' ');
        cands.splice(k, cands.length - k, { words: [words], noun: false, attribute: true, plural: false, singular: words, multi: false, proper: false });
        lastEnd = t.end;
        j++;
        continue;
      }
      // A base form after a singular head is a compound ("a cash register", "a cruise ship");
      // after a plural one, the verb ("two cats sit").
      const pluralHead = last.plural || (count !== undefined && count !== 1);
      const compoundBase = info.verbForm === 'base' && !options.coordinated && !info.adjective && !info.func && last.noun && !pluralHead && nounLike(w) && !(info.link && isVerbContext(tokens, j + 1) && !singularDet);
      if (!info.noun && !compoundBase && !(info.verbForm === 's' && !info.verb)) break;
      if (!compoundBase && postHeadVerb(tokens, j, info, singularDet, cands)) break;
      const ns = nounSingular(w);
      cands.push({ words: [w], noun: true, attribute: info.attribute, plural: ns.plural, singular: ns.singular, multi: false, proper: false });
    } else if (info.noun && !(info.verbForm === 'ing' && !info.knownNoun && isWord(next) && nounAhead(tokens, j + 1))) {
      const ns = nounSingular(w);
      cands.push({ words: [w], noun: true, attribute: info.attribute, plural: ns.plural, singular: ns.singular, multi: false, proper: false });
    } else if (info.verbForm !== null || info.adjective || info.verb) {
      // Before the head: a modifier, if a noun follows ("a parked car"); but "a jet passes over"
      // has its head before the verb.
      const continues = (isWord(next) && nounAhead(tokens, j + 1) && !(singularDet && nounLike(w) && verbFollows(tokens, j + 1))) || proOneAt(tokens, j + 1);
      if (!continues) {
        // The last word of the phrase: a noun after a determiner ("the seats", "the frosting").
        // A lone word where a noun phrase must stand: a fragment ("..., rain") or after "NP and"
        // ("food and drinks").
        // Right after "with" ("with presents under it", "with lights on it") a noun phrase stands
        // too, even when the lexicon lists the plural as a verb.
        const alone = (options.fragment === true && !isWord(next)) || options.coordinated === true || (tokens[i - 1]?.lower === 'with' && j === i && info.verbForm === 's');
        // "under a mobile.", "on the blue": where a phrase must end in a noun, its last word is one.
        const endsHere = !isWord(next) || PREPOSITIONS.has(next.lower) || matchPhrase(tokens, j + 1)?.entry.kind === 'rel';
        const lone = determiner && cands.length === 0 && endsHere && info.adjective && info.verbForm === null && !info.attribute;
        if ((determiner || cands.length > 0 || (alone && cands.length === 0)) && (nounLike(w) || guessedAdjective(w) || lone)) {
          const ns = nounSingular(w);
          cands.push({ words: [w], noun: true, attribute: false, plural: ns.plural, singular: ns.singular, multi: false, proper: false });
          lastEnd = t.end;
          j++;
        }
        break;
      }
      cands.push({ words: [w], noun: false, attribute: true, plural: false, singular: w, multi: false, proper: false });
    } else {
      break;
    }
    lastEnd = t.end;
    j++;
  }
  if (cands.length === 0) return null;
  // Without a determiner, a run of adjectives ("highly detailed") names nothing.
  if (!cands.some((c) => c.noun)) {
    if (!determiner) return null;
    // "the old one", "a red": a determiner and modifiers only; the last word is the head.
  }

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
    const cur = cands[compoundStart];
    if (prev.proper && cur.proper) {
      compoundStart--;
      continue;
    }
    if (!prev.noun || prev.attribute || cur.multi) break;
    compoundStart--;
  }
  const h = cands[head];
  const proper = h.proper;
  const named = cands.slice(compoundStart, head + 1).some((c) => c.proper);
  const nounWords = cands.slice(compoundStart, head).map((c) => c.words.join(' '));
  let plural = h.plural && !proper;
  let headWord = plural ? h.singular : h.words.join(' ');
  // "a pair of scissors" is one pair-noun; "a pair of skis" two skis.
  if (count === 2 && PAIR_NOUNS.has(h.words[h.words.length - 1]) && tokens[i]?.lower === 'a' && tokens[i + 1]?.lower === 'pair') count = 1;
  // "two glasses of wine" are glasses to drink from; "glasses" alone are worn.
  if (h.words[0] === 'glasses' && (count !== undefined && count !== 1 || tokens[j]?.lower === 'of')) {
    headWord = 'glass';
    plural = true;
  }
  nounWords.push(headWord);
  let noun = nounWords.join(' ');
  const headLemma = headWord.split(' ').pop() ?? headWord;
  const attributes = cands.slice(0, compoundStart).map((c) => c.words.join(' '));
  const owner = cands[compoundStart - 1];
  if (owner && compoundStart === head && /'s$/.test(owner.words[0]) && PART_ANAPHORS.has(headLemma)) {
    // "a bathtub's edge", "the table's surface": the part of that thing, named by both.
    noun = `${owner.singular} ${noun}`;
    attributes.pop();
  }
  let resolved: number | null;
  if (count !== undefined) resolved = count;
  else resolved = plural ? null : 1;
  return {
    next: j,
    noun,
    head: headLemma,
    plural,
    count: resolved,
    attributes,
    definite,
    bare: !determiner,
    proper,
    named,
    possessedBy,
    negated,
    ofComplement: false,
    collective,
    contents: null,
    interior: false,
    start: tokens[i].start,
    end: Math.max(lastEnd, tokens[i].end),
  };
}

// Plural words that do start compounds: "a sports car", "an arts centre".
const PLURAL_MODIFIERS = new Set(['sports', 'arts', 'news', 'goods', 'clothes', 'savings', 'sales', 'parts', 'jeans', 'games', 'kids', 'girls', 'boys', 'mens', 'womens', 'childrens', 'ladies', 'drinks', 'records', 'customs', 'arms', 'works', 'spirits', 'crafts', 'antiques', 'electronics', 'fireworks', 'glass', 'grass', 'dress']);
// Heaps that "it" names as a whole: "a stack of pancakes ... next to it".
const COLLECTIVE_HEADS = new Set(['pile', 'stack', 'heap', 'bunch', 'set', 'row', 'tower', 'mound', 'bundle']);
// What a driver or pilot sits behind: "at the wheel", "at the helm".
const CONTROLS = new Set(['wheel', 'helm', 'controls', 'tiller', 'steering']);
// Shapes a group stands in: "in a row", "in a long line", "in a circle", "in single file".
const ARRANGEMENTS = new Set(['row', 'rows', 'line', 'lines', 'circle', 'ring', 'semicircle', 'queue', 'column', 'file', 'formation', 'cluster', 'huddle']);
const ARRANGEMENT_MODIFIERS = new Set(['neat', 'long', 'short', 'straight', 'single', 'perfect', 'tidy', 'orderly', 'double', 'wide', 'tight', 'small', 'big', 'large', 'loose', 'crooked', 'wavy', 'diagonal', 'v-shaped', 'rough', 'messy']);

/**
 * "in a (neat) row", "in single file": the token after the arrangement, or i when there is none
 * at i. "in a row of houses" and "in a line of cars" are arrangements too; "in a row house" is not.
 */
function arrangementEnd(tokens: Token[], i: number): number {
  if (tokens[i]?.lower !== 'in' || !isWord(tokens[i + 1])) return i;
  let k = i + 1;
  if (/^(a|an|one|the)$/.test(tokens[k].lower)) k++;
  while (isWord(tokens[k]) && ARRANGEMENT_MODIFIERS.has(tokens[k].lower) && ARRANGEMENTS.has(tokens[k + 1]?.lower ?? '')) k++;
  if (!isWord(tokens[k]) || !ARRANGEMENTS.has(tokens[k].lower)) return i;
  if (tokens[k].lower === 'file' && tokens[k - 1].lower !== 'single') return i;
  if (nounRightAfter(tokens, k + 1)) return i;
  return k + 1;
}

/**
 * "vultures circle above them", "three dogs run along the beach", "cowboys ride their horses": a
 * plural noun is rarely the first word of a compound, so a verb's base form right after one, with
 * a relation, a preposition or an object after it, is the clause's verb.
 */
function pluralThenVerb(cands: readonly { words: string[]; noun: boolean; plural: boolean; proper: boolean }[], info: ReturnType<typeof wordInfo>, tokens: Token[], k: number): boolean {
  const last = cands[cands.length - 1];
  const lastWord = last?.words[last.words.length - 1] ?? '';
  if (!last || !last.noun || !last.plural || last.proper || PAIR_NOUNS.has(lastWord) || PLURAL_MODIFIERS.has(lastWord)) return false;
  // Word classes do not tell "circle" the verb from "circle" the noun; a singular word in that
  // place is the verb, unless it is only an adjective or colour.
  if (!info.noun || info.plural || info.func || info.adjective || info.attribute || info.verbForm !== null || matchPhrase(tokens, k - 1) !== null) return false;
  const after = tokens[k];
  if (!isWord(after)) return true;
  const kind = matchPhrase(tokens, k)?.entry.kind;
  return kind === 'rel' || kind === 'side' || PREPOSITIONS.has(after.lower) || DEFINITE.has(after.lower) || POSS.has(after.lower) || after.lower in COUNT_WORDS || PARTICLES.has(after.lower);
}

/** A noun starts right at token j, not a participle ("the top shelf", not "the left holding"). */
function nounRightAfter(tokens: Token[], j: number): boolean {
  const t = tokens[j];
  if (!isWord(t) || DEFINITE.has(t.lower) || t.lower in COUNT_WORDS) return false;
  const m = matchPhrase(tokens, j);
  if (m) return m.entry.kind === 'noun';
  const info = wordInfo(t.lower);
  if (info.verbForm === 'ing' || info.verbForm === 'ed' || info.link || info.func) return false;
  if (info.noun) return true;
  return (info.adjective || info.attribute) && nounAhead(tokens, j + 1);
}

/** Collective words that name a thing of their own when no noun follows. */
const COLLECTIVE_NOUNS = new Set(['couple', 'crowd', 'group', 'herd', 'flock', 'pile', 'stack', 'row', 'pack', 'bunch']);

/**
 * "couple", "crowd" at token j name a thing ("a young couple sitting", "in front of a crowd"), not
 * a count ("a couple of dogs", "a crowd of people"), when no noun follows.
 */
function coupleNoun(tokens: Token[], j: number): boolean {
  return COLLECTIVE_NOUNS.has(tokens[j]?.lower ?? '') && tokens[j + 1]?.lower !== 'of' && !nounRightAfter(tokens, j + 1);
}

/** "one" standing for a noun at token j ("the red one", "a bigger one"). */
function proOneAt(tokens: Token[], j: number): boolean {
  const w = tokens[j]?.lower;
  if (!((w === 'one' || w === 'ones') && isWord(tokens[j]))) return false;
  const n = tokens[j + 1];
  if (n?.lower === 'of' || n?.lower === 'another') return false;
  return !nounAhead(tokens, j + 1) || (w === 'one' && verbOfSingular(tokens, j + 1));
}

/**
 * "one watches from behind a fence", "another sleeps on the sofa": "one" and "another" never count
 * a plural noun, so a plural at token k that can be a verb is their verb.
 */
function verbOfSingular(tokens: Token[], k: number): boolean {
  const t = tokens[k];
  if (!isWord(t)) return false;
  const info = wordInfo(t.lower);
  return info.plural && info.verbForm === 's';
}

/** Whether token j continues a coordinated modifier list ("white" in "brown and white dog"). */
function coordinatedModifier(tokens: Token[], j: number): boolean {
  const t = tokens[j];
  if (!isWord(t)) return false;
  const info = wordInfo(t.lower);
  if (!(info.adjective || info.attribute || info.verbForm === 'ed')) return false;
  if (DEFINITE.has(t.lower) || t.lower in COUNT_WORDS) return false;
  return nounAhead(tokens, j + 1) || coordinatedModifierTail(tokens, j + 1);
}

function coordinatedModifierTail(tokens: Token[], j: number): boolean {
  // "black and white and grey cat" is rare; one more coordinated modifier is enough look-ahead.
  const t = tokens[j];
  if (t?.lower !== 'and' && t?.lower !== ',') return false;
  const n = tokens[j + 1];
  if (!isWord(n)) return false;
  const info = wordInfo(n.lower);
  return (info.adjective || info.attribute) && nounAhead(tokens, j + 2);
}

/** Length of a count prefix at j ("not more than", "at least") when a number follows it. */
function countPrefix(tokens: Token[], j: number): number {
  for (const p of COUNT_PREFIX) {
    let ok = true;
    for (let k = 0; k < p.length; k++) {
      if (tokens[j + k]?.lower !== p[k] || !isWord(tokens[j + k])) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    const n = tokens[j + p.length];
    if (isWord(n) && (/^\p{N}+$/u.test(n.lower) || (n.lower in COUNT_WORDS && n.lower !== 'a' && n.lower !== 'an'))) return p.length;
  }
  return 0;
}

/** After a head noun: is word j a verb ("a helicopter flies over", "the donkey holds the rope")? */
function postHeadVerb(tokens: Token[], j: number, info: ReturnType<typeof wordInfo>, singularDet: boolean, cands: Candidate[]): boolean {
  const w = tokens[j].lower;
  if (info.link && !(info.knownNoun && !info.verb && !/s$/.test(w))) return true;
  if (SAME_FORM_PARTICIPLES.has(w) && isVerbContext(tokens, j + 1)) return true;
  if (info.verbForm === 'ing' || info.verbForm === 'ed') {
    if (!info.knownNoun) return true;
    // "an oil painting of a lighthouse" is a noun; "a man painting a fence" a verb with its object.
    const n = tokens[j + 1];
    return isWord(n) && (DEFINITE.has(n.lower) || POSS.has(n.lower) || PRONOUN_SET.has(n.lower) || (n.lower in COUNT_WORDS && n.lower !== 'of'));
  }
  const pluralLooking = /[^us'’]s$/.test(w) && w.length > 3;
  if (!pluralLooking) return false;
  const next = tokens[j + 1];
  const nextIsNoun = isWord(next) && !DEFINITE.has(next.lower) && !POSS.has(next.lower) && nounAhead(tokens, j + 1) && matchPhrase(tokens, j + 1) === null;
  if (nextIsNoun) return false;
  const lastHead = cands[cands.length - 1];
  // "a cat sits": a singular determiner and a singular head cannot take a plural compound.
  if (singularDet && !lastHead.plural) return true;
  if (info.verb || info.verbForm === 's') return isVerbContext(tokens, j + 1);
  return false;
}

/** Whether token j is a third-person verb after a head ("passes over", "sits on"). */
function verbFollows(tokens: Token[], j: number): boolean {
  const t = tokens[j];
  if (!isWord(t)) return false;
  const info = wordInfo(t.lower);
  if (info.link && /s$/.test(t.lower)) return true;
  return /[^us'’]s$/.test(t.lower) && isVerbContext(tokens, j + 1);
}

/** What follows a verb: an object, a relation, a preposition or an adverb. */
function isVerbContext(tokens: Token[], j: number): boolean {
  const t = tokens[j];
  if (!isWord(t)) return false;
  if (DEFINITE.has(t.lower) || POSS.has(t.lower) || PRONOUN_SET.has(t.lower) || t.lower in COUNT_WORDS) return true;
  const m = matchPhrase(tokens, j);
  if (m && m.entry.kind !== 'noun' && m.entry.kind !== 'count') return true;
  if (PREPOSITIONS.has(t.lower) || t.lower === 'with') return true;
  const info = wordInfo(t.lower);
  return info.adverb;
}

export interface ChunkResult {
  chunks: Chunk[];
  scene: SceneSpan[];
}

/** Pass 2: the chunks of a prompt and the scene phrases found on the way. Linear. */
export function chunkTokens(tokens: Token[], text: string): ChunkResult {
  const chunks: Chunk[] = [];
  const scene: SceneSpan[] = [];
  // Sentence-initial noun phrases may be a medium ("A photo of ..."); later ones are objects.
  let sentenceHasContent = false;
  let sentenceHasVerb = false;
  const last = (): Chunk | undefined => {
    for (let k = chunks.length - 1; k >= 0; k--) if (chunks[k].k !== 'adv' && chunks[k].k !== 'quote') return chunks[k];
    return undefined;
  };
  // A comma- or sentence-separated segment with no noun, verb or relation but with image-quality
  // tags ("highly detailed", "8k", "cinematic lighting") is style.
  let segStart = -1;
  let segEnd = -1;
  let segContent = false;
  let segTag = false;
  const endSegment = (): void => {
    if (segStart >= 0 && !segContent && segTag) scene.push({ kind: 'style', span: [segStart, segEnd] });
    segStart = -1;
    segContent = false;
    segTag = false;
  };
  const push = (c: Chunk): void => {
    chunks.push(c);
    if (c.k === 'stop' || c.k === 'comma') endSegment();
    else if (c.k !== 'adv' && c.k !== 'adj') segContent = true;
    if (c.k !== 'stop' && c.k !== 'comma' && c.k !== 'quote' && c.k !== 'adv') sentenceHasContent = true;
    if (c.k === 'verb') sentenceHasVerb = true;
    if (c.k === 'stop') {
      sentenceHasContent = false;
      sentenceHasVerb = false;
    }
  };

  for (let i = 0; i < tokens.length; ) {
    const t = tokens[i];
    if (!t.punct) {
      if (segStart < 0) segStart = t.start;
      segEnd = t.end;
      if (STYLE_TAGS.test(t.lower)) segTag = true;
    }
    if (t.quote) {
      scene.push({ kind: 'text', span: [t.start, t.end] });
      push({ k: 'quote', start: t.start, end: t.end });
      i++;
      continue;
    }
    if (t.punct) {
      if (t.lower === ',' || t.lower === ':') push({ k: 'comma', start: t.start, end: t.end });
      else push({ k: 'stop', start: t.start, end: t.end });
      i++;
      continue;
    }
    const w = t.lower;
    const prev = last();
    // Fixed multi-word function phrases first.
    if (w === 'there' && isWord(tokens[i + 1]) && (COPULAS.has(tokens[i + 1].lower) || LINKS.has(tokens[i + 1].lower) && /s$/.test(tokens[i + 1].lower))) {
      push({ k: 'there', start: t.start, end: tokens[i + 1].end });
      i += 2;
      continue;
    }
    const arranged = arrangementEnd(tokens, i);
    if (arranged > i) {
      // "four cups in a row on a shelf", "children stand in a line": how they stand, not a
      // container they are in; the relation after it is theirs.
      push({ k: 'adv', start: t.start, end: tokens[arranged - 1].end });
      i = arranged;
      continue;
    }
    const pairWord = tokens[i + 2]?.lower;
    if (
      (w === 'side' && tokens[i + 1]?.lower === 'by' && pairWord === 'side' && tokens[i + 3]?.lower !== 'with') ||
      (RECIPROCAL_BODY.has(w) && (tokens[i + 1]?.lower === 'to' || tokens[i + 1]?.lower === 'in') && pairWord === w && isWord(tokens[i + 1]))
    ) {
      // "a truck and a car parked side by side", "sitting back to back": next to each other.
      const span: Span = [t.start, tokens[i + 2].end];
      push({ k: 'rel', relation: 'next_to', swap: false, pronoun: null, phrase: text.slice(span[0], span[1]), start: span[0], end: span[1], middle: false });
      push({ k: 'recip', start: span[0], end: span[1] });
      i += 3;
      continue;
    }
    if ((w === 'each' && tokens[i + 1]?.lower === 'other') || (w === 'one' && tokens[i + 1]?.lower === 'another')) {
      push({ k: 'recip', start: t.start, end: tokens[i + 1].end });
      i += 2;
      continue;
    }
    // "one of them", "two of which": a pronoun for part of a plural antecedent.
    if ((w in COUNT_WORDS || w === 'all' || /^\p{N}+$/u.test(w)) && tokens[i + 1]?.lower === 'of' && isWord(tokens[i + 2]) && /^(them|those|these|which|whom|us)$/.test(tokens[i + 2].lower)) {
      // "both of them", "all of them" are the whole group; "one of them", "two of which" part of it.
      push({ k: 'pron', word: 'them', start: t.start, end: tokens[i + 2].end, plural: true, partOf: w !== 'both' && w !== 'all' });
      i += 3;
      continue;
    }
    if (w === 'the' && tokens[i + 1]?.lower === 'other' && /^(ones?)$/.test(tokens[i + 2]?.lower ?? '') && !nounAhead(tokens, i + 3)) {
      // "the other one".
      push({ k: 'pron', word: tokens[i + 2].lower === 'ones' ? 'others' : 'other', start: t.start, end: tokens[i + 2].end, plural: tokens[i + 2].lower === 'ones' ? true : null, definite: true });
      i += 3;
      continue;
    }
    if (w === 'the' && /^(one|ones|other|others|latter|former|rest)$/.test(tokens[i + 1]?.lower ?? '') && !nounAhead(tokens, i + 2) && tokens[i + 2]?.lower !== 'of') {
      const word = tokens[i + 1].lower === 'rest' ? 'others' : tokens[i + 1].lower;
      push({ k: 'pron', word, start: t.start, end: tokens[i + 1].end, plural: /s$/.test(word) ? true : null, definite: true });
      i += 2;
      continue;
    }
    if ((w === 'one' || w === 'another') && (!nounAhead(tokens, i + 1) || verbOfSingular(tokens, i + 1)) && tokens[i + 1]?.lower !== 'of' && tokens[i + 1]?.lower !== 'another') {
      // "one in front of the other", "one on top of another": a member of a group; "another one"
      // is "another".
      const oneMore = w === 'another' && proOneAt(tokens, i + 1);
      push({ k: 'pron', word: w, start: t.start, end: oneMore ? tokens[i + 1].end : t.end, plural: false });
      i += oneMore ? 2 : 1;
      continue;
    }
    if ((prev === undefined || prev.k === 'stop') && IMPERATIVES.has(w) && isWord(tokens[i + 1]) && (DEFINITE.has(tokens[i + 1].lower) || tokens[i + 1].lower in COUNT_WORDS || /^\p{N}/u.test(tokens[i + 1].lower))) {
      // "Place a red ball at the center": the instruction is not an object.
      i++;
      continue;
    }
    if (wordInfo(w).verbForm !== null && isWord(tokens[i + 1]) && possessiveRelation(tokens, i + 1, text)) {
      // "lying on the laptop's left side": the verb, then the relation to the possessor.
      push(verbChunk(t, w));
      i++;
      continue;
    }
    const possRel = possessiveRelation(tokens, i, text);
    if (possRel) {
      push(possRel.rel);
      push({ k: 'np', np: possRel.np, start: possRel.np.start, end: possRel.np.end });
      i = possRel.next;
      continue;
    }
    const split = splitRelation(tokens, i, text);
    if (split) {
      push(split);
      i += 2;
      continue;
    }
    const prefix = countPrefix(tokens, i);
    const m = prefix > 0 ? null : matchPhrase(tokens, i);
    if (m && m.entry.kind === 'style') {
      // "in the style of Van Gogh": the named style or author is scene, not an object.
      let k = i + m.length;
      const named = readNounPhrase(tokens, k, text);
      if (named) k = named.next;
      // "trending on artstation", "inspired by Studio Ghibli and Moebius".
      while (isWord(tokens[k]) && (STYLE_TAGS.test(tokens[k].lower) || (wordInfo(tokens[k].lower).func && !wordInfo(tokens[k].lower).listed))) k++;
      while (isWord(tokens[k]) && (tokens[k].lower === 'and' || tokens[k].cap)) {
        const more = readNounPhrase(tokens, tokens[k].lower === 'and' ? k + 1 : k, text);
        if (!more) break;
        k = more.next;
      }
      scene.push({ kind: 'style', span: [t.start, tokens[Math.max(i, k - 1)].end] });
      segContent = true;
      i = k;
      continue;
    }
    if (m && m.entry.kind === 'order') {
      const span: Span = [t.start, tokens[i + m.length - 1].end];
      push({ k: 'order', axis: m.entry.axis, forward: m.entry.forward, phrase: text.slice(span[0], span[1]), start: span[0], end: span[1] });
      i += m.length;
      continue;
    }
    if (m && m.entry.kind === 'side' && nounRightAfter(tokens, i + m.length)) {
      // "on the top shelf", "in the back seat": a modifier of the noun after it, not a placement.
      const rel = matchPhrase(tokens, i)?.length === m.length ? TRIE.next.get(w)?.entry : undefined;
      if (rel?.kind === 'rel') {
        push({ k: 'rel', relation: rel.relation, swap: rel.swap, pronoun: null, phrase: text.slice(t.start, t.end), start: t.start, end: t.end, middle: false });
      } else push({ k: 'prep', word: w, start: t.start, end: t.end });
      i++;
      continue;
    }
    if (m && m.entry.kind !== 'noun' && m.entry.kind !== 'count') {
      let mm = m;
      let at = i;
      // "sitting on top of", "perched on": the verb keeps its preposition; a verb-led lexicon
      // phrase gives way to a longer or equal relation starting after the verb.
      if (mm.entry.kind === 'rel' && mm.length > 1 && wordInfo(w).verbForm !== null) {
        const rest = matchPhrase(tokens, i + 1);
        if (rest && rest.entry.kind !== 'noun' && rest.entry.kind !== 'count' && (i + 1 + rest.length > i + mm.length || (rest.entry.kind === 'rel' && rest.entry.relation === mm.entry.relation && !rest.entry.swap && !mm.entry.swap))) {
          push(verbChunk(t, w));
          at = i + 1;
          mm = rest;
        }
      }
      const first = tokens[at];
      const lastTok = tokens[at + mm.length - 1];
      const span: Span = [first.start, lastTok.end];
      const phrase = text.slice(span[0], span[1]);
      const e = mm.entry;
      if (e.kind === 'rel') {
        const before = at > 0 ? tokens[at - 1].lower : '';
        const after = tokens[at + mm.length];
        const isAgentBy = first.lower === 'by' && mm.length === 1 && BY_AGENT.test(before);
        const isNumeric = isWord(after) && /^\p{N}/u.test(after.lower) && (first.lower === 'around' || first.lower === 'over');
        if (isAgentBy) {
          // "a painting by Monet": the author is not an object in the picture.
          let k = at + mm.length;
          const agent = readNounPhrase(tokens, k, text);
          if (agent) k = agent.next;
          scene.push({ kind: 'style', span: [first.start, tokens[k - 1].end] });
          i = k;
          continue;
        }
        if (isNumeric) {
          i = at + mm.length;
          continue;
        }
        // "inside"/"outside"/"below" with nothing after: an adverb ("outside on the grass",
        // "from below"); the chunks after decide what it refers to.
        let pronoun: string | null = null;
        if (e.poss) for (let k = at; k < at + mm.length; k++) if (POSS.has(tokens[k].lower)) pronoun = tokens[k].lower;
        const middle = e.middle === true;
        if (prev?.k === 'prep' && prev.word === 'from' && !objectAhead(tokens, at + mm.length)) {
          // "wide-angle lens from below", "seen from above": a viewpoint, not a relation.
          chunks.pop();
          scene.push({ kind: 'style', span: [prev.start, span[1]] });
          push({ k: 'view', start: prev.start, end: span[1] });
          i = at + mm.length;
          continue;
        }
        if ((first.lower === 'outside' || first.lower === 'outdoors') && mm.length === 1 && !objectAhead(tokens, at + 1)) {
          scene.push({ kind: 'setting', span });
          push({ k: 'adv', start: span[0], end: span[1] });
          i = at + 1;
          continue;
        }
        const lead = wordInfo(first.lower).verbForm;
        push({ k: 'rel', relation: e.relation, swap: e.swap, pronoun, phrase, start: span[0], end: span[1], middle, verbLed: lead === 'ing' || lead === 'ed' });
      } else if (e.kind === 'side') {
        // "in the left part of the image": the picture named after the placement.
        let k = at + mm.length;
        if (tokens[k]?.lower === 'of' && isWord(tokens[k + 1]) && DEFINITE.has(tokens[k + 1].lower) && PICTURE_SET.has(tokens[k + 2]?.lower ?? '')) {
          span[1] = tokens[k + 2].end;
          k += 3;
          mm = { ...mm, length: k - at };
        }
        push({ k: 'side', side: e.side, phrase: text.slice(span[0], span[1]), start: span[0], end: span[1] });
      } else if (e.kind === 'corner') {
        for (const side of e.sides) push({ k: 'side', side, phrase, start: span[0], end: span[1] });
      } else if (e.kind === 'unknown') {
        push({ k: 'unknown', phrase, start: span[0], end: span[1] });
      } else if (e.kind === 'vague') {
        const p = phrase.toLowerCase();
        if (/with|accompanied by|plus/.test(p)) push({ k: 'with', neg: false, vague: p, start: span[0], end: span[1] });
        else push({ k: 'vague', phrase, start: span[0], end: span[1] });
      }
      i = at + mm.length;
      continue;
    }
    if (w === 'at' && /^(the|its|his|her|their)$/.test(tokens[i + 1]?.lower ?? '') && CONTROLS.has(tokens[i + 2]?.lower ?? '')) {
      // "a raccoon at the wheel of a rowboat": the one steering sits behind the wheel, which
      // stays the object ("the wheel of a rowboat" is the wheel).
      push({ k: 'rel', relation: 'behind', swap: false, pronoun: null, phrase: text.slice(t.start, t.end), start: t.start, end: t.end, middle: false });
      i++;
      continue;
    }
    // "to the northwest of": a spatial-looking frame we have no entry for.
    if ((w === 'to' || w === 'at') && tokens[i + 1]?.lower === 'the' && tokens[i + 3]?.lower === 'of' && isWord(tokens[i + 2]) && isWord(tokens[i + 3]) && !PARTS.has(tokens[i + 2].lower)) {
      const span: Span = [t.start, tokens[i + 3].end];
      push({ k: 'unknown', phrase: text.slice(span[0], span[1]), start: span[0], end: span[1] });
      i += 4;
      continue;
    }
    if (w === 'and' || w === '&' || (w === 'as' && tokens[i + 1]?.lower === 'well' && tokens[i + 2]?.lower === 'as')) {
      const n = w === 'as' ? 3 : 1;
      push({ k: 'and', start: t.start, end: tokens[i + n - 1].end });
      i += n;
      continue;
    }
    if (w === 'but' || w === 'or' || w === 'yet') {
      push({ k: w === 'or' ? 'and' : 'but', start: t.start, end: t.end });
      i++;
      continue;
    }
    if (w === 'with' || w === 'without' || w === 'plus') {
      push({ k: 'with', neg: w === 'without', vague: w === 'without' ? null : w, start: t.start, end: t.end });
      i++;
      continue;
    }
    if ((w === 'rather' && tokens[i + 1]?.lower === 'than') || (w === 'instead' && tokens[i + 1]?.lower === 'of') || (w === 'as' && tokens[i + 1]?.lower === 'opposed' && tokens[i + 2]?.lower === 'to')) {
      // "next to the bed rather than on it": what follows is denied.
      const n = w === 'as' ? 3 : 2;
      push({ k: 'neg', start: t.start, end: tokens[i + n - 1].end });
      i += n;
      continue;
    }
    if (w === 'before' && (prev?.k === 'verb' || prev?.k === 'np') && objectAhead(tokens, i + 1)) {
      // "kneeling before a queen", "a man before a mirror": in front of it; "before sunset" is time.
      const np = readNounPhrase(tokens, i + 1, text);
      if (np && !BEFORE_TIMES.has(np.head) && !BEFORE_TIMES.has(np.noun) && !(np.bare && /^(bed|school|work|class|church|noon)$/.test(np.noun))) {
        push({ k: 'rel', relation: 'in_front_of', swap: false, pronoun: null, phrase: t.lower === 'before' ? text.slice(t.start, t.end) : t.lower, start: t.start, end: t.end, middle: false });
        i++;
        continue;
      }
    }
    if (NEGATIONS.has(w) || /n't$/.test(w)) {
      push({ k: 'neg', start: t.start, end: t.end });
      i++;
      continue;
    }
    if (RELATIVE.has(w) || (w === 'that' && (prev?.k === 'np' || prev?.k === 'pron') && !nounAheadAsDeterminer(tokens, i + 1))) {
      push({ k: 'rp', start: t.start, end: t.end });
      i++;
      continue;
    }
    if (SUBORDINATOR_SET.has(w) && !(w === 'as' && isWord(tokens[i + 1]) && wordInfo(tokens[i + 1].lower).adjective && tokens[i + 2]?.lower === 'as')) {
      push({ k: 'sub', start: t.start, end: t.end });
      i++;
      continue;
    }
    if (PRONOUN_SET.has(w) && !possessiveIts(tokens, i) && !(POSS.has(w) && isWord(tokens[i + 1]) && startsContent(tokens[i + 1].lower))) {
      const plural = /^(they|them|their|themselves)$/.test(w) ? true : /^(it|its|itself|he|him|his|she|her|hers)$/.test(w) ? false : null;
      if (w === 'itself' || w === 'themselves' || w === 'himself' || w === 'herself') {
        push({ k: 'adv', start: t.start, end: t.end });
      } else push({ k: 'pron', word: w, start: t.start, end: t.end, plural });
      i++;
      continue;
    }
    // A verb where a verb can stand: after a subject, a relative pronoun, an auxiliary, or
    // (participles) after a comma or "and".
    const info = wordInfo(w);
    const afterPlural = prev?.k === 'np' && prev.end === tokens[i - 1]?.end && prev.np.plural && !prev.np.proper && pluralThenVerb([{ words: [tokens[i - 1].lower], noun: true, plural: true, proper: false }], info, tokens, i + 1);
    if (afterPlural || isVerbHere(tokens, i, info, prev, sentenceHasVerb)) {
      push(verbChunk(t, w));
      i++;
      // Particles stay with their verb ("lying down", "curled up", "spread out").
      while (isWord(tokens[i]) && PARTICLES.has(tokens[i].lower) && !matchPhrase(tokens, i) && !objectAhead(tokens, i + 1) && tokens[i + 2]?.lower !== tokens[i].lower) {
        push({ k: 'adv', start: tokens[i].start, end: tokens[i].end });
        i++;
      }
      continue;
    }
    if (PREPOSITIONS.has(w) && !(w === 'inside' || w === 'outside')) {
      push({ k: 'prep', word: w, start: t.start, end: t.end });
      i++;
      continue;
    }
    if (info.adverb && !info.noun || INTENSIFIER_SET.has(w) && !nounAhead(tokens, i + 1) || w === 'here' || w === 'also' || w === 'too') {
      push({ k: 'adv', start: t.start, end: t.end });
      i++;
      continue;
    }
    const coordinated = prev?.k === 'and' && chunks[chunks.length - 2]?.k === 'np';
    const fragment = prev === undefined || prev.k === 'comma' || prev.k === 'stop';
    const np = readOuterNounPhrase(tokens, i, text, !sentenceHasContent, scene, coordinated, fragment);
    if (np === null) {
      const word = wordInfo(w);
      if (word.adjective || word.verbForm !== null) push({ k: 'adj', word: w, start: t.start, end: t.end });
      i++;
      continue;
    }
    if (np.measure) {
      // "a few feet in front of": a distance, not an object.
      i = np.next;
      continue;
    }
    if (np.np.definite && np.np.noun === np.np.head && PART_ANAPHORS.has(np.np.head) && np.np.possessedBy === null && (prev?.k === 'rel' || prev?.k === 'prep')) {
      // "a basket on the front", "a ladder against the side": a part of what was just named.
      push({ k: 'pron', word: 'it', start: np.np.start, end: np.np.end, plural: null });
      i = np.next;
      continue;
    }
    if (np.np.noun === 'one' || np.np.noun === 'ones') {
      // "the red one", "a bigger one": a member of a group, told apart by its modifiers.
      const plural = np.np.noun === 'ones';
      push({ k: 'pron', word: plural ? 'ones' : 'one', start: np.np.start, end: np.np.end, plural: plural ? true : null, attrs: np.np.attributes, definite: np.np.definite });
      i = np.next;
      continue;
    }
    push({ k: 'np', np: np.np, start: np.np.start, end: np.np.end });
    i = np.next;
  }
  endSegment();
  return { chunks, scene };
}

// Participles after which "by" names an author or cause, not a place ("painted by", "made by").
const BY_AGENT = /^(painted|drawn|made|created|taken|shot|photographed|illustrated|inspired|designed|rendered|written|directed|generated|art|artwork|photo|painting|drawing|sculpted|carved|built|composed|photography|illustration|sketched|engraved)$/;

function verbChunk(t: Token, w: string): Chunk {
  const info = wordInfo(w);
  const form: VerbForm = SAME_FORM_PARTICIPLES.has(w) ? 'ed' : info.verbForm ?? (/ing$/.test(w) ? 'ing' : /ed$/.test(w) ? 'ed' : /s$/.test(w) ? 's' : 'base');
  return {
    k: 'verb',
    word: w,
    form,
    cop: COPULAS.has(w),
    aux: AUXILIARIES.has(w),
    placement: PLACEMENT.has(w),
    possession: POSSESSION.has(w),
    presentation: PRESENTATION.has(w),
    start: t.start,
    end: t.end,
  };
}

function isVerbHere(tokens: Token[], i: number, info: ReturnType<typeof wordInfo>, prev: Chunk | undefined, sentenceHasVerb = false): boolean {
  const w = tokens[i].lower;
  if (COPULAS.has(w) || AUXILIARIES.has(w) || POSSESSION.has(w)) return w !== "'s" || prev?.k === 'pron' || prev?.k === 'np' || prev?.k === 'there';
  const canVerb = info.verbForm !== null || info.link || SAME_FORM_PARTICIPLES.has(w);
  const k = prev?.k;
  const afterSubject = k === 'np' || k === 'pron' || k === 'rp' || k === 'there' || k === 'recip' || (k === 'verb' && (prev.cop || prev.aux)) || k === 'neg';
  if (afterSubject) {
    if (canVerb && (!(info.knownNoun && info.verbForm === null && !info.link) || SAME_FORM_PARTICIPLES.has(w))) return true;
    // "while it naps", "a whale breaches": an unknown -s word after a singular subject.
    // The noun phrase reader stopped before it, so it is no plural head either.
    if ((k === 'pron' || k === 'np') && /[^us'’]s$/.test(w) && !info.func && isWord(tokens[i + 1]) && isVerbContext(tokens, i + 1)) return true;
    return false;
  }
  if (k === 'verb' && canVerb && (info.verbForm === 'ing' || info.verbForm === 'ed')) return !nounAhead(tokens, i + 1) || !info.adjective;
  // Participial clauses: ", jumping over a waterfall", "and flying over the Earth", "while wearing".
  if ((k === 'comma' || k === 'and' || k === 'sub' || k === 'but' || k === 'adv' || k === 'adj' || k === undefined || k === 'stop' || k === 'with' || k === 'view') && (info.verbForm === 'ing' || info.verbForm === 'ed') && !info.knownNoun) {
    // Before a noun it is a modifier ("and fried bananas"), unless an object follows ("holding a
    // sign").
    const n = tokens[i + 1];
    if (!isWord(n)) return info.verbForm === 'ing' || k !== 'and';
    if (DEFINITE.has(n.lower) || POSS.has(n.lower) || n.lower in COUNT_WORDS || PRONOUN_SET.has(n.lower)) return true;
    if (matchPhrase(tokens, i + 1)?.entry.kind === 'rel' || matchPhrase(tokens, i + 1)?.entry.kind === 'side' || PREPOSITIONS.has(n.lower) || PARTICLES.has(n.lower)) return true;
    const ni = wordInfo(n.lower);
    if (ni.adverb) return true;
    // "perched on an obelisk and breathing flames": after a verb, a coordinated participle with
    // its object; "and fried bananas" stays a noun phrase.
    if (sentenceHasVerb && info.verbForm === 'ing' && (k === 'and' || k === 'comma')) return true;
    return !nounAhead(tokens, i + 1) && info.verbForm === 'ing';
  }
  return false;
}

/**
 * A one-word relation typed as two ("under neath", "be hind"): merged when the second half is no
 * word of its own.
 */
function splitRelation(tokens: Token[], i: number, text: string): Chunk | null {
  const a = tokens[i];
  const b = tokens[i + 1];
  if (!isWord(b) || b.start !== a.end + 1 || wordInfo(b.lower).listed) return null;
  const entry = TRIE.next.get(a.lower + b.lower)?.entry;
  if (entry?.kind !== 'rel' || entry.poss) return null;
  return { k: 'rel', relation: entry.relation, swap: entry.swap, pronoun: null, phrase: text.slice(a.start, b.end), start: a.start, end: b.end, middle: false };
}

/** Whether an object noun phrase or pronoun starts at j (for "outside" and "from below"). */
function objectAhead(tokens: Token[], j: number): boolean {
  const t = tokens[j];
  if (!isWord(t)) return false;
  if (DEFINITE.has(t.lower) || POSS.has(t.lower) || PRONOUN_SET.has(t.lower) || t.lower in COUNT_WORDS || /^\p{N}/u.test(t.lower)) return true;
  const m = matchPhrase(tokens, j);
  if (m) return m.entry.kind === 'noun' || m.entry.kind === 'count';
  const info = wordInfo(t.lower);
  return (info.noun && !info.func) || t.cap || ((info.adjective || info.attribute) && nounAhead(tokens, j + 1));
}

function nounAheadAsDeterminer(tokens: Token[], j: number): boolean {
  const t = tokens[j];
  if (!isWord(t)) return false;
  const info = wordInfo(t.lower);
  if (info.verbForm !== null || info.link || COPULAS.has(t.lower)) return false;
  return nounAhead(tokens, j);
}

/**
 * "to the laptop's right", "on the dog's left side": a relation whose object is a possessor.
 * Returns the relation and the object's noun phrase.
 */
function possessiveRelation(tokens: Token[], i: number, text: string): { rel: Chunk; np: NounPhrase; next: number } | null {
  const w = tokens[i].lower;
  if (w !== 'to' && w !== 'on' && w !== 'at') return null;
  const d = tokens[i + 1];
  if (!isWord(d) || !(DEFINITE.has(d.lower) || d.lower === 'a' || d.lower === 'an')) return null;
  const np = readNounPhrase(tokens, i + 1, text, { stopAtPossessive: true });
  if (!np || tokens[np.next]?.lower !== "'s") return null;
  const side = tokens[np.next + 1]?.lower;
  let relation: RelationType | null = null;
  if (side === 'left') relation = 'left_of';
  else if (side === 'right') relation = 'right_of';
  if (relation === null) return null;
  let end = np.next + 1;
  if (tokens[end + 1]?.lower === 'side') end++;
  else if (tokens[end + 1]?.lower === 'hand' && tokens[end + 2]?.lower === 'side') end += 2;
  const phrase = text.slice(tokens[i].start, tokens[end].end);
  return {
    rel: { k: 'rel', relation, swap: false, pronoun: null, phrase, start: tokens[i].start, end: tokens[end].end, middle: false },
    np: withoutNext(np),
    next: end + 1,
  };
}

/** The phrase without the reader's position. */
function withoutNext({ next: _next, ...rest }: NounPhrase & { next: number }): NounPhrase {
  return rest;
}

/**
 * A noun phrase with its "of" complements: partitive ("a piece of cake" is cake), container ("a
 * bowl of fruit"), medium ("a photo of" opening a sentence: scene), part ("the inside of a
 * train"), name ("the Statue of Liberty"), or a plain restriction ("the hood of a car").
 */
function readOuterNounPhrase(
  tokens: Token[],
  i: number,
  text: string,
  sentenceStart: boolean,
  scene: SceneSpan[],
  coordinated: boolean,
  fragment: boolean,
): { np: NounPhrase; next: number; measure: boolean } | null {
  const first = readNounPhrase(tokens, i, text, { coordinated, fragment });
  if (first === null || first.next === i) return null;
  let np: NounPhrase = first;
  let next = first.next;
  let mediumAllowed = sentenceStart;
  // Each step consumes "of" and a noun phrase, so the loop is linear in the tokens.
  while (tokens[next]?.lower === 'of' && !matchPhrase(tokens, next) && isWord(tokens[next + 1])) {
    const inner = readNounPhrase(tokens, next + 1, text);
    if (inner === null || inner.next === next + 1) break;
    const simpleHead = np.noun === np.head || np.noun === wordInfo(np.head).singular;
    const innerProper = inner.proper && inner.bare;
    // "a painting of a cat hanging on the wall" is a painting in the picture, not its medium.
    if (mediumAllowed && (FRAMES.has(np.noun) || FRAMES.has(np.head)) && !innerProper && !DISPLAY_VERBS.has(tokens[inner.next]?.lower ?? '')) {
      // "A photo of a cat": the frame is the medium, the cat the object.
      scene.push({ kind: 'medium', span: [np.start, tokens[next].end] });
      np = inner;
      next = inner.next;
      continue;
    }
    mediumAllowed = false;
    if ((PARTITIVES.has(np.head) || (INDEFINITE_PARTITIVES.has(np.head) && !np.definite && !inner.definite)) && simpleHead && !innerProper) {
      const collective = inner.plural && !np.plural && (np.count === 1 || np.count === null);
      np = { ...inner, start: np.start, count: inner.plural ? inner.count : np.count, attributes: [...np.attributes, ...inner.attributes], definite: np.definite || inner.definite, bare: np.bare && inner.bare, negated: np.negated, collective };
      next = inner.next;
      continue;
    }
    if (PARTS.has(np.head) && simpleHead && np.definite && !innerProper) {
      np = { ...inner, start: np.start, interior: np.head === 'inside' || np.head === 'interior' };
      next = inner.next;
      continue;
    }
    if (MEASURES.has(np.head) && !innerProper) break;
    if (innerProper && !inner.plural) {
      // "the Statue of Liberty", "the city of Los Angeles": one name.
      np = { ...np, noun: `${np.noun} of ${inner.noun}`, end: inner.end, proper: np.proper || inner.proper, ofComplement: true };
      next = inner.next;
      continue;
    }
    if ((CONTAINERS.has(np.head) || SURFACES.has(np.head)) && simpleHead && np.contents === null && !inner.definite) {
      const { next: innerNext, ...contents } = inner;
      np = { ...np, end: inner.end, contents: { np: contents, relation: SURFACES.has(np.head) ? 'on' : 'inside', span: [tokens[next].start, tokens[next].end] } };
      next = innerNext;
      continue;
    }
    np = { ...np, end: inner.end, ofComplement: true };
    next = inner.next;
  }
  const measure = MEASURES.has(np.head) && np.noun === np.head && !np.definite && isWord(tokens[next]) && matchPhrase(tokens, next)?.entry.kind === 'rel';
  return { np, next, measure };
}
