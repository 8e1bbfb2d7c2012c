/**
 * Small English helpers the rewriter and its grammar checks share: plurals, "a"/"an", number
 * words, and word classes of single words from compromise's tagger (cached, since prompts repeat
 * the same few hundred words).
 */
import nlp from 'compromise';
import { KNOWN_NOUNS, MULTI_WORD_NOUNS } from '../parser/lexicon';

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
/** Nouns whose plural is the word itself: either number agrees ("the sheep is", "the sheep are"). */
export const SAME_PLURAL: ReadonlySet<string> = new Set([
  'sheep', 'deer', 'fish', 'bison', 'moose', 'skis', 'aircraft', 'salmon', 'trout', 'shrimp',
  'series', 'species', 'news', 'spacecraft', 'offspring',
]);
/** Nouns that are plural even for one thing: "the scissors are", "the clothes are". */
export const PLURAL_ONLY: ReadonlySet<string> = new Set([
  'clothes', 'scissors', 'glasses', 'sunglasses', 'eyeglasses', 'pants', 'jeans', 'shorts',
  'trousers', 'binoculars', 'headphones', 'earphones', 'goggles', 'tongs', 'pliers', 'leggings',
  'pajamas', 'pyjamas', 'tights', 'overalls', 'shears', 'tweezers', 'clippers', 'stairs',
]);

/** English plural of a (possibly multi-word) noun: the last word inflects ("wine glasses"). */
export function pluralize(noun: string): string {
  const words = noun.split(' ');
  const last = words.pop() ?? '';
  const lower = last.toLowerCase();
  let plural: string;
  if (IRREGULAR_PLURALS[lower]) plural = IRREGULAR_PLURALS[lower];
  else if (SAME_PLURAL.has(lower) || PLURAL_ONLY.has(lower)) plural = last;
  else if (/(s|x|z|ch|sh)$/i.test(last)) plural = `${last}es`;
  else if (/[^aeiou]y$/i.test(last)) plural = `${last.slice(0, -1)}ies`;
  else plural = `${last}s`;
  return [...words, plural].join(' ');
}

/** "a" or "an" before `word` (by its sound, approximated from its spelling). */
export function article(word: string): 'a' | 'an' {
  const w = word.toLowerCase();
  if (/^(hour|honest|honou?r|heir)/.test(w)) return 'an';
  if (/^(uni|use|usu|ure|uro|eu|ewe|one|once|ubiq|utens|util|uter)/.test(w)) return 'a';
  // Letters read out one by one: "an X-ray", "an MRI", "a UFO".
  if (/^[a-z]$/.test(w) || /^[A-Z](-|$)/.test(word) || /^[A-Z]{2,}\b/.test(word)) return /^[aefhilmnorsx]/.test(w) ? 'an' : 'a';
  return /^[aeiou]/.test(w) ? 'an' : 'a';
}

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

/** "three" for 3, digits from 13 on, as SPRIGHT's captions write counts. */
export function numberWord(n: number): string {
  return n >= 0 && n < NUMBER_WORDS.length ? NUMBER_WORDS[n]! : String(n);
}

/** Number words up to twelve, by value. */
export const NUMBER_VALUES: ReadonlyMap<string, number> = new Map(NUMBER_WORDS.map((w, i) => [w, i]));

/** Word classes of one lower-cased word, as far as the grammar checks need them. */
export interface WordClass {
  /** Can head a noun phrase ("seats", "painting", "tug-of-war"). */
  noun: boolean;
  /** An adjective that is not also a noun ("white", "wooden"). */
  adjective: boolean;
  /** A bare -ing or -ed verb form that is not also a common noun ("playing", "wearing"). */
  participle: boolean;
  /** A finite verb form ("sits", "shows", "is"). */
  verb: boolean;
  /** Determiner, preposition, conjunction, pronoun, auxiliary, adverb or negation. */
  closed: boolean;
  /** Grammatical number when used as a noun; `both` for "sheep", "news", "pants". */
  number: 'singular' | 'plural' | 'both';
}

// Nouns ending in -ing that compromise lists as gerunds only.
const ING_NOUNS = new Set([
  'painting', 'building', 'drawing', 'ceiling', 'clothing', 'wedding', 'earring', 'icing', 'pudding',
  'railing', 'sibling', 'ring', 'wing', 'king', 'string', 'swing', 'sling', 'spring', 'evening',
  'morning', 'dumpling', 'seedling', 'duckling', 'sapling', 'stocking', 'lightning', 'landing',
  'crossing', 'carving', 'etching', 'engraving', 'recording', 'setting', 'frosting', 'topping',
  'filling', 'stuffing', 'bedding', 'awning', 'mooring', 'clearing', 'opening', 'offering',
  'wrapping', 'tubing', 'siding', 'flooring', 'plumbing', 'wiring', 'lighting', 'shipping', 'parking',
]);
const CLOSED_TAGS = ['Preposition', 'Conjunction', 'Determiner', 'Pronoun', 'Copula', 'Auxiliary', 'Modal', 'Negative', 'QuestionWord', 'Adverb'];

// The parser's object nouns: "orange", "tie" and "remote" are things in prompts, whatever else they are.
const KNOWN = new Set([...KNOWN_NOUNS, ...MULTI_WORD_NOUNS]);

/** Whether the parser's lexicon knows `noun` (one or more words) as a thing. */
export function isKnownNoun(noun: string): boolean {
  return KNOWN.has(noun.toLowerCase());
}

const CACHE_LIMIT = 20_000;
const classCache = new Map<string, WordClass>();

function tagsIn(text: string, index: number): Set<string> {
  const terms = (nlp(text) as unknown as { termList(): Array<{ tags: Set<string> }> }).termList();
  return terms[index]?.tags ?? new Set();
}

function computeClass(word: string): WordClass {
  // One word alone says what it can be; after "the" compromise reads it as a noun and says
  // whether it is singular or plural ("the seats" is plural, though "seats" alone is a verb).
  const alone = word.includes('-') ? tagsIn(word, word.split('-').length - 1) : tagsIn(word, 0);
  const asNoun = tagsIn(`the ${word}`, word.includes('-') ? word.split('-').length : 1);
  const has = (t: string): boolean => alone.has(t);
  const closed = CLOSED_TAGS.some(has) && !has('Noun');
  const gerundOrParticiple = (has('Gerund') || (has('PastTense') && /ed$/.test(word)) || has('Participle')) && !has('Noun');
  const participle = gerundOrParticiple && !ING_NOUNS.has(word);
  const adjective = (has('Adjective') || has('Comparative') || has('Superlative')) && !has('Noun');
  const verb = has('Verb') && !participle && !has('Noun');
  const known = KNOWN.has(word) || KNOWN.has(word.replace(/e?s$/, ''));
  const noun = known || (!closed && !adjective && !participle && !has('Value'));
  let number: WordClass['number'] = 'singular';
  if (PLURAL_ONLY.has(word)) number = 'plural';
  else if (SAME_PLURAL.has(word) || asNoun.has('Uncountable')) number = 'both';
  else if (asNoun.has('Plural')) number = 'plural';
  if (known) return { noun: true, adjective: false, participle: false, verb: false, closed: false, number };
  return { noun, adjective, participle, verb, closed, number };
}

/** Word class of one lower-cased word (cached). */
export function wordClass(word: string): WordClass {
  const w = word.toLowerCase();
  let c = classCache.get(w);
  if (!c) {
    c = computeClass(w);
    if (classCache.size >= CACHE_LIMIT) classCache.clear();
    classCache.set(w, c);
  }
  return c;
}
