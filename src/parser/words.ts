/**
 * Word classes for the parser, from compromise's lexicon and noun inflector plus our own lists.
 *
 * Running compromise's full tagger on every prompt costs ~1-4 ms and dominates a 10,000-line file,
 * so we look each distinct word up once in compromise's lexicon (a hash map), singularise plurals
 * with its inflector, and cache the result. Context comes from our own noun-phrase rules instead,
 * which also fix the words compromise mis-tags in prompts ("above", "beside", "tie", "sink").
 */
import nlp from 'compromise';
import { ATTRIBUTE_WORDS, KNOWN_NOUNS, LINK_VERBS } from './lexicon';

/** What one lower-cased word can be. Several flags may be true ("orange": noun and attribute). */
export interface WordInfo {
  noun: boolean;
  adjective: boolean;
  verb: boolean;
  /** Closed-class or adverb: ends a noun phrase. */
  func: boolean;
  /** Always an attribute (colour, material, size) when a noun follows. */
  attribute: boolean;
  /** Placement verb ("sits", "is"): ends a noun phrase once its noun is seen. */
  link: boolean;
  plural: boolean;
  /** The singular form (the word itself when not plural). */
  singular: string;
}

interface CompromiseWorld {
  model: { one: { lexicon: Record<string, string | string[]> } };
  methods: { two: { transform: { noun: { toSingular(word: string, model: unknown): string } } } };
}

const NOUN_TAGS = new Set([
  'Noun', 'Singular', 'Plural', 'Uncountable', 'Actor', 'ProperNoun', 'Person', 'Place', 'Country',
  'City', 'Organization', 'Demonym', 'Unit', 'FirstName', 'MaleName', 'FemaleName', 'LastName',
]);
const VERB_TAGS = new Set([
  'Verb', 'Infinitive', 'PresentTense', 'PastTense', 'Gerund', 'Participle', 'PhrasalVerb',
  'Imperative', 'Auxiliary',
]);
const ADJECTIVE_TAGS = new Set(['Adjective', 'Comparative', 'Superlative']);
const FUNC_TAGS = new Set([
  'Preposition', 'Conjunction', 'Determiner', 'Pronoun', 'QuestionWord', 'Negative', 'Adverb',
  'Copula', 'Modal', 'Expression', 'Possessive',
]);
// Words closed-class in prompts whatever the lexicon says.
const STOP_WORDS = new Set([
  'of', 'in', 'at', 'from', 'for', 'to', 'into', 'with', 'and', 'or', 'but', 'nor', 'while',
  'whereas', 'as', 'than', 'that', 'which', 'who', 'whom', 'where', 'when', 'then', 'so', 'if',
  'because', 'not', 'no', 'is', 'are', 'was', 'were', 'be', 'there', 'here', 'it', 'its', 'they',
  'them', 'their', 'he', 'she', 'him', 'his', 'her', 'we', 'you', 'i', 'me', 'my', 'our', 'your',
  'the', 'a', 'an', 'this', 'these', 'those', 'each', 'every', 'other', 'another', 'very', 'each',
  'up', 'down', 'out', 'off', 'about', 'like', 'without', 'through', 'across', 'along',
  'during', 'after', 'before', 'since', 'until', 'via', 'per', 'both', 'either', 'neither',
]);
// Image-quality and style tags at the end of prompts ("highly detailed, 4k"): never objects.
const STYLE_WORDS = new Set([
  'photorealistic', 'hyperrealistic', 'realistic', 'detailed', 'cinematic', 'lighting', 'artstation',
  'octane', 'unreal', 'bokeh', 'masterpiece', 'quality', 'resolution', 'hdr', 'uhd', 'hd', 'dslr',
  'trending', 'award-winning', 'sharp', 'focus', 'highres', 'ultra', 'intricate', 'aesthetic',
]);
// Words that look plural but name one thing (and compromise's inflector would mangle).
const PLURAL_LOOKING_SINGULARS = new Set([
  'scissors', 'glasses', 'pants', 'jeans', 'shorts', 'trousers', 'tongs', 'pliers', 'binoculars',
  'headphones', 'bus', 'gas', 'lens', 'cactus', 'octopus', 'hippopotamus', 'series', 'species',
  'news', 'dress', 'grass', 'glass', 'compass', 'bonus', 'iris', 'canvas', 'chess', 'mattress',
]);
const IRREGULAR_SINGULAR: Readonly<Record<string, string>> = { skis: 'ski', people: 'person', dice: 'die' };

const known = new Set(KNOWN_NOUNS);
const attributes = new Set(ATTRIBUTE_WORDS);
const links = new Set(LINK_VERBS);

let world: CompromiseWorld | undefined;
function compromiseWorld(): CompromiseWorld {
  world ??= (nlp as unknown as { world(): CompromiseWorld }).world();
  return world;
}

// Bounded so that a stream of random words (fuzzing, binary files) cannot grow memory forever.
const CACHE_LIMIT = 50_000;
const cache = new Map<string, WordInfo>();

function tagsOf(word: string): string[] {
  const t = compromiseWorld().model.one.lexicon[word];
  if (t === undefined) return [];
  return typeof t === 'string' ? [t] : t;
}

function singularOf(word: string): string {
  const irregular = IRREGULAR_SINGULAR[word];
  if (irregular) return irregular;
  try {
    const w = compromiseWorld();
    const s = w.methods.two.transform.noun.toSingular(word, w.model);
    return typeof s === 'string' && s.length > 0 ? s : word;
  } catch {
    return word;
  }
}

function looksPlural(word: string, tags: string[]): boolean {
  if (PLURAL_LOOKING_SINGULARS.has(word) || word.length < 3) return false;
  if (tags.includes('Plural')) return true;
  if (tags.length > 0 && !known.has(word)) return false;
  if (known.has(word)) return word in IRREGULAR_SINGULAR;
  return /[^su'’]s$/.test(word) || /(ses|xes|ches|shes|ies|ves)$/.test(word);
}

function compute(word: string): WordInfo {
  const tags = tagsOf(word);
  const info: WordInfo = {
    noun: false,
    adjective: false,
    verb: false,
    func: false,
    attribute: attributes.has(word),
    link: links.has(word),
    plural: false,
    singular: word,
  };
  if (STOP_WORDS.has(word)) {
    info.func = true;
    return info;
  }
  if (/^\p{N}/u.test(word) || STYLE_WORDS.has(word)) {
    info.func = true;
    return info;
  }
  for (const t of tags) {
    if (NOUN_TAGS.has(t)) info.noun = true;
    else if (VERB_TAGS.has(t)) info.verb = true;
    else if (ADJECTIVE_TAGS.has(t)) info.adjective = true;
    else if (FUNC_TAGS.has(t)) info.func = true;
  }
  if (tags.length === 0) {
    // Compromise guesses unknown words from suffixes too; these few rules cover prompt vocabulary.
    if (/ly$/.test(word)) info.func = true;
    else if (/(ing|ed)$/.test(word) && word.length > 4) info.verb = true;
    else if (/(ous|ful|ive|able|ible|ic|ish|less|ern)$/.test(word) && word.length > 4) info.adjective = true;
    else info.noun = true;
  }
  if (known.has(word) || known.has(word.replace(/s$/, ''))) {
    info.noun = true;
    info.func = false;
  }
  if (info.attribute) info.adjective = true;
  if (info.noun && looksPlural(word, tags)) {
    info.plural = true;
    info.singular = singularOf(word);
  }
  return info;
}

/** Word classes of one lower-cased word (cached). */
export function wordInfo(word: string): WordInfo {
  let info = cache.get(word);
  if (info === undefined) {
    info = compute(word);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(word, info);
  }
  return info;
}
