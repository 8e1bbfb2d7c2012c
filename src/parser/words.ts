/**
 * Word classes for the parser, from compromise's lexicon, its suffix model and noun inflector, plus
 * our own lists and English morphology.
 *
 * Running compromise's full tagger on every prompt costs ~1-4 ms and dominates a 10,000-line file,
 * and its contextual rules mis-tag prompt vocabulary ("under" as an adjective, "stands" as a plural
 * noun). So each distinct word is looked up once: compromise's lexicon (a hash map), then, for words
 * it does not know, compromise's own suffix patterns (the ones its tagger uses for unknown words),
 * then our morphology; the result is cached. Which reading a word takes in a prompt (noun, verb,
 * modifier) is decided by position, in the chunker.
 */
import nlp from 'compromise';
import { ATTRIBUTE_WORDS, KNOWN_NOUNS, LINK_VERBS } from './lexicon';

/** The inflected form of a word that can be a verb. */
export type VerbForm = 'ing' | 'ed' | 's' | 'base';

/** What one lower-cased word can be. Several flags may be true ("orange": noun and attribute). */
export interface WordInfo {
  noun: boolean;
  adjective: boolean;
  verb: boolean;
  /** Closed-class or adverb: ends a noun phrase. */
  func: boolean;
  /** An adverb ("proudly", "straight"): modifies a verb or an adjective, never heads a phrase. */
  adverb: boolean;
  /** Always an attribute (colour, material, size) when a noun follows. */
  attribute: boolean;
  /** Placement verb ("sits", "is"): ends a noun phrase once its noun is seen. */
  link: boolean;
  plural: boolean;
  /** The singular form (the word itself when not plural). */
  singular: string;
  /** The verb form when the word can be a verb (from the lexicon or its ending), else null. */
  verbForm: VerbForm | null;
  /** The lexicon knows the word as a noun, or our list does (not a guess from its ending). */
  knownNoun: boolean;
  /** Compromise's lexicon or one of our lists knows the word (its classes are not a guess). */
  listed: boolean;
}

interface CompromiseWorld {
  model: {
    one: { lexicon: Record<string, string | string[]> };
    two: {
      suffixPatterns: Array<Record<string, string> | null | undefined>;
      endsWith: Record<string, Array<[RegExp, string, string?]>>;
    };
  };
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
  'itself', 'themselves', 'himself', 'herself', 'whose', 'also', 'too', 'onto', 'upon', 'toward',
  'towards', 'has', 'have', 'had', 'does', 'do', 'did', 'been', 'being', 'can', 'could', 'will',
  'would', 'should', 'may', 'might', 'must', 'away', 'around', 'over', 'under', 'above', 'below',
  'behind', 'beside', 'near', 'between', 'among', 'amongst', 'amid', 'amidst', 'against', 'beneath',
  'underneath', 'atop', 'within', 'outside', 'inside', 'ahead', 'again', 'just', 'only', 'even',
  'still', 'yet', 'almost', 'nearly', 'quite', 'rather', 'somewhat', 'such', 'what', 'how', 'why',
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
  'headphones', 'earphones', 'goggles', 'sunglasses', 'eyeglasses', 'spectacles', 'overalls',
  'pajamas', 'pyjamas', 'tights', 'leggings', 'bus', 'gas', 'lens', 'series', 'species', 'news',
  'chess', 'canvas', 'rhinoceros', 'asbestos', 'cosmos', 'chaos', 'kudos', 'ethos', 'pathos',
  'dais', 'trellis', 'chassis', 'mathematics', 'physics', 'athletics', 'gymnastics', 'billiards',
  'darts', 'measles', 'diabetes', 'herpes', 'rabies', 'molasses', 'mumps', 'aerobics', 'economics',
  'thanks', 'savings', 'premises', 'barracks', 'gallows', 'headquarters', 'crossroads', 'means',
  'texas', 'paris', 'athens', 'wales', 'netherlands', 'philippines', 'bahamas', 'andes', 'alps',
]);
const IRREGULAR_SINGULAR: Readonly<Record<string, string>> = {
  skis: 'ski', people: 'person', dice: 'die', taxis: 'taxi', kiwis: 'kiwi', alibis: 'alibi',
  bikinis: 'bikini', martinis: 'martini', safaris: 'safari', yetis: 'yeti', emojis: 'emoji',
  sushis: 'sushi', tutus: 'tutu', gnus: 'gnu', emus: 'emu', menus: 'menu', tofus: 'tofu',
  cacti: 'cactus', fungi: 'fungus', octopi: 'octopus', geese: 'goose', mice: 'mouse', teeth: 'tooth',
  feet: 'foot', men: 'man', women: 'woman', children: 'child', oxen: 'ox', lice: 'louse',
  knives: 'knife', leaves: 'leaf', wolves: 'wolf', shelves: 'shelf', loaves: 'loaf', calves: 'calf',
  halves: 'half', scarves: 'scarf', elves: 'elf', thieves: 'thief', wives: 'wife', lives: 'life',
  hooves: 'hoof', dwarves: 'dwarf', rhinoceroses: 'rhinoceros', octopuses: 'octopus',
  buses: 'bus', lenses: 'lens', glasses: 'glass', cactuses: 'cactus', walruses: 'walrus',
  platypuses: 'platypus', hippopotamuses: 'hippopotamus', irises: 'iris', canvases: 'canvas',
  campuses: 'campus', circuses: 'circus', viruses: 'virus', bonuses: 'bonus', chorus: 'chorus',
  axes: 'axe', oases: 'oasis', bases: 'base', crises: 'crisis', analyses: 'analysis',
  dominoes: 'domino', potatoes: 'potato', tomatoes: 'tomato', heroes: 'hero', volcanoes: 'volcano',
  mangoes: 'mango', mosquitoes: 'mosquito', tornadoes: 'tornado', echoes: 'echo', cookies: 'cookie',
  movies: 'movie', pies: 'pie', ties: 'tie', zombies: 'zombie', brownies: 'brownie', selfies: 'selfie',
  hoodies: 'hoodie', rookies: 'rookie', goalies: 'goalie', genies: 'genie', calories: 'calorie',
  lies: 'lie', dies: 'die', toes: 'toe', shoes: 'shoe', canoes: 'canoe', horses: 'horse',
  houses: 'house', vases: 'vase', cases: 'case', roses: 'rose', noses: 'nose', hoses: 'hose',
  purses: 'purse', nurses: 'nurse', bowties: 'bowtie', neckties: 'necktie', sheep: 'sheep',
  deer: 'deer', fish: 'fish', moose: 'moose', bison: 'bison', aircraft: 'aircraft', series: 'series',
};
// Nouns ending in -ing, -ed or -s that are not verb forms.
const NOUN_ENDINGS = /(bed|shed|sled|seed|weed|steed|reed|breed)$/;
const ING_NOUNS = new Set([
  'building', 'painting', 'ceiling', 'clothing', 'wedding', 'morning', 'evening', 'king', 'ring',
  'wing', 'thing', 'string', 'spring', 'swing', 'sling', 'railing', 'awning', 'icing', 'stuffing',
  'pudding', 'dumpling', 'sibling', 'duckling', 'seedling', 'sapling', 'earring', 'bedding',
  'drawing', 'opening', 'housing', 'herring', 'shilling', 'viking', 'darling', 'lightning', 'ping',
  'stocking', 'frosting', 'rendering', 'engraving', 'etching', 'packaging', 'piping', 'plumbing',
  'wiring', 'roofing', 'siding', 'flooring', 'scaffolding', 'bunting', 'bling',
]);

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

/** The tag compromise's tagger gives an unknown word from its ending (its own suffix model). */
function suffixTag(word: string): string | null {
  const patterns = compromiseWorld().model.two.suffixPatterns;
  const len = word.length;
  for (let n = Math.min(7, len - 1); n > 1; n--) {
    const table = patterns[n];
    const tag = table?.[word.slice(len - n)];
    if (typeof tag === 'string') return tag;
  }
  // The ending regexes compromise falls back on when no suffix matched ("identical", "natal").
  for (const [re, tag] of compromiseWorld().model.two.endsWith[word[len - 1]] ?? []) {
    if (re instanceof RegExp && re.test(word)) return tag;
  }
  return null;
}

// Irregular plurals that end closed compounds ("bookshelves", "werewolves", "grandchildren"), where
// compromise only strips the s. Left out on purpose: heads that end unrelated words too ("-lives"
// in "olives", "-men" in "specimen", "-mice" in "pumice").
const COMPOUND_PLURAL_HEADS = ['shelves', 'wolves', 'knives', 'wives', 'loaves', 'leaves', 'halves', 'calves', 'thieves', 'hooves', 'scarves', 'children'];

function compoundPluralHead(word: string): string | undefined {
  return COMPOUND_PLURAL_HEADS.find((head) => word.length >= head.length + 3 && word.endsWith(head));
}

function singularOf(word: string): string {
  const irregular = IRREGULAR_SINGULAR[word];
  if (irregular) return irregular;
  const head = compoundPluralHead(word);
  if (head) return word.slice(0, -head.length) + IRREGULAR_SINGULAR[head];
  // Greek and Latin singulars ("cactus", "iris") and "-ss" words never lose their s.
  if (/(us|ss|is)$/.test(word)) return word;
  if (/[^aeiou]ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ches|shes|xes|zzes|sses)$/.test(word)) return word.slice(0, -2);
  if (/oes$/.test(word)) return word.slice(0, -2);
  try {
    const w = compromiseWorld();
    const s = w.methods.two.transform.noun.toSingular(word, w.model);
    if (typeof s === 'string' && s.length > 0 && s !== word) return s;
  } catch {
    // fall through to the plain rule
  }
  return word.endsWith('s') ? word.slice(0, -1) : word;
}

function looksPlural(word: string, tags: string[]): boolean {
  if (PLURAL_LOOKING_SINGULARS.has(word) || word.length < 3) return false;
  if (word in IRREGULAR_SINGULAR) return IRREGULAR_SINGULAR[word] !== word;
  if (compoundPluralHead(word)) return true;
  if (tags.includes('Plural')) return true;
  if (known.has(word) || tags.includes('Singular') || tags.includes('Uncountable')) return false;
  // "-us", "-ss", "-is" are singular endings ("cactus", "glass", "iris"); "-s" after anything else
  // is the plural ("meerkats", "seats", "messages").
  return /[^usi'’]s$/.test(word) || /(ses|xes|ches|shes|ies|ves)$/.test(word);
}

function verbFormOf(word: string, tags: string[], stem: string | null): VerbForm | null {
  if (tags.includes('Gerund')) return 'ing';
  if (tags.includes('PastTense') || tags.includes('Participle')) return 'ed';
  if (tags.includes('PresentTense')) return /s$/.test(word) ? 's' : 'base';
  if (tags.includes('Infinitive') || tags.includes('Imperative')) return 'base';
  if (stem === 'Gerund') return 'ing';
  if (stem === 'PastTense' || stem === 'Participle') return 'ed';
  if (/ing$/.test(word) && word.length > 4 && /[aeiouy]/.test(word.slice(0, -3))) return 'ing';
  if (/[^e]ed$/.test(word) && word.length > 4 && !NOUN_ENDINGS.test(word)) return 'ed';
  if (/ied$|eed$/.test(word) && word.length > 5 && !NOUN_ENDINGS.test(word)) return 'ed';
  if (/(en)$/.test(word) && tags.includes('Adjective') && word.length > 5) return 'ed';
  return null;
}

function compute(word: string): WordInfo {
  const tags = tagsOf(word);
  const info: WordInfo = {
    noun: false,
    adjective: false,
    verb: false,
    func: false,
    adverb: false,
    attribute: attributes.has(word),
    link: links.has(word),
    plural: false,
    singular: word,
    verbForm: null,
    knownNoun: false,
    listed: tags.length > 0 || attributes.has(word) || links.has(word) || known.has(word) || STOP_WORDS.has(word) || STYLE_WORDS.has(word),
  };
  if (STOP_WORDS.has(word)) {
    info.func = true;
    if (info.link) info.verbForm = /s$/.test(word) ? 's' : 'base';
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
    else if (FUNC_TAGS.has(t)) {
      info.func = true;
      if (t === 'Adverb') info.adverb = true;
    }
  }
  info.knownNoun = info.noun;
  let guessed: string | null = null;
  if (tags.length === 0) {
    // The same fallback compromise's tagger applies to words it does not know: suffix patterns,
    // then "a noun".
    guessed = /^[a-z][a-z'-]*$/.test(word) ? suffixTag(word) : null;
    if (/ly$/.test(word) && word.length > 3 && !/(ly|fly|belly|jelly|lily|bully|gully|rally|ally)$/.test(word.slice(-5))) {
      info.func = true;
      info.adverb = true;
    } else if (guessed === 'Adverb') {
      info.func = true;
      info.adverb = true;
    } else if (guessed !== null && ADJECTIVE_TAGS.has(guessed)) info.adjective = true;
    else if (guessed === 'Gerund' || guessed === 'PastTense' || guessed === 'Participle') info.verb = true;
    else info.noun = true;
  }
  if (known.has(word) || known.has(word.replace(/s$/, '')) || known.has(word.replace(/es$/, ''))) {
    info.noun = true;
    info.knownNoun = true;
    info.func = false;
    info.adverb = false;
  }
  if (ING_NOUNS.has(word)) {
    info.noun = true;
    info.knownNoun = true;
  }
  if (info.attribute) info.adjective = true;
  info.verbForm = verbFormOf(word, tags, guessed);
  if (info.verbForm !== null) info.verb = true;
  if (info.link && info.verbForm === null) info.verbForm = /s$/.test(word) ? 's' : 'base';
  if (info.link) info.verb = true;
  // A verb form with no noun reading of its own ("sitting", "parked") is not a noun, whatever the
  // fallback guessed; the chunker still reads it as a modifier before a noun ("a parked car").
  if (info.verbForm !== null && !info.knownNoun && (info.verbForm === 'ing' || info.verbForm === 'ed')) info.noun = false;
  if (info.noun && looksPlural(word, tags)) {
    info.plural = true;
    info.singular = singularOf(word);
  } else if (!info.noun && info.verbForm === 's' && looksPlural(word, [])) {
    // "seats", "flowers": compromise lists them as verbs; in noun position they are plural nouns.
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

/**
 * Whether the word can head a noun phrase where a noun is expected ("a garden", "a bottled drink",
 * "the seats"): nouns, and verb forms compromise lists without their noun reading.
 */
export function nounLike(word: string): boolean {
  const info = wordInfo(word);
  if (info.noun && !info.func) return true;
  return !info.link && !info.adverb && !info.func && !info.adjective && (info.verbForm === 'base' || info.verbForm === 's');
}

/** The singular of a plural noun as the chunker reads it in noun position ("seats" -> "seat"). */
export function nounSingular(word: string): { singular: string; plural: boolean } {
  const info = wordInfo(word);
  if (info.plural) return { singular: info.singular, plural: true };
  if (!info.noun && (info.verbForm === 's' || info.verbForm === null) && looksPlural(word, [])) {
    return { singular: singularOf(word), plural: true };
  }
  return { singular: word, plural: false };
}
