/**
 * parsePrompt: objects, spatial relations, scene and problems of one prompt.
 *
 * Three linear passes: tokenise (quoted text kept whole); chunk tokens into noun phrases, relation
 * and placement phrases, verbs and function words (chunk.ts); then read the chunks clause by clause
 * (this file). The clause reader keeps who each clause is about (its subject), who a relation is
 * about right now (the actor: a participle or a "with" phrase moves it to the noun before, a
 * relative clause to its own noun), which noun phrases are only details (what an object wears or
 * holds) and which are settings, and resolves pronouns by agreement.
 */
import { type Chunk, chunkTokens, type NounPhrase } from './chunk';
import { findConflicts } from './conflicts';
import { idsOf, relationLabel } from './labels';
import {
  ANIMATE_NOUNS,
  PEOPLE_NOUNS,
  CLOTHING_NOUNS,
  COLOUR_WORDS,
  DEPICTION_VERBS,
  FRAME_NOUNS,
  GROUND_NOUNS,
  INTENSIFIERS,
  LINK_VERBS,
  PICTURE_NOUNS,
  SURFACE_NOUNS,
  SCENE_NOUNS,
  SETTING_NOUNS,
  STYLE_HEADS,
  THING_VERBS,
  TIME_NOUNS,
  VEHICLE_NOUNS,
  type AbsoluteSide,
} from './lexicon';
import { tokenize } from './tokens';
import type {
  ParsedPrompt,
  Placement,
  PromptDiagnostic,
  PromptObject,
  PromptRelation,
  RelationType,
  SceneElement,
  SceneKind,
  Span,
} from './types';

/**
 * Only this many characters of a prompt are analysed; the rest gets an information diagnostic.
 * Text-to-image encoders read 77 tokens, so real prompts are far shorter; the cap keeps a 1 MB
 * line or a binary file from costing more than a long prompt.
 */
export const MAX_ANALYZED_CHARS = 4000;

const MALE_PRONOUNS = new Set(['he', 'him', 'his']);
const FEMALE_PRONOUNS = new Set(['she', 'her', 'hers']);
const MALE = /\b(man|boy|king|prince|father|dad|gentleman|guy|husband|son|brother|uncle|grandfather|knight|monk|wizard|god|emperor|pharaoh|lord|sir|mr|groom|waiter|actor|policeman|fireman|fisherman|cowboy|santa|bull|rooster|stallion)$/;
const FEMALE = /\b(woman|girl|queen|princess|mother|mom|lady|wife|daughter|sister|aunt|grandmother|witch|nun|goddess|empress|mrs|miss|bride|waitress|actress|mona lisa|hen|mare|cow|ballerina|mermaid)$/;

const PICTURES = new Set(PICTURE_NOUNS);
const SCENES = new Set(SCENE_NOUNS);
const SETTINGS = new Set(SETTING_NOUNS);
const GROUNDS = new Set(GROUND_NOUNS);
const SURFACES = new Set(SURFACE_NOUNS);
const TIMES = new Set(TIME_NOUNS);
const CLOTHING = new Set(CLOTHING_NOUNS);
const STYLES = new Set(STYLE_HEADS);
const LINK_WORDS = new Set(LINK_VERBS);
// Possessives name an owner of the next noun, not the object of a relation by themselves.
const POSSESSIVE_ONLY = new Set(['its', 'his', 'their', 'hers']);
const COLOURS = new Set(COLOUR_WORDS);
const DEPICTIONS = new Set(DEPICTION_VERBS);
const INTENSIFIER_SET = new Set(INTENSIFIERS);
const FRAMES = new Set(FRAME_NOUNS);

/** A picture, not a thing in one: "a poster", "a stained glass window", "a screenshot". */
function framing(np: NounPhrase): boolean {
  return !np.proper && (FRAMES.has(np.noun) || FRAMES.has(np.head) || PICTURES.has(np.noun) || PICTURES.has(np.head));
}
const ANIMATES = new Set(ANIMATE_NOUNS);
const PEOPLE = new Set(PEOPLE_NOUNS);
const VEHICLES = new Set(VEHICLE_NOUNS);
const THING_VERB_SET = new Set(THING_VERBS);
// Verbs a vehicle is the subject of: "a truck with a load of logs parked beside a river".
const VEHICLE_VERBS = new Set(['parked', 'driving', 'drives', 'stopped', 'moving', 'traveling', 'travelling', 'waiting', 'sitting', 'standing', 'speeding', 'passing', 'docked', 'moored', 'anchored', 'sailing', 'flying', 'landing', 'leaning', 'locked', 'chained']);
/** Containers whose "with" names their contents ("a cage with a parrot"); not bags and cases. */
const WITH_CONTAINERS = new Set([
  'cup', 'glass', 'bottle', 'bowl', 'vase', 'basket', 'box', 'jar', 'bucket', 'mug', 'pot', 'pitcher', 'jug', 'crate', 'barrel',
  'pan', 'teapot', 'kettle', 'cart', 'wheelbarrow', 'tank', 'aquarium', 'cage', 'nest', 'pail', 'flask', 'goblet', 'tumbler',
  'bin', 'vial', 'beaker', 'teacup', 'cauldron', 'tub', 'trough', 'urn', 'carafe', 'bathtub', 'birdcage', 'terrarium',
]);
/** Surfaces whose "with" names what lies on them ("a plate with a croissant"); not tables. */
const WITH_SURFACES = new Set(['plate', 'tray', 'platter', 'dish', 'shelf', 'rack', 'saucer', 'bookshelf', 'windowsill']);
/** A container or a surface: what it is given with "with" is in it or on it. */
function holdsContents(np: NounPhrase): boolean {
  return WITH_CONTAINERS.has(np.head) || WITH_SURFACES.has(np.head);
}
/** Verbs of resting somewhere: what a container or surface does, whatever it holds. */
const RESTING_VERBS = new Set(['sitting', 'sits', 'resting', 'rests', 'standing', 'stands', 'placed', 'lying', 'lies', 'laying', 'lays', 'set', 'perched', 'balanced', 'positioned']);
/** What a container is given with "with" that is a part or mark of it, not its contents. */
const PARTS_GIVEN_WITH = new Set([
  'handle', 'lid', 'cap', 'cork', 'spout', 'label', 'rim', 'stem', 'crack', 'chip', 'pattern', 'design', 'logo', 'ribbon',
  'bow', 'strap', 'wheel', 'sticker', 'hole', 'base', 'edge', 'border', 'trim', 'stripe', 'print', 'lock', 'door', 'roof',
]);

/** Verbs whose object is another thing in the picture, not something held or worn. */
const INTERACTION_VERBS = new Set([
  'chasing', 'chases', 'chased', 'watching', 'watches', 'feeding', 'feeds', 'walking', 'walks', 'petting', 'pets', 'hugging', 'hugs', 'kissing', 'kisses',
  'building', 'builds', 'fighting', 'fights', 'attacking', 'attacks', 'hunting', 'hunts', 'following', 'follows', 'pulling', 'pulls', 'pushing', 'pushes',
  'flying', 'flies', 'herding', 'herds', 'leading', 'leads', 'greeting', 'greets', 'approaching', 'approaches', 'facing', 'faces', 'kicking', 'kicks', 'painting', 'paints',
  'observing', 'observes', 'stalking', 'stalks', 'towing', 'tows', 'milking', 'grooming', 'grooms', 'washing', 'washes', 'photographing', 'photographs',
]);

// Verbs of looking and pointing: "looking at a painting above the fireplace" places the painting;
// "waiting at a bus stop under an umbrella" places the one waiting.
const DIRECTED_VERBS = new Set([
  'looking', 'look', 'looks', 'staring', 'stares', 'gazing', 'gazes', 'peering', 'peers', 'glancing',
  'pointing', 'points', 'aiming', 'aims', 'waving', 'waves', 'smiling', 'smiles', 'barking', 'barks',
  'yelling', 'shouting', 'laughing', 'growling', 'hissing', 'glaring', 'squinting', 'watching', 'nodding',
  'throwing', 'shooting', 'firing', 'swinging', 'reaching', 'grabbing', 'licking', 'sniffing', 'pecking',
]);

/** A being that acts (people, animals, robots), by the last word of its noun. */
function isAnimate(np: NounPhrase): boolean {
  if (ANIMATES.has(np.noun) || ANIMATES.has(np.head)) return true;
  const last = np.noun.split(' ').pop() ?? np.noun;
  return ANIMATES.has(last);
}
/** A person, whom "it" never names. */
function isHuman(np: NounPhrase): boolean {
  return PEOPLE.has(np.head) || PEOPLE.has(np.noun.split(' ').pop() ?? np.noun);
}
function isVehicle(np: NounPhrase): boolean {
  return VEHICLES.has(np.head) || VEHICLES.has(np.noun);
}
// What only people and animals do: a participle of these after a thing belongs to the animal.
const ANIMATE_VERBS = new Set([
  'looking', 'watching', 'staring', 'gazing', 'peering', 'reading', 'eating', 'drinking', 'smiling',
  'laughing', 'crying', 'talking', 'singing', 'barking', 'meowing', 'licking', 'sniffing', 'smelling',
  'chewing', 'biting', 'wearing', 'waving', 'yawning', 'grinning', 'posing', 'waiting', 'thinking',
  'typing', 'writing', 'working', 'cooking', 'sleeping', 'napping', 'petting', 'feeding', 'hugging',
  'kissing', 'texting', 'sewing', 'knitting', 'dancing', 'doing', 'performing',
]);
/** Verbs after which "on" names what is worked on, not a support: "typing on a laptop". */
const NOT_PLACING_ON = new Set(['typing', 'types', 'working', 'works', 'writing', 'writes', 'tapping', 'taps', 'clicking', 'talking', 'talks', 'texting', 'knocking', 'knocks', 'drumming', 'focused', 'concentrating']);
// Placements and the relation they state against an object named just before, by axis.
const SIDE_AXIS: Partial<Record<AbsoluteSide, { axis: string; relation: RelationType }>> = {
  left: { axis: 'x', relation: 'left_of' },
  right: { axis: 'x', relation: 'right_of' },
  top: { axis: 'y', relation: 'above' },
  bottom: { axis: 'y', relation: 'below' },
  foreground: { axis: 'z', relation: 'in_front_of' },
  background: { axis: 'z', relation: 'behind' },
};
// Surfaces that stretch across the picture: what is on them is not where they are.
const EXPANSES = new Set([...GROUND_NOUNS, 'wall', 'walls', 'floor', 'ceiling', 'road', 'street', 'highway', 'sidewalk', 'pavement', 'sky', 'air', 'sea', 'ocean', 'lake', 'river', 'pond', 'track', 'tracks', 'path', 'trail', 'court', 'pitch', 'parking lot', 'lot', 'driveway', 'runway']);
// "a train on a bridge over a river": above or below what S rests on is above or below S too;
// "a cat on a bed under a blanket" is not the bed under the blanket.
const VERTICAL = new Set<RelationType>(['above', 'below']);
// Relations that put one thing beside another rather than on or in it.
const LATERAL = new Set<RelationType>(['next_to', 'near', 'left_of', 'right_of', 'in_front_of', 'behind', 'far_from']);
const RELATION_AXIS: Partial<Record<RelationType, string>> = {
  left_of: 'x', right_of: 'x', above: 'y', below: 'y', in_front_of: 'z', behind: 'z',
};
// How far back a pronoun or a definite noun looks for what it names: prompts refer to the last few
// things, and the bound keeps every look-up constant, so the parse stays linear.
const LOOK_BACK = 48;
// "a dozen cups next to each other" names twelve members; more than this stay one group.
const MAX_MEMBERS = 12;
// What is over everything in a picture, or all around: "under" it sets the scene.
const OVERHEAD = new Set(['sea', 'ocean', 'water', 'waves', 'sky', 'skies', 'star', 'stars', 'sun', 'sunlight', 'moonlight', 'rain', 'clouds', 'cloud', 'storm', 'snowfall', 'canopy', 'heavens', 'aurora', 'lights', 'spotlight']);
// "with" phrases that describe rather than add an object: "a cat with a sleepy look".
const ABSTRACT = new Set([
  'look', 'expression', 'smile', 'grin', 'frown', 'gaze', 'stare', 'attitude', 'pose', 'posture',
  'mood', 'personality', 'glow', 'shine', 'twinkle', 'sparkle', 'hint', 'touch', 'feeling', 'sense',
  'vibe', 'aura', 'hairstyle', 'haircut', 'hair', 'beard', 'mustache', 'moustache', 'fur', 'eyes',
  'eye', 'mouth', 'nose', 'ears', 'ear', 'paws', 'paw', 'wings', 'wing', 'tail', 'horns', 'horn',
  'claws', 'teeth', 'tongue', 'lips', 'whiskers', 'mane', 'feathers', 'beak', 'fins', 'spots',
  'stripes', 'pattern', 'design', 'color', 'colour', 'shape', 'texture', 'finish', 'label', 'logo',
  'writing', 'word', 'words', 'text', 'number', 'letter', 'letters', 'name', 'theme', 'motif',
  'light', 'lights', 'lighting', 'shadow', 'shadows', 'reflection', 'reflections', 'detail',
  'details', 'decoration', 'decorations', 'trim', 'stitching', 'print', 'frosting', 'icing', 'topping',
  'toppings', 'sauce', 'cheese', 'sprinkles', 'steam', 'smoke', 'flames', 'fire', 'leaves', 'fruit',
  'flowers', 'blossoms', 'petals', 'buds', 'snow', 'water', 'dust', 'rust', 'paint', 'glaze',
]);

interface Entity {
  np: NounPhrase;
  /** Index into the objects once the entity is an object; -1 while it is only a mention. */
  obj: number;
  /** Index into the scene when it turned out to be a setting, time or style. */
  scene: number;
  negated: boolean;
  details: string[];
  placements: Placement[];
  /** First noun phrase of a clause. */
  subject: boolean;
  /** A member of a counted group, named on its own: "one" of "two dogs", "the red one". */
  group?: Entity;
  /** For a group: the members named one by one ("one ... the other"), in order. */
  claims?: Entity[];
  /** For a group: "the other" or "the others" named the last of its members. */
  closed?: boolean;
  /** For a group read as its members: they stand for it in every relation and placement. */
  members?: Entity[];
  /** A member that turned out to say nothing of its own: its group stands for it. */
  folded?: boolean;
  /** What a "with" phrase gave this to ("butter" of "pancakes topped with butter"). */
  owner?: Entity;
}

interface Pending {
  relation: RelationType;
  swap: boolean;
  phrase: string;
  span: Span;
  subjects: Entity[] | null;
  objects: Entity[];
  negated: boolean;
  /** "in"/"at" or "on": may turn out to be a setting instead of a relation. */
  soft: 'in' | 'at' | null;
  middle: boolean;
  /** An "and" or list comma may add another object. */
  coord: 'none' | 'and' | 'comma';
  /** The object added after "and": a new subject if a relation or verb follows it. */
  tentative: Entity | null;
  commaObjects: Entity[];
  /** A fronted relation already given its subject. */
  used: boolean;
  /** The noun phrase right before the preposition: "a man in a suit" describes the man. */
  before: Entity[] | null;
  /** The object of the relation just before ("on the floor beside it"): never what "it" means. */
  after?: Entity[];
  /** Fronted at the start of a sentence ("Beside it stands ..."): "it" is the subject before. */
  opening?: boolean;
  /** Read inside a "with" phrase ("with a cat sitting beside it"). */
  inWith?: boolean;
}

interface SidePlacement {
  entity: Entity;
  side: AbsoluteSide;
  phrase: string;
  span: Span;
}

interface RawRelation {
  s: Entity;
  relation: RelationType;
  o: Entity;
  o2?: Entity;
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

/** Verbs after which "in" names a covering, a medium or a reflection, not a place. */
const NOT_PLACING_IN = new Set([
  // "cut in half", "folded in two": how it is cut or shaped.
  'cut', 'sliced', 'chopped', 'diced', 'split', 'broken', 'torn', 'folded', 'twisted', 'bent',
  'covered', 'coated', 'dressed', 'clad', 'wrapped', 'draped', 'reflected', 'mirrored', 'painted', 'drawn', 'rendered', 'written', 'bathed', 'drenched', 'soaked', 'dipped', 'frosted', 'dusted', 'smeared', 'splattered', 'encrusted', 'decorated', 'outlined', 'carved', 'sculpted', 'made', 'done',
]);

/** Whether chunk `k` ends a clause (or the prompt): a stop, a comma or "and". */
function clauseEnds(k: Chunk | undefined): boolean {
  return k === undefined || k.k === 'stop' || k.k === 'comma' || k.k === 'and';
}

/** Adverbs that can follow a noun to say where it is: "the valley below", "the stars overhead". */
const POSTNOMINAL = new Set(['below', 'beneath', 'underneath', 'above', 'overhead']);

function isSetting(np: NounPhrase): boolean {
  if (np.interior) return true;
  return !np.proper && !np.named && (SETTINGS.has(np.noun) || SETTINGS.has(np.head) || SETTINGS.has(np.head + 's')) && np.contents === null;
}
function isTime(np: NounPhrase): boolean {
  return !np.proper && (TIMES.has(np.noun) || TIMES.has(np.head) || /^(sunny|rainy|snowy|cloudy|foggy|stormy|windy|summer|winter|autumn|spring) day$/.test(np.noun));
}

function parseUnsafe(text: string): ParsedPrompt {
  const analysed = text.length > MAX_ANALYZED_CHARS ? text.slice(0, MAX_ANALYZED_CHARS) : text;
  const tokens = tokenize(analysed);
  const { chunks, scene: sceneSpans } = chunkTokens(tokens, analysed);
  const diagnostics: PromptDiagnostic[] = [];
  const scene: SceneElement[] = sceneSpans.map((s) => ({ kind: s.kind, phrase: text.slice(s.span[0], s.span[1]), span: s.span }));
  const addScene = (kind: SceneKind, span: Span): number => {
    scene.push({ kind, phrase: text.slice(span[0], span[1]), span });
    return scene.length - 1;
  };

  // Entities: every noun phrase mentioned; objects are the entities placed in the picture.
  const entities: Entity[] = [];
  const objects: Entity[] = [];
  const byNoun = new Map<string, Entity>();
  const rawRelations: RawRelation[] = [];
  const sides: SidePlacement[] = [];
  const touched = new Set<Entity>();
  const placedByAdverb = new Set<Entity>();
  /** What "its" in a relation named last in this sentence ("to its right"), for a parallel "it". */
  let parallelIt: Entity | undefined;
  /** The open detail was begun by a finite verb ("line the shelves"), not a participle. */
  let detailFinite = false;
  const vagueWord = new Map<Entity, string>();

  const materialize = (e: Entity): void => {
    // Denied ("no windows") and scene entities are never objects.
    if (e.obj >= 0 || e.scene >= 0 || e.negated) return;
    e.obj = objects.length;
    objects.push(e);
    if (e.np.contents) {
      // "a bowl of fruit": the fruit is in the bowl.
      const c = entityFor(e.np.contents.np);
      materialize(c);
      rawRelations.push({ s: c, relation: e.np.contents.relation, o: e, phrase: text.slice(e.np.contents.span[0], e.np.contents.span[1]), span: e.np.contents.span });
    }
  };

  const entityFor = (np: NounPhrase): Entity => {
    const earlier = byNoun.get(np.noun) ?? (np.definite && !np.ofComplement ? suffixMatch(np.noun) : undefined);
    if (earlier !== undefined && (np.definite || np.bare) && !(np.ofComplement && !earlier.np.ofComplement && earlier.np.noun !== np.noun)) return earlier;
    const e: Entity = { np, obj: -1, scene: -1, negated: np.negated, details: [], placements: [], subject: false };
    entities.push(e);
    byNoun.set(np.noun, e);
    return e;
  };
  // "the van" after "a rusty old VW van": a definite head names the latest noun it ends.
  const suffixMatch = (noun: string): Entity | undefined => {
    for (let k = entities.length - 1; k >= Math.max(0, entities.length - LOOK_BACK); k--) {
      const n = entities[k].np.noun;
      if (n.endsWith(` ${noun}`)) return entities[k];
    }
    return undefined;
  };

  // The object of the latest relation on each axis in this sentence: "a horse to the left of a
  // barn while a cow stands to the right" puts the cow right of the barn.
  const axisObject = new Map<string, { subject: Entity; object: Entity }>();
  const elliptic = (e: Entity, side: AbsoluteSide, phrase: string, span: Span): void => {
    const axis = SIDE_AXIS[side];
    const last = axis ? axisObject.get(axis.axis) : undefined;
    if (!axis || !last || last.subject === e || last.object === e) return;
    emit(e, axis.relation, last.object, undefined, false, phrase, span);
  };

  const emit = (s: Entity, relation: RelationType, o: Entity, o2: Entity | undefined, swap: boolean, phrase: string, span: Span): void => {
    let a = s;
    let b = o;
    if (swap) [a, b] = [b, a];
    if (a === b || (o2 !== undefined && (o2 === a || o2 === b))) return;
    if (a.negated || b.negated || o2?.negated) return;
    if (a.scene >= 0 || b.scene >= 0) return;
    materialize(a);
    materialize(b);
    if (o2) materialize(o2);
    const rel: RawRelation = { s: a, relation, o: b, phrase, span };
    if (o2) rel.o2 = o2;
    rawRelations.push(rel);
    const axis = RELATION_AXIS[relation];
    if (axis) axisObject.set(axis, { subject: a, object: b });
  };

  // --- Clause state ---------------------------------------------------------------------------
  let subj: Entity[] = [];
  let subjOpen = false;
  let actor: Entity[] = [];
  let sentSubj: Entity[] = [];
  let prevSentSubj: Entity[] = [];
  let lastNP: Entity[] = [];
  type Role = 'subject' | 'object' | 'detail' | 'with' | 'none';
  // Assigned inside the helpers below as well, so the declared type must not narrow to 'none'.
  let lastRole = 'none' as Role;
  let lastSetting = -1;
  let expect = 'any' as 'any' | 'detail' | 'with';
  let placementVerb = false;
  let withNP: Entity[] = [];
  let withOwner: Entity[] = [];
  let withOwnerScene = -1;
  let withStart = -1;
  // Where the verb of "playing with a frisbee" ends: the with phrase continues its detail.
  let withVerbEnd = -1;
  let withEnd = -1;
  let withQuoted = false;
  // "with its wings spread out", "with its lid up": the description is complete; a next verb or
  // relation is the owner's.
  let withClosed = false;
  let withNeg = false;
  let withVague: string | null = null;
  let withActorUsed = false;
  let withAnchor: Entity | undefined;
  // What "it" names inside the current "with" phrase, and the owner a relation there named back
  // ("a nightstand with a lamp on it"): the clause then goes on about the owner.
  let withRef: Entity | undefined;
  let withBack: Entity | undefined;
  // The owner's own part a relation inside the "with" phrase named ("with ladders on its roof"):
  // a relation right after it is the owner's ("... in front of a house").
  let withPart: Entity | undefined;
  // The relation a clause denies ("not behind the shed"), and after "but" what it was denied of:
  // "... but in front of it" is in front of the shed, whatever was named after it.
  let denied = null as Pending | null;
  let contrast: Entity | undefined;
  let withSubject: { s: Entity; r1: RelationType | null } | undefined;
  let detail: { owner: Entity[]; scene: number; start: number; end: number } | null = null;
  let negNext = false;
  let pending: Pending | null = null;
  let fronted: Pending | null = null;
  let pendingSide: { side: AbsoluteSide; phrase: string; span: Span } | null = null;
  let order: { axis: 'x' | 'y' | 'z'; forward: boolean; phrase: string; span: Span; before: Entity[] } | null = null;
  let clauseList: Entity[] = [];
  let rcActor: Entity[] | null = null;
  let existential = false;
  let lastKind = '';
  let lastVague: string | null = null;
  let touchNextEntity = false;
  // The latest coordinated list of noun phrases, whatever their role, and where each was written;
  // and the latest list of colour words standing for members ("red, white and blue").
  let listRun: Entity[] = [];
  let listSpans: Span[] = [];
  let listOpen = false;
  let colourRun: Array<{ attr: string; span: Span }> = [];
  let colourOpen = false;
  // Entities given a side placement ("on the left").
  const sided = new Set<Entity>();
  // The group whose members "one", "the other", "the red one" name.
  let lastGroup: Entity | undefined;
  // The noun phrase after a non-spatial preposition ("looking at a painting"), which a relation
  // right after it places.
  let viaPreposition: Entity | undefined;
  let lastPrep = '';
  // The latest verb of the clause ("waiting" in "waiting at a bus stop"), and the one whose
  // detail is open ("showing" in "a poster showing a rocket").
  let lastVerb = '';
  let detailVerb = '';
  // The relation whose object the latest noun phrase is ("larger than a house").
  let lastObjectRelation: RelationType | null = null;
  // The latest relation stated, for a relation right after its object ("on a cup on a desk").
  // Assigned inside the helpers below as well, so the declared type must not narrow to null.
  let lastEmitted = null as { relation: RelationType; subjects: Entity[]; objects: Entity[]; swap: boolean } | null;
  /** The relation a phrase right after its object chains from ("a cat on a mat in a box"), if any. */
  const chainSource = (): typeof lastEmitted => {
    const last = lastEmitted;
    return lastKind === 'np' && last !== null && !last.swap && lastNP.length > 0 && lastNP.every((e) => last.objects.includes(e) && e.scene < 0) ? last : null;
  };
  const andList = andLists(chunks);
  const mentions: Entity[] = [];
  const pairs: Entity[][] = [];

  const agree = (e: Entity, pronoun: string | null, plural: boolean | null): boolean => {
    if (pronoun === null && plural === null) return true;
    const isPlural = e.np.count === null ? e.np.plural || e.np.count === null && e.np.plural : e.np.count > 1;
    const wantPlural = plural ?? (pronoun !== null && /^(they|them|their|themselves|ones|others)$/.test(pronoun));
    if (pronoun === 'one' || pronoun === 'other') return true;
    // "a stack of pancakes ... next to it": the stack.
    if (e.np.collective === true && (pronoun === 'it' || pronoun === 'its')) return true;
    return isPlural === wantPlural;
  };
  const genderOk = (e: Entity, pronoun: string | null): boolean => {
    if (pronoun === null) return true;
    if (MALE_PRONOUNS.has(pronoun)) return !FEMALE.test(e.np.noun);
    if (FEMALE_PRONOUNS.has(pronoun)) return !MALE.test(e.np.noun);
    return true;
  };
  const genderMatch = (e: Entity, pronoun: string | null): boolean => {
    if (pronoun === null) return false;
    if (MALE_PRONOUNS.has(pronoun)) return MALE.test(e.np.noun);
    if (FEMALE_PRONOUNS.has(pronoun)) return FEMALE.test(e.np.noun);
    return false;
  };
  const gendered = (pronoun: string | null): boolean => pronoun !== null && (MALE_PRONOUNS.has(pronoun) || FEMALE_PRONOUNS.has(pronoun));
  const usable = (e: Entity): boolean => e.scene < 0 && !e.negated;

  /**
   * What a pronoun refers to. As a subject ("It stands..."), the subject of this or the previous
   * sentence; as an object ("behind it"), the noun a "with" phrase hangs on, else the latest
   * mention; by number always, by gender for he/she, preferring people and animals for them.
   */
  const resolve = (pronoun: string | null, plural: boolean | null, role: 'subject' | 'object', exclude: readonly Entity[]): Entity | undefined => {
    const ok = (e: Entity | undefined): e is Entity => e !== undefined && usable(e) && !exclude.includes(e) && agree(e, pronoun, plural) && genderOk(e, pronoun);
    const floor = Math.max(0, mentions.length - LOOK_BACK);
    if (gendered(pronoun)) {
      for (let k = mentions.length - 1; k >= floor; k--) if (ok(mentions[k]) && genderMatch(mentions[k], pronoun)) return mentions[k];
      for (const e of [...sentSubj, ...prevSentSubj]) if (ok(e) && isAnimate(e.np)) return e;
      for (let k = mentions.length - 1; k >= floor; k--) if (ok(mentions[k]) && isAnimate(mentions[k].np)) return mentions[k];
    }
    if (role === 'subject') {
      for (const e of subj) if (ok(e)) return e;
      for (const e of sentSubj) if (ok(e)) return e;
      for (const e of prevSentSubj) if (ok(e)) return e;
    } else if (ok(withAnchor) && !isSetting(withAnchor.np)) {
      // A room or place a "with" phrase hangs on is named by "it" only when nothing came after
      // it ("a bathroom with a toilet next to a sink and a mirror above it": above the sink).
      return withAnchor;
    } else if (parallelIt !== undefined && (pronoun === 'it' || pronoun === 'its') && ok(parallelIt)) {
      // "a cup to its right and a plant behind it": parallel clauses name the same thing.
      return parallelIt;
    }
    let fallback: Entity | undefined;
    for (let k = mentions.length - 1; k >= floor; k--) {
      const e = mentions[k];
      if (!ok(e)) continue;
      // "a stack of pancakes topped with butter, with a fork next to it": what a subject was
      // given with "with" is not what "it" or "them" names; the subject is.
      const head = e.owner;
      // Only in the owner's own sentence: "A nook with an armchair. A lamp stands behind the
      // armchair ... beside it" is the armchair.
      // A room or a place is no such subject: "a bathroom with a toilet next to a sink and a
      // mirror above it" is above the sink.
      if (role === 'object' && head !== undefined && head.subject && sentSubj.includes(head) && !isSetting(head.np) && ok(head) && !(pronoun === 'it' && isHuman(head.np))) return head;
      // Objects and subjects before details: "it" rarely means what something wears.
      if (e.obj >= 0 || e.subject) return e;
      fallback ??= e;
    }
    if (fallback) return fallback;
    // Number disagreement is common in prompts ("the seats ... it"); keep the latest usable one.
    for (let k = mentions.length - 1; k >= floor; k--) {
      const e = mentions[k];
      if (usable(e) && !exclude.includes(e) && (e.obj >= 0 || e.subject)) return e;
    }
    return undefined;
  };

  const mention = (e: Entity): void => {
    mentions.push(e);
  };
  const isPlural = (e: Entity): boolean => (e.np.count === null ? e.np.plural : e.np.count > 1);
  /** The other member of the latest pair of singular things, for "them" meaning both. */
  const pairBefore = (e: Entity, exclude: readonly Entity[]): Entity | null => {
    for (let k = mentions.length - 1; k >= Math.max(0, mentions.length - LOOK_BACK); k--) {
      const m = mentions[k];
      if (m === e || exclude.includes(m) || !usable(m) || isPlural(m) || (m.obj < 0 && !m.subject)) continue;
      return m;
    }
    return null;
  };

  /** Whether one more member of `g` can be named. */
  const canClaim = (g: Entity): boolean => !g.closed && (g.np.count === null || (g.claims?.length ?? 0) < g.np.count);
  /** "two red apples ... a green one" is another apple, not one of the red ones. */
  const compatible = (g: Entity, attrs: readonly string[]): boolean => {
    const colours = g.np.attributes.filter((a) => COLOURS.has(a));
    return colours.length === 0 || !attrs.some((a) => COLOURS.has(a) && !colours.includes(a));
  };
  /**
   * Names one member of the counted group `g` ("one", "the red one"), the last one ("the
   * other"), or the rest ("the others"). Members stand for the group in the record only when
   * the prompt relates or places them, or names two of them (see `settleGroups`).
   */
  const claim = (g: Entity, attrs: readonly string[], span: Span, how: 'next' | 'last' | 'rest'): Entity => {
    const claims = (g.claims ??= []);
    const named = claims.reduce((n, m) => n + (m.np.count ?? 1), 0);
    const count = how === 'rest' ? (g.np.count === null ? null : Math.max(1, g.np.count - named)) : 1;
    const kept = attrs.some((a) => COLOURS.has(a)) ? g.np.attributes.filter((a) => !COLOURS.has(a)) : g.np.attributes;
    const np: NounPhrase = {
      ...g.np,
      count,
      plural: count !== 1,
      attributes: [...kept, ...attrs.filter((a) => !kept.includes(a))],
      definite: true,
      bare: false,
      negated: false,
      possessedBy: null,
      contents: null,
      start: span[0],
      end: span[1],
    };
    const m: Entity = { np, obj: -1, scene: -1, negated: false, details: [], placements: [], subject: false, group: g };
    entities.push(m);
    claims.push(m);
    if (how !== 'next' || (g.np.count !== null && named + 1 >= g.np.count)) g.closed = true;
    lastGroup = g;
    return m;
  };
  /** The counted group a member word names: the subject's, else the latest one mentioned. */
  const groupFor = (attrs: readonly string[]): Entity | undefined => {
    const fits = (g: Entity | undefined): g is Entity => g !== undefined && !g.group && usable(g) && isPlural(g) && canClaim(g) && compatible(g, attrs) && (g.obj >= 0 || g.subject);
    if (fits(lastGroup)) return lastGroup;
    for (const e of subj) if (fits(e)) return e;
    for (let k = mentions.length - 1; k >= Math.max(0, mentions.length - LOOK_BACK); k--) {
      const e = mentions[k];
      const g = e.group ?? e;
      if (fits(g)) return g;
    }
    return undefined;
  };
  /**
   * What "one", "the other", "the red one", "a blue one" name: a member of a counted group
   * ("two cars, the red one in front of the blue one"), a thing named before with those words
   * ("a black cat and a white cat ... the white one"), or another thing of the kind just named
   * ("a red apple next to a green one"). Undefined when none fits.
   */
  const memberFor = (word: string, attrs: readonly string[], definite: boolean, span: Span): Entity | undefined => {
    if (word === 'other' || word === 'others' || word === 'another') {
      const g = lastGroup ?? (word === 'another' ? groupFor([]) : undefined);
      if (g === undefined || !usable(g)) return undefined;
      // "two dogs play under a tree; another one watches from behind a fence": the group was
      // placed as a whole, so "another" is one more of its kind, not one of them.
      if (word === 'another' && !g.claims?.length && rawRelations.some((r) => r.s === g)) return newOfKind(g, 'one', [], span);
      if (!canClaim(g)) return undefined;
      return claim(g, [], span, word === 'others' ? 'rest' : word === 'other' ? 'last' : 'next');
    }
    if (word !== 'one' && word !== 'ones') return undefined;
    if (attrs.length > 0 && definite) {
      for (let k = mentions.length - 1; k >= Math.max(0, mentions.length - LOOK_BACK); k--) {
        const e = mentions[k];
        if (usable(e) && !e.claims && attrs.every((a) => e.np.attributes.includes(a))) return e;
      }
    }
    const g = groupFor(attrs);
    if (g !== undefined) return claim(g, attrs, span, word === 'ones' ? 'rest' : 'next');
    if (attrs.length > 0 && !definite) {
      // "a red apple next to a green one": another thing of the kind just named.
      for (let k = mentions.length - 1; k >= Math.max(0, mentions.length - LOOK_BACK); k--) {
        const e = mentions[k];
        if (usable(e) && !e.np.proper) return newOfKind(e, word, attrs, span);
      }
    }
    return undefined;
  };
  /** One more thing (or some more, for "ones") of the kind `e` names, with attributes `attrs`. */
  const newOfKind = (e: Entity, word: string, attrs: readonly string[], span: Span): Entity => {
    const np: NounPhrase = { ...e.np, count: word === 'ones' ? null : 1, plural: word === 'ones', attributes: attrs.slice(), definite: false, bare: false, negated: false, possessedBy: null, contents: null, ofComplement: false, start: span[0], end: span[1] };
    const n: Entity = { np, obj: -1, scene: -1, negated: false, details: [], placements: [], subject: false };
    entities.push(n);
    return n;
  };

  const closeDetail = (): void => {
    if (!detail) return;
    const d = detail;
    detail = null;
    if (d.end <= d.start) return;
    const words = text.slice(d.start, d.end).trim().replace(/(?:[,;:]|\s(?:and|or|but))+$/i, '').trim();
    if (!words) return;
    if (d.scene >= 0) {
      const s = scene[d.scene];
      const end = Math.max(s.span[1], d.end);
      s.span = [s.span[0], end];
      s.phrase = text.slice(s.span[0], end);
      return;
    }
    for (const o of d.owner) if (!o.details.includes(words)) o.details.push(words);
  };
  const extendDetail = (end: number): void => {
    if (detail && end > detail.end) detail.end = end;
  };
  const openDetail = (owner: Entity[], start: number, end: number, sceneIndex = -1): void => {
    closeDetail();
    detail = { owner: owner.slice(), scene: sceneIndex, start, end };
  };

  const startSubject = (e: Entity): void => {
    materialize(e);
    e.subject = true;
    if (fronted && (!fronted.used || lastKind === 'and')) {
      emitAll(e, fronted);
      fronted.used = true;
    }
    if (pendingSide) {
      sides.push({ entity: e, ...pendingSide });
      pendingSide = null;
      subj = [e];
      actor = [e];
      subjOpen = false;
      return;
    }
    if ((lastKind === 'and' || lastKind === 'comma') && subjOpen) {
      subj.push(e);
      // "a zebra and a giraffe": a pair whose other member an elliptic placement may place.
      if (subj.length === 2 && lastKind === 'and') pairs.push(subj);
    } else {
      subj = [e];
      subjOpen = true;
    }
    actor = subj;
    rcActor = null;
    if (sentSubj.length === 0) sentSubj = subj;
    clauseList.push(e);
  };

  /**
   * Who does the participle after "OWNER with THING": the thing when what follows refers back
   * ("a bench with a dog lying under it") or only a thing does it ("a boy with a kite flying
   * above the trees"); the owner when a being has a thing ("a dog with a red collar sitting in
   * front of a fireplace") or a vehicle is parked; both when both are beings.
   */
  const withDoer = (verb: string, at: number): 'owner' | 'with' | 'both' => {
    // "has its paw lying on the keyboard": a part of the owner does it.
    if (withOwner.length === 0 || withNP.length === 0 || withNP.some((e) => e.np.possessedBy !== null)) return 'with';
    // A pronoun in the next few chunks names the owner: the with-phrase is absolute.
    for (let k = at + 1; k < chunks.length && k <= at + 4; k++) {
      const x = chunks[k];
      if (x.k === 'pron' || (x.k === 'rel' && x.pronoun !== null) || (x.k === 'np' && x.np.possessedBy !== null && !isAnimate(x.np))) return 'with';
      if (x.k === 'stop' || x.k === 'comma' || x.k === 'with' || x.k === 'verb' || x.k === 'sub' || x.k === 'rp') break;
    }
    const ownerActs = withOwner.every((e) => isAnimate(e.np));
    const thingActs = withNP.some((e) => isAnimate(e.np));
    if (ownerActs && thingActs) return 'both';
    if (ownerActs) return THING_VERB_SET.has(verb) ? 'with' : 'owner';
    if (!thingActs && withOwner.every((e) => isVehicle(e.np)) && VEHICLE_VERBS.has(verb) && !withNP.some((e) => isVehicle(e.np))) return 'owner';
    // "a vase filled with flowers sitting on a table": the vase stands there, full.
    if (!thingActs && withOwner.every((e) => holdsContents(e.np)) && RESTING_VERBS.has(verb)) return 'owner';
    return 'with';
  };

  /** Who a relation read now is about. Null: nobody yet (a fronted phrase). */
  /**
   * "it" as the object of a relation inside "S r1 A with X ...": S when S is a thing resting on
   * or in A ("a goldfish bowl on a shelf with a cat sitting beside it", "a cake on a plate with
   * candles on it"), or when the relation is not one of support ("a temple by a lake with a
   * mountain far behind it"); A otherwise ("a dog next to a table with a box on it", "a woman on
   * a bench with a dog lying under it": "it" is never a person).
   */
  const withPronoun = (word: string, relation: RelationType, inWith: boolean, subjects: readonly Entity[]): Entity | undefined => {
    if (!inWith || withSubject === undefined || (word !== 'it' && word !== 'its')) return undefined;
    const { s, r1 } = withSubject;
    if (!usable(s) || isHuman(s.np) || subjects.includes(s)) return undefined;
    if ((r1 === 'on' || r1 === 'inside') && !isAnimate(s.np)) return s;
    return relation === 'on' || relation === 'under' || relation === 'inside' ? undefined : s;
  };
  /** Whether `pronoun` would name `e` (by number and gender): "him" for the astronaut. */
  const selfPronoun = (pronoun: string | null, e: Entity): boolean => {
    if (pronoun === null || POSSESSIVE_ONLY.has(pronoun) || !usable(e)) return false;
    if (gendered(pronoun)) return genderOk(e, pronoun) && (isAnimate(e.np) || genderMatch(e, pronoun)) && agree(e, pronoun, null);
    return (pronoun === 'it' ? !isHuman(e.np) : true) && agree(e, pronoun, null);
  };
  /** "in front of her face", "next to it": the relation's object is the holder or a part of it. */
  const ownPart = (next: Chunk | undefined): boolean => next?.k === 'pron' || (next?.k === 'np' && next.np.possessedBy !== null);
  const relationSubjects = (next: Chunk | undefined, hasPronoun: boolean, verbLed = false, relation?: RelationType): Entity[] | null => {
    if (verbLed && lastKind === 'np' && lastRole === 'object' && lastNP.length && lastNP.every((e) => e.scene < 0)) {
      // "a shark beneath a surfer riding a wave": like a participle, it belongs to the noun before.
      actor = lastNP.slice();
      return actor;
    }
    if (expect === 'with' && withNP.length > 0 && withClosed) {
      // "a cat on a bowl with its mouth open next to a dog": the clause goes on about the cat.
      endWith('detail');
      return actor.length ? actor : withOwner.length ? withOwner : null;
    }
    if (expect === 'with' && withNP.length > 0) {
      // "with a kite above her head" refers back; "with a kite next to her father" does not.
      // A room is not what "it" names after a list: "a kitchen with a table and a lamp above it".
      // Nor is a single owner what "them" names: "a desk with two monitors and a keyboard in
      // front of them".
      const roomList = withNP.length > 1 && withOwner.length > 0 && next?.k === 'pron' && (withOwner.every((o) => isSetting(o.np)) || (next.plural === true && withOwner.length === 1 && !isPlural(withOwner[0]!)));
      const refersBack = !roomList && (hasPronoun || next === undefined || next.k === 'pron' || (next.k === 'np' && next.np.possessedBy !== null && !isAnimate(next.np)) || (next.k !== 'np' && next.k !== 'adv'));
      const afterVerb = withVerbEnd > withStart;
      // "a dog with a red collar in front of a fireplace": what a being has or wears goes where
      // it goes; the relation is the owner's.
      const worn = !refersBack && withOwner.length > 0 && withOwner.every((e) => isAnimate(e.np)) && withNP.every((e) => !isAnimate(e.np));
      const described = ((afterVerb || worn || withNP.every((e) => e.np.bare && !e.np.proper)) && !refersBack) || withNP.some((e) => e.negated);
      if (!described && !withNeg) {
        // "a room with a painting on the wall above a couch": the painting is what the rest of
        // the phrase places; of a list, the last item ("a kitchen with white cabinets and a
        // fridge next to the stove"), unless the relation names the owner ("with a cup and a
        // plate on it").
        const s = withNP.length > 1 && !refersBack ? withNP.slice(-1) : withNP.slice();
        for (const e of s) materialize(e);
        withAnchor = withRef;
        endWith('object');
        actor = s;
        // The subject has its own description now: "and a cat ..." starts another subject.
        subjOpen = false;
        return s;
      }
      endWith('detail');
      return withOwner.length ? withOwner : actor.length ? actor : null;
    }
    if (lastKind === 'np' && lastNP.length === 1 && lastNP[0] === viaPreposition && !SURFACES.has(lastNP[0].np.head) && !isSetting(lastNP[0].np)) {
      // "looking up at a painting above the fireplace": the painting is above it.
      for (const h of actor) touched.add(h);
      return lastNP.slice();
    }
    // "a child holding a kite on top of a hill": a ground or a place under the held thing is where
    // the holder stands.
    const ground = (relation === 'on' || relation === 'inside') && next?.k === 'np' && (isSetting(next.np) || EXPANSES.has(next.np.head)) && !DEPICTIONS.has(detailVerb);
    if (lastKind === 'np' && lastRole === 'detail' && placementVerb && lastNP.length && !ground && !(relation !== undefined && LATERAL.has(relation) && !DEPICTIONS.has(detailVerb) && !ownPart(next))) {
      // "a squirrel holding an acorn over its head": the acorn is placed, the squirrel holds it;
      // but "a woman holding her baby in front of a window" stands there with it.
      for (const h of actor) touched.add(h);
      return lastNP;
    }
    if (actor.length > 1 && lastKind === 'np' && lastRole === 'subject' && lastNP.length === 1 && actor.some((m) => m !== lastNP[0] && sided.has(m))) {
      // "a red ball in the center and a blue cube to its left": the cube, not both.
      return lastNP.slice();
    }
    if (actor.length) return actor;
    return null;
  };

  /**
   * Ends a "with" phrase: its noun phrases are a detail of the owner ('detail'), objects of their
   * own ('object'), or, with nothing placing them ('auto'), a detail when they only describe
   * ("with red leaves", "with a sleepy look", "playing with a frisbee").
   */
  const endWith = (mode: 'auto' | 'detail' | 'object'): void => {
    if (expect !== 'with') return;
    expect = 'any';
    const nps = withNP;
    withNP = [];
    const verbDetail = withVerbEnd > withStart ? text.slice(withStart, withVerbEnd).trim() : '';
    if (withQuoted) {
      withQuoted = false;
      const words = text.slice(withStart, withEnd).trim();
      for (const o of withOwner) if (!o.details.includes(words)) o.details.push(words);
      if (nps.length === 0) return;
    }
    if (nps.length === 0) {
      if (verbDetail) for (const o of withOwner) if (!o.details.includes(verbDetail)) o.details.push(verbDetail);
      return;
    }
    const end = withEnd;
    const describes =
      mode === 'detail' ||
      (mode === 'auto' && (withNeg || withVerbEnd > withStart || nps.every((e) => (e.np.bare && !e.np.proper) || ABSTRACT.has(e.np.head) || e.np.possessedBy !== null)));
    if (!describes && verbDetail) for (const o of withOwner) if (!o.details.includes(verbDetail)) o.details.push(verbDetail);
    if (describes) {
      // "with its mouth open": the owner is whom "its" names, usually the subject.
      const possessor = nps.every((e) => e.np.possessedBy !== null) ? resolve(nps[0].np.possessedBy === 'it' ? 'its' : nps[0].np.possessedBy, null, 'subject', nps) : undefined;
      if (possessor && possessor.scene < 0) {
        const words = text.slice(withStart, end).trim();
        if (!possessor.details.includes(words)) possessor.details.push(words);
        return;
      }
      if (withOwnerScene >= 0) {
        const s = scene[withOwnerScene];
        s.span = [s.span[0], Math.max(s.span[1], end)];
        s.phrase = text.slice(s.span[0], s.span[1]);
      } else for (const o of withOwner) {
        const words = text.slice(withStart, end).trim();
        if (!o.details.includes(words)) o.details.push(words);
      }
      for (const e of nps) if (e.obj < 0 && withNeg) e.negated = true;
      return;
    }
    for (const e of nps) {
      materialize(e);
      if (withVague) vagueWord.set(e, withVague);
    }
  };

  /** The relation of `p` for subject `s` and each of its objects ("between" takes two at once). */
  const emitAll = (s: Entity, p: Pending): void => {
    if (p.negated || p.objects.length === 0) return;
    if (p.relation === 'between') emit(s, 'between', p.objects[0], p.objects[1], p.swap, p.phrase, p.span);
    else for (const o of p.objects) emit(s, p.relation, o, undefined, p.swap, p.phrase, p.span);
  };

  const finishPending = (): void => {
    if (!pending) return;
    const p = pending;
    pending = null;
    if (p.objects.length === 0) {
      // "a table with a lamp overhead", "pizza baking inside": the object is the anchor of the
      // "with" phrase or the latest thing mentioned.
      if (p.subjects === null || p.soft !== null) return;
      const implicit = resolve(null, null, 'object', p.subjects);
      if (implicit === undefined) return;
      p.objects.push(implicit);
    }
    const first = p.objects[0];
    if ((p.relation === 'under' || p.relation === 'below') && OVERHEAD.has(first.np.head) && first.obj < 0 && !first.np.proper) {
      // "a boat under a starry sky", "dancing under the stars": the setting, not a thing above.
      first.scene = addScene('setting', [p.span[0], first.np.end]);
      return;
    }
    if (p.soft !== null || p.relation === 'on') {
      // "in a field", "at night", "on the grass": where or when, not a relation.
      const np = first.np;
      const kind: SceneKind | null = isTime(np) ? 'time' : (p.soft !== null && isSetting(np)) || (p.relation === 'on' && GROUNDS.has(np.noun) && first.obj < 0) ? 'setting' : null;
      if (kind !== null && first.obj < 0) {
        first.scene = addScene(kind, [p.span[0], np.end]);
        lastSetting = first.scene;
        return;
      }
      if (p.soft === 'at') {
        // "looking at the camera": part of what the subject does, and what a relation right after
        // places ("looking at a painting above the fireplace"); "waiting at a bus stop under an
        // umbrella" is where the subject is.
        if (DIRECTED_VERBS.has(lastVerb)) viaPreposition = first;
        return;
      }
      if (p.soft === 'in' && (CLOTHING.has(np.noun) || CLOTHING.has(np.head))) {
        // "a woman in a red dress": what she wears; a verb after it is hers ("a boy in a red
        // shirt standing in front of a bus").
        const wearers = p.before ?? p.subjects ?? [];
        for (const s of wearers) {
          const words = text.slice(p.span[0], np.end);
          if (!s.details.includes(words)) s.details.push(words);
        }
        if (wearers.length && lastNP.length === 1 && lastNP[0] === first) {
          lastNP = wearers.slice();
          lastRole = wearers.every((w) => subj.includes(w)) ? 'subject' : 'object';
        }
        return;
      }
    }
    if (p.middle && p.objects.length === 1 && !(first.np.plural || (first.np.count ?? 1) > 1)) {
      // "in the middle of the road": the middle of a setting, or next to a single thing.
      if (isSetting(first.np) && first.obj < 0) {
        first.scene = addScene('setting', [first.np.start, first.np.end]);
        for (const s of p.subjects ?? []) sides.push({ entity: s, side: 'center', phrase: p.phrase, span: p.span });
        return;
      }
      p.relation = 'near';
    }
    if (p.subjects === null) {
      fronted = p;
      return;
    }
    if (p.negated) {
      for (const o of p.objects) mention(o);
      return;
    }
    if (p.relation === 'between') {
      for (const s of p.subjects) emit(s, 'between', p.objects[0], p.objects[1], p.swap, p.phrase, p.span);
    } else {
      for (const s of p.subjects) for (const o of p.objects) emit(s, p.relation, o, undefined, p.swap, p.phrase, p.span);
    }
    lastEmitted = { relation: p.relation, subjects: p.subjects.slice(), objects: p.objects.slice(), swap: p.swap };
  };

  /**
   * "S r1 A r2 B" with nothing between A and r2: who r2 is about. Stacking goes to A ("a banana on
   * a cup on a desk", "a cat inside a box on the floor"); what holds S is where S is, so a place
   * above or below it is both of theirs ("a train on a bridge over a river"); a support after a
   * thing beside or over S is that thing's ("a dog running alongside a man on a bicycle"), and
   * S's too (beside it, or under it) unless one rides it; a place after what S is compared with is
   * that thing's. Otherwise the relation stays S's.
   */
  const chained = (r1: RelationType, r2: RelationType, s: Entity[], a: Entity[], b: NounPhrase | null): Entity[] => {
    const support = (r: RelationType): boolean => r === 'on' || r === 'inside';
    // "larger than the trees behind it": what a thing is compared with is where the place goes.
    if (r1 === 'larger_than' || r1 === 'smaller_than') return a;
    if (support(r1)) {
      // "a man riding a wave on top of a surfboard": what holds a wave or the snow holds S.
      if (r2 === 'on' && a.every((e) => isSetting(e.np))) return s;
      if (r2 === 'on' || (r2 === 'inside' && r1 === 'inside')) return a;
      // Beside things S rests on, the place after them is S's ("a cat on a laptop beside a mug");
      // above or below them, it is both of theirs ("a train on a bridge over a river"), unless
      // A stretches across the picture ("on the wall above a fireplace").
      if (!VERTICAL.has(r2) || a.some((e) => EXPANSES.has(e.np.noun) || EXPANSES.has(e.np.head))) return s;
      return [...s, ...a];
    }
    // Above or below A, S is apart from what holds A: "a kite flying above a boy on a hill".
    if ((r1 === 'above' || r1 === 'below') && support(r2)) return a;
    if ((LATERAL.has(r1) || r1 === 'under') && support(r2)) {
      const ridden = b !== null && (isVehicle(b) || (isAnimate(b) && a.every((e) => isAnimate(e.np))));
      return ridden ? a : [...a, ...s];
    }
    return s;
  };

  /** "a cat on a mat and a dog under a table": the dog was not a second object after all. */
  const retract = (): boolean => {
    if (!pending) return false;
    const p = pending;
    const t = p.tentative ?? (p.commaObjects.length > 0 ? p.commaObjects[p.commaObjects.length - 1] : null);
    if (t === null || lastNP[0] !== t || lastKind !== 'np') return false;
    p.objects = p.objects.filter((o) => o !== t);
    p.tentative = null;
    p.commaObjects = [];
    finishPending();
    subjOpen = false;
    const saved = lastKind;
    lastKind = 'comma';
    startSubject(t);
    lastKind = saved;
    lastRole = 'subject';
    return true;
  };

  /** Before a new relation, verb or clause: the last noun phrase joins its list or starts anew. */
  const settle = (): void => {
    if (!retract()) retractCommaObjects();
    finishPending();
  };

  const endSentence = (): void => {
    retractCommaObjects();
    finishPending();
    endWith('auto');
    closeDetail();
    applyOrder();
    const f = fronted as Pending | null;
    if (f && !f.used && f.objects.length) {
      for (const s of clauseList) emitAll(s, f);
    }
    fronted = null;
    pendingSide = null;
    withAnchor = undefined;
    withBack = undefined;
    withPart = undefined;
    withSubject = undefined;
    parallelIt = undefined;
    detailFinite = false;
    lastEmitted = null;
    denied = null;
    contrast = undefined;
    if (sentSubj.length) prevSentSubj = sentSubj;
    sentSubj = [];
    subj = [];
    actor = [];
    subjOpen = false;
    lastNP = [];
    lastRole = 'none';
    expect = 'any';
    negNext = false;
    rcActor = null;
    existential = false;
    clauseList = [];
    listRun = [];
    listSpans = [];
    listOpen = false;
    colourRun = [];
    colourOpen = false;
    lastSetting = -1;
    axisObject.clear();
  };

  // Objects added after list commas without a closing "and NP" were new subjects.
  const retractCommaObjects = (): void => {
    if (!pending || pending.commaObjects.length === 0) return;
    const extra = pending.commaObjects;
    pending.objects = pending.objects.filter((o) => !extra.includes(o));
    pending.commaObjects = [];
  };

  /**
   * The list an order phrase orders: the latest coordinated list of noun phrases, whatever their
   * role ("a counter with a toaster, a kettle and a microwave from left to right"), or of colour
   * words naming members of a group ("three balloons, red, white and blue from left to right"),
   * written before the phrase (`before`) or after it.
   */
  const orderedList = (at: Span, before: boolean): Entity[] => {
    const fits = (span: Span | null, n: number): boolean => n >= 2 && span !== null && (before ? span[1] <= at[0] : span[0] >= at[1]);
    const colourSpan: Span | null = colourRun.length ? [colourRun[0].span[0], colourRun[colourRun.length - 1].span[1]] : null;
    const runSpan: Span | null = listRun.length ? [listSpans[0][0], listSpans[listSpans.length - 1][1]] : null;
    const useColours = fits(colourSpan, colourRun.length) && (!fits(runSpan, listRun.length) || (before ? colourSpan![1] > runSpan![1] : colourSpan![0] < runSpan![0]));
    if (useColours) {
      const g = groupFor(colourRun.map((x) => x.attr));
      const run = colourRun;
      colourRun = [];
      if (g !== undefined) return run.map((x, k) => claim(g, [x.attr], x.span, k === run.length - 1 ? 'last' : 'next'));
      return [];
    }
    if (fits(runSpan, listRun.length)) {
      // "Two cups, a red one and a blue one": the members, not the group they belong to.
      const list = listRun.filter((e) => !listRun.some((m) => m.group === e));
      listRun = [];
      listSpans = [];
      if (expect === 'with' && list.some((e) => withNP.includes(e))) endWith('object');
      return list;
    }
    return [];
  };

  const applyOrder = (): void => {
    if (!order) return;
    const o = order;
    order = null;
    let list = o.before.length >= 2 ? o.before : orderedList(o.span, false);
    if (list.length < 2) list = clauseList;
    if (list.length < 2) return;
    const rel: RelationType = o.axis === 'x' ? 'left_of' : o.axis === 'y' ? 'above' : 'in_front_of';
    const seq = o.forward ? list : [...list].reverse();
    for (let k = 0; k + 1 < seq.length; k++) emit(seq[k], rel, seq[k + 1], undefined, false, o.phrase, o.span);
    const [firstSide, lastSide]: [Placement, Placement] = o.axis === 'x' ? ['left', 'right'] : o.axis === 'y' ? ['top', 'bottom'] : ['foreground', 'background'];
    addPlacement(seq[0], firstSide);
    addPlacement(seq[seq.length - 1], lastSide);
    if (seq.length === 3 && o.axis === 'x') addPlacement(seq[1], 'center');
  };
  /**
   * "a fox and a cat with the rabbit in the middle", "two dogs with a cat in the middle": in the
   * middle of two things named together, or of a group, is between them.
   */
  const middleOf = (e: Entity, phrase: string, span: Span): void => {
    for (const list of [clauseList, subj]) {
      const others = list.filter((m) => m !== e && usable(m));
      if (others.length === 2 && list.includes(e) === (list.length === 3)) {
        emit(e, 'between', others[0], others[1], false, phrase, span);
        return;
      }
    }
    // "three balloons, the largest one in the middle": a member is between the rest of its group.
    const g = e.group !== undefined && usable(e.group) ? e.group : groupFor([]);
    if (g === undefined || g === e) return;
    if (e.group !== g) emit(e, 'between', g, undefined, false, phrase, span);
    else if (canClaim(g)) emit(e, 'between', claim(g, [], span, 'rest'), undefined, false, phrase, span);
  };
  const listed = (e: Entity, span: Span): void => {
    if (listOpen) {
      listRun.push(e);
      listSpans.push(span);
    } else {
      listRun = [e];
      listSpans = [span];
    }
    listOpen = false;
    colourOpen = false;
  };
  const addPlacement = (e: Entity, p: Placement): void => {
    if (!e.placements.includes(p)) e.placements.push(p);
  };

  for (let ci = 0; ci < chunks.length; ci++) {
    const c = chunks[ci];
    const next = chunks[ci + 1];
    const colour = colourOf(c);
    if (colour !== null && (colourOpen || next?.k === 'comma' || next?.k === 'and')) {
      // "red, white and blue": colour words in a list name members, not objects.
      if (!colourOpen) colourRun = [];
      colourRun.push({ attr: colour, span: [c.start, c.end] });
      colourOpen = false;
      lastKind = 'adj';
      continue;
    }
    if (c.k === 'and' || c.k === 'comma') {
      listOpen = listOpen || (lastKind === 'np' && listRun.length > 0);
      colourOpen = colourOpen || (lastKind === 'adj' && colourRun.length > 0);
    } else if (c.k !== 'np' && c.k !== 'pron' && c.k !== 'adv' && c.k !== 'order') {
      listOpen = false;
      colourOpen = false;
    }
    switch (c.k) {
      case 'np': {
        let e = entityFor(c.np);
        if (e.np !== c.np && c.np.definite && !c.np.plural && c.np.possessedBy === null && isPlural(e) && !e.group && usable(e) && (e.np.count === null || e.np.count >= 2) && canClaim(e)) {
          // "two cats ... the cat on the left": one of them.
          e = claim(e, c.np.attributes.filter((a) => !e.np.attributes.includes(a)), [c.np.start, c.np.end], 'next');
        }
        handleEntity(e, c.np, next, c.end);
        listed(e, [c.start, c.end]);
        break;
      }
      case 'pron': {
        const asObject = pending !== null && (pending.objects.length === 0 || pending.coord !== 'none');
        let e: Entity | undefined = memberFor(c.word, c.attrs ?? [], c.definite === true, [c.start, c.end]);
        if (e === undefined && (c.word === 'one' || c.word === 'another') && c.definite !== true && !(c.attrs?.length)) {
          // A lone "one" with no group before it names nothing we can place.
          lastKind = 'pron';
          continue;
        }
        if (e !== undefined) {
          // A member of a group.
        } else if (asObject && contrast !== undefined && agree(contrast, c.word, c.plural) && usable(contrast) && !(pending!.subjects ?? []).includes(contrast)) {
          // "not in the pond by the willow but beside it": beside the pond.
          e = contrast;
          contrast = undefined;
        } else if (asObject) {
          e = withPronoun(c.word, pending!.relation, pending!.inWith === true, pending!.subjects ?? []) ?? resolve(c.word, c.plural, pending!.opening ? 'subject' : 'object', [...(pending!.subjects ?? []), ...(pending!.after ?? [])]);
          const own = pending!.subjects?.length === 1 ? pending!.subjects[0]! : undefined;
          if (own !== undefined && gendered(c.word) && pending!.objects.length === 0 && selfPronoun(c.word, own) && (e === undefined || !isAnimate(e.np))) {
            // "a girl looking at a kite in the sky above her": "her" can only be the girl, so the
            // relation places the latest other thing named (the kite), not the girl.
            let other: Entity | undefined;
            for (let k = mentions.length - 1; k >= Math.max(0, mentions.length - LOOK_BACK) && other === undefined; k--) {
              const m = mentions[k]!;
              if (m !== own && usable(m) && !isSetting(m.np) && !m.np.proper) other = m;
            }
            if (other !== undefined) {
              materialize(other);
              pending!.subjects = [other];
              e = own;
            }
          }
          if (e !== undefined && e === withRef && pending!.objects.length === 0) withBack = e;
        }
        else if (expect === 'detail' || expect === 'with') e = resolve(c.word, c.plural, 'object', actor);
        else e = resolve(c.word, c.plural, 'subject', []);
        if (e === undefined) {
          lastKind = 'pron';
          continue;
        }
        // "one of them ... the other": a member of the group, then another.
        if (c.partOf && isPlural(e) && !e.group) e = claim(e, [], [c.start, c.end], 'next');
        let members: Entity[] = [e];
        if (c.plural === true && !c.partOf && !isPlural(e) && !e.group) {
          // "they", "both of them" for singular things: the group named together ("an astronaut
          // and a robot ... behind them"), else the last two things.
          const exclude = asObject ? pending!.subjects ?? [] : actor;
          const together = [subj, sentSubj, prevSentSubj].find((g) => g.length >= 2 && g.every((m) => usable(m) && !exclude.includes(m)));
          const other = together ? null : pairBefore(e, exclude);
          members = together ? together.slice() : other ? [e, other] : [e];
        }
        handleEntity(members[0], null, next, c.end);
        listed(members[0], [c.start, c.end]);
        for (const m of members.slice(1)) {
          lastKind = 'and';
          if (pending && pending.objects.length > 0) pending.coord = 'and';
          handleEntity(m, null, next, c.end);
          if (pending) pending.tentative = null;
        }
        lastKind = 'np';
        continue;
      }
      case 'recip': {
        // "a keyboard and a mouse next to each other".
        if (pending && pending.objects.length === 0 && pending.subjects && pending.subjects.length >= 2) {
          const p = pending;
          pending = null;
          const ss = p.subjects!;
          if (!p.negated) for (let k = 0; k + 1 < ss.length; k++) emit(ss[k], p.relation, ss[k + 1], undefined, false, p.phrase, p.span);
        } else if (pending && pending.objects.length === 0 && pending.subjects?.length === 1) {
          // "two zebras side by side", "three cups next to each other": the members of one group.
          const g = pending.subjects[0];
          const p = pending;
          if (!g.group && isPlural(g) && !g.claims && usable(g)) {
            pending = null;
            const n = Math.min(g.np.count ?? 2, MAX_MEMBERS);
            const ms: Entity[] = [];
            for (let k = 0; k < n; k++) ms.push(claim(g, [], [g.np.start, g.np.end], k === n - 1 ? 'last' : 'next'));
            if (!p.negated) for (let k = 0; k + 1 < ms.length; k++) emit(ms[k], p.relation, ms[k + 1], undefined, false, p.phrase, p.span);
          }
        }
        break;
      }
      case 'rel': {
        const verbBefore = chunks[ci - 1];
        if (c.relation === 'on' && !c.pronoun && verbBefore?.k === 'verb' && NOT_PLACING_ON.has(verbBefore.word) && actor.length) {
          // "typing on a laptop", "talking on the phone": what the actor works on, in its detail.
          settle();
          if (detail) extendDetail(c.end);
          else openDetail(actor, c.start, c.end);
          expect = 'detail';
          placementVerb = false;
          break;
        }
        settle();
        closeDetail();
        // "... and to its right is a towel rack", "and beside the door stands a lamp": a phrase
        // fronted before its verb and subject.
        const opens = lastKind === 'and' || lastKind === 'comma' || lastKind === 'stop' || lastKind === '' || lastKind === 'but';
        const after = c.pronoun ? next : chunks[ci + 2];
        // "Beneath it, people are running": the subject comes after a comma.
        const commaSubject = after?.k === 'comma' && (chunks[ci + (c.pronoun ? 2 : 3)]?.k === 'np' || chunks[ci + (c.pronoun ? 2 : 3)]?.k === 'there');
        // "..., and in front of it a picket fence.": a fronted phrase and its subject, no verb.
        const subjectAt = c.pronoun !== null ? ci + 1 : next?.k === 'pron' ? ci + 2 : -1;

        const verbless = subjectAt > 0 && chunks[subjectAt]?.k === 'np' && clauseEnds(chunks[subjectAt + 1]);
        const frontedHere =
          opens && expect !== 'with' && ((after?.k === 'verb' && (after.cop || LINK_WORDS.has(after.word))) || commaSubject || verbless) && (c.pronoun !== null || next?.k === 'np' || next?.k === 'pron');
        if (frontedHere && c.pronoun) {
          // "The ship sails past a town. Beneath it, ...": a sentence opened by a pronoun goes on
          // about the subject before.
          const o = resolve(c.pronoun, null, lastKind === 'stop' || lastKind === '' ? 'subject' : 'object', []);
          pending = {
            relation: c.relation, swap: c.swap, phrase: c.phrase, span: [c.start, c.end], subjects: null, objects: o ? [o] : [], negated: negNext,
            soft: null, middle: c.middle, coord: 'none', tentative: null, commaObjects: [], used: false, before: null,
          };
          negNext = false;
          expect = 'any';
          break;
        }
        const stranded = !c.pronoun && clauseEnds(next);
        // "soaring over the valley below", "looking at the sea below": the adverb says where the
        // thing just named is, seen from the actor; "a table with a lamp above and a rug
        // underneath", from the owner. "The sky above" places nothing.
        const seenFrom = lastRole === 'with' && expect === 'with' && lastNP.every((e) => withNP.includes(e)) ? withOwner : lastRole === 'object' || lastRole === 'detail' ? actor : [];
        if (!frontedHere && stranded && POSTNOMINAL.has(c.phrase.toLowerCase()) && lastKind === 'np' && lastNP.length && seenFrom.length && !seenFrom.some((a) => lastNP.includes(a))) {
          closeDetail();
          for (const e of lastNP) {
            // "a chandelier overhead and a rug underneath": each adverb places its own noun.
            if (isSetting(e.np) || !usable(e) || placedByAdverb.has(e)) continue;
            placedByAdverb.add(e);
            materialize(e);
            for (const a of seenFrom) emit(e, c.relation, a, undefined, c.swap, c.phrase, [c.start, c.end]);
          }
          negNext = false;
          // A "with" phrase goes on: "with a lamp above and a rug underneath".
          if (expect !== 'with') expect = 'any';
          break;
        }
        const inWith = expect === 'with' || withActorUsed;
        if (!frontedHere && lastKind === 'np' && lastRole === 'detail' && lastNP.length && actor.length === 1 && selfPronoun(c.pronoun ?? (next?.k === 'pron' ? next.word : null), actor[0])) {
          // "fishing for stars below him", "carrying a box behind him": what names the actor
          // is the object, so the detail is the subject.
          for (const h of actor) touched.add(h);
          actor = lastNP.slice();
          for (const e of actor) materialize(e);
        }
        if (!frontedHere && lastKind === 'np' && lastRole === 'object' && actor.length === 1 && next?.k === 'pron' && gendered(next.word) && selfPronoun(next.word, actor[0]!) && lastEmitted !== null && lastEmitted.subjects.length > 0 && !lastEmitted.subjects.includes(actor[0]!) && !lastNP.includes(actor[0]!)) {
          // "a dog looking up at a bird on a branch above him": "him" is the dog, so what was
          // just placed (the bird) is the subject.
          actor = lastEmitted.subjects.slice();
        }
        const chainFrom = chainSource();
        let subjects = frontedHere ? null : relationSubjects(next, c.pronoun !== null, c.verbLed, c.relation);
        if (chainFrom && withBack !== undefined && lastNP.length === 1 && lastNP[0] === withBack && usable(withBack)) {
          // "a nightstand with a lamp on it between two beds": the nightstand is between them.
          subjects = [withBack];
        } else if (lastKind === 'comma' && chunks[ci - 2]?.k === 'pron' && withBack !== undefined && usable(withBack) && !c.pronoun && subjects !== null) {
          // Also after a comma: "a bowl of cereal with a spoon in it, next to a glass".
          subjects = [withBack];
        } else if (chainFrom && withPart !== undefined && withRef !== undefined && lastNP.length === 1 && lastNP[0] === withPart && usable(withRef) && !c.pronoun) {
          // "a van with ladders on its roof in front of a house": the van is in front of it.
          subjects = [withRef];
          withPart = undefined;
        } else if (chainFrom && subjects && !c.pronoun && subjects.length > 0 && subjects.every((e) => chainFrom.subjects.includes(e))) {
          subjects = chained(chainFrom.relation, c.relation, subjects, lastNP.slice(), next?.k === 'np' ? next.np : null);
        }
        if (c.pronoun) {
          // "with a lamp on its left": the possessive names the object.
          const who = subjects ?? [];
          const o = withPronoun(c.pronoun, c.relation, inWith, who) ?? resolve(c.pronoun, null, 'object', who);
          if (c.pronoun === 'its') parallelIt = o;
          if (o !== undefined && !negNext) for (const s of who) emit(s, c.relation, o, undefined, c.swap, c.phrase, [c.start, c.end]);
          // The subject is placed: "a cup to its right and a plant behind it" starts another.
          if (who.length > 0) subjOpen = false;
          negNext = false;
          expect = 'any';
          break;
        }
        // "not behind the shed next to the bucket": what places the denied object is denied too.
        const deniedObjects = denied?.objects ?? [];
        const afterDenied = lastKind === 'np' && lastNP.length > 0 && lastNP.every((e) => deniedObjects.includes(e));
        pending = {
          relation: c.relation, swap: c.swap, phrase: c.phrase, span: [c.start, c.end], subjects, objects: [], negated: negNext || afterDenied,
          soft: null, middle: c.middle, coord: 'none', tentative: null, commaObjects: [], used: false, before: null,
          after: chainFrom ? lastNP.slice() : undefined,
          opening: frontedHere && (lastKind === 'stop' || lastKind === ''),
          inWith,
        };
        if (negNext && denied === null) denied = pending;
        if (subjects) fronted = null;
        negNext = false;
        expect = 'any';
        break;
      }
      case 'prep': {
        if (expect === 'with' && withNP.length && lastKind === 'np' && /^(up|down|out|off|open|closed)$/.test(c.word) && !(next?.k === 'np')) {
          // "with its lid up".
          withEnd = Math.max(withEnd, c.end);
          withClosed = true;
          continue;
        }
        // "a cake covered in sprinkles", "a castle reflected in a lake": "in" after these verbs
        // tells what covers or shows the thing, not where it is.
        const before = chunks[ci - 1];
        const notPlace = c.word === 'in' && before?.k === 'verb' && NOT_PLACING_IN.has(before.word) && detail !== null;
        if (!notPlace && (c.word === 'in' || c.word === 'into' || c.word === 'at' || c.word === 'within')) {
          settle();
          let subjects = expect === 'with' && withNP.length === 0 ? null : relationSubjects(next, false);
          // Right after a relation's object, "in" chains like "on" does: "a lamp above a fish in
          // a bowl" is the fish's bowl.
          const chainFrom = c.word !== 'at' ? chainSource() : null;
          if (chainFrom && subjects && subjects.length > 0 && subjects.every((e) => chainFrom.subjects.includes(e))) {
            subjects = chained(chainFrom.relation, 'inside', subjects, lastNP.slice(), next?.k === 'np' ? next.np : null);
          }
          pending = {
            relation: 'inside', swap: false, phrase: text.slice(c.start, c.end), span: [c.start, c.end], subjects: subjects ?? (actor.length ? actor : null),
            objects: [], negated: negNext, soft: c.word === 'at' ? 'at' : 'in', middle: false, coord: 'none', tentative: null, commaObjects: [], used: false,
            before: lastKind === 'np' && lastNP.every((e) => e.scene < 0) ? lastNP.slice() : null,
          };
          if (negNext && denied === null) denied = pending;
          if (c.word === 'at') {
            // "looking at the camera" stays in the detail; "at night" becomes scene.
            if (detail) extendDetail(c.end);
          } else closeDetail();
          negNext = false;
          expect = 'any';
          break;
        }
        if (c.word === 'from' && next?.k === 'rel') break;
        lastPrep = c.word;
        finishPending();
        if (expect === 'with' && withNP.length) {
          // "with pine trees along the shore": the "with" phrase ends here (it dropped its nouns);
          // what follows describes them where they are objects, else the owner.
          const items = withNP.slice();
          endWith('auto');
          const placed = items.filter((e) => e.obj >= 0);
          closeDetail();
          if (placed.length) {
            actor = placed;
            openDetail(placed, c.start, c.end);
          }
        }
        if (detail) extendDetail(c.end);
        else if (actor.length) openDetail(actor, c.start, c.end);
        expect = 'detail';
        placementVerb = false;
        break;
      }
      case 'side': {
        settle();
        closeDetail();
        let who: Entity[] | null;
        // "..., and on the right a small boat": a placement fronted before its noun phrase.
        const opensClause = lastKind === 'and' || lastKind === 'comma' || lastKind === 'stop' || lastKind === '';
        if (opensClause && expect !== 'with' && (next?.k === 'np' || (next?.k === 'there' && chunks[ci + 2]?.k === 'np') || (next?.k === 'comma' && chunks[ci + 2]?.k === 'np'))) {
          pendingSide = { side: c.side, phrase: c.phrase, span: [c.start, c.end] };
          subjOpen = false;
          expect = 'any';
          break;
        }
        if (((expect === 'with' && withNP.length) || (withActorUsed && lastKind === 'verb')) && /^on top$/i.test(c.phrase) && withOwner.length) {
          // "a cake with a cherry on top", "with marshmallows floating on top": on top of it.
          const owners = withOwner.slice();
          const items = expect === 'with' ? withNP.slice() : actor.slice();
          endWith('object');
          for (const e of items) for (const o of owners) emit(e, 'on', o, undefined, false, c.phrase, [c.start, c.end]);
          // "a pile of books with a candle on top and a cat sleeping next to it": the cat sleeps.
          subjOpen = false;
          expect = 'any';
          break;
        }
        if (expect === 'with' && withNP.length) {
          who = withNP;
          endWith('object');
        } else if (lastKind === 'np' && lastRole === 'detail' && lastNP.length) who = lastNP;
        else if (actor.length > 1 && lastKind === 'np' && lastRole === 'subject' && lastNP.length === 1 && actor.some((m) => m !== lastNP[0] && sided.has(m))) {
          // "a cat on the left and a dog on the right": each its own side, one list of subjects.
          who = lastNP.slice();
        } else who = actor.length ? actor : null;
        if (who) {
          for (const e of who) {
            materialize(e);
            sides.push({ entity: e, side: c.side, phrase: c.phrase, span: [c.start, c.end] });
            sided.add(e);
            elliptic(e, c.side, c.phrase, [c.start, c.end]);
          }
          if (c.side === 'center' && who.length === 1) middleOf(who[0], c.phrase, [c.start, c.end]);
          // The list of subjects stays open for "... and a dog on the right sitting on a sofa".
          subjOpen = subjOpen && lastKind === 'np' && lastRole === 'subject' && next?.k === 'and';
        } else pendingSide = { side: c.side, phrase: c.phrase, span: [c.start, c.end] };
        expect = 'any';
        break;
      }
      case 'verb': {
        settle();
        const prevKind = lastKind;
        lastVerb = c.word;
        if (c.cop || c.aux) {
          if (existential) break;
          if (prevKind === 'np' && lastRole !== 'subject' && rcActor === null && lastRole !== 'with') actor = subj.length ? subj : actor;
          if (rcActor) actor = rcActor;
          endWith('auto');
          closeDetail();
          // What follows a copula describes the subject ("is a tabby"), unless a relation does.
          expect = 'detail';
          placementVerb = false;
          lastKind = 'verb';
          continue;
        }
        if (c.possession) {
          // "the cat has its paw on the keyboard": read like "with".
          endWith('auto');
          closeDetail();
          if (prevKind === 'np' && lastRole === 'object' && rcActor === null) actor = subj.length ? subj : actor;
          withOwner = actor.slice();
          withRef = withOwner[0];
          withOwnerScene = -1;
          withStart = c.start;
          withVerbEnd = -1;
          withNeg = false;
          withVague = null;
          withNP = [];
          withEnd = -1;
          withQuoted = false;
          withClosed = false;
          withActorUsed = false;
          expect = 'with';
          lastKind = 'verb';
          continue;
        }
        if (prevKind === 'np' && (lastRole === 'object' || lastRole === 'with') && lastNP.length && lastNP.every((e) => e.scene < 0) && (c.form === 'ing' || c.form === 'ed')) {
          // A participle belongs to the noun before it: "a bag sitting on a bed", "with the sun
          // setting behind them".
          if (lastRole === 'with') {
            if (withNP.some((e) => e.np.possessedBy !== null) && c.form === 'ed' && !withClosed) {
              // "with its wings spread out": the participle completes the description.
              withEnd = Math.max(withEnd, c.end);
              withClosed = true;
              lastKind = 'np';
              continue;
            }
            const doer = withDoer(c.word, ci);
            if (withClosed || withNP.some((e) => ABSTRACT.has(e.np.head) && e.np.possessedBy === null && !e.np.bare) || doer === 'owner') {
              // "with a sleepy look sitting ...": a description; "a dog with a red collar sitting
              // in front of a fireplace": the dog sits.
              const owners = withOwner.slice();
              // A container keeps what it holds in the picture ("a plate with a sandwich sitting
              // on a table"); a being's collar is a detail.
              const holder = doer === 'owner' && !withClosed && owners.every((e) => holdsContents(e.np));
              endWith(holder ? 'auto' : 'detail');
              if (doer === 'owner' && owners.length) actor = owners;
            } else if (doer === 'both') {
              // "a man with a dog sitting on a bench": both sit there.
              const both = [...withOwner, ...withNP];
              for (const e of withNP) materialize(e);
              withAnchor = withRef;
              withNP = [];
              expect = 'any';
              actor = both;
            } else {
              actor = withNP.slice();
              // "with a cat staring at it": a named thing doing something is in the picture.
              for (const e of actor) if (!e.np.bare || e.np.proper) materialize(e);
              withAnchor = withRef;
              withNP = [];
              expect = 'any';
              withActorUsed = true;
            }
          } else if (ANIMATE_VERBS.has(c.word) && !lastNP.some((e) => isAnimate(e.np)) && actor.some((e) => isAnimate(e.np))) {
            // "a dog laying on a bed looking out a window": only the dog can look.
          } else if (lastNP.every((e) => e.np.possessedBy !== null)) {
            // "a dog with a frisbee in its mouth standing on the grass": the mouth's owner stands.
            const owner = resolve(lastNP[0].np.possessedBy === 'it' ? 'its' : lastNP[0].np.possessedBy, null, 'subject', lastNP);
            if (owner) actor = [owner];
            else if (withOwner.length) actor = withOwner.slice();
          } else if (lastObjectRelation === 'larger_than' || lastObjectRelation === 'smaller_than') {
            // "a snail larger than a house crawling next to a lighthouse": what it is compared
            // with is no actor.
          } else {
            actor = lastNP.slice();
          }
        } else if (prevKind === 'np' && lastRole === 'object' && rcActor === null) {
          // A finite verb after a relation's object is the clause's own verb: "a flower in a vase
          // is next to ...".
          actor = subj.length ? subj : actor;
        } else if (prevKind === 'np' && lastRole === 'detail' && DEPICTIONS.has(detailVerb) && lastNP.length) {
          // "a t-shirt showing a cat sitting under a tree": the cat sits.
          actor = lastNP.slice();
        } else if (prevKind === 'np' && lastRole === 'detail') {
          // "a truck carrying oil driving next to a train": the truck drives; but "holding a sign
          // saying 'feed me'" describes the sign, inside the same detail.
          endWith('auto');
          const spatial = next?.k === 'rel' || next?.k === 'side' || (next?.k === 'prep' && /^(in|into|at|within)$/.test(next.word));
          if (detail && !spatial && (c.form === 'ing' || c.form === 'ed')) {
            extendDetail(c.end);
            placementVerb = false;
            // "holding up a drawing showing a dragon flying above a castle": the dragon flies;
            // "wearing a t-shirt showing a cat next to a dog": the relation is in the picture.
            // A living thing "showing its teeth" shows no picture.
            if (DEPICTIONS.has(c.word) && lastNP.length === 1 && (framing(lastNP[0].np) || !isAnimate(lastNP[0].np))) {
              detailVerb = c.word;
              placementVerb = true;
            }
            break;
          }
        } else if (withActorUsed && prevKind !== 'and' && !(prevKind === 'np' && lastRole === 'subject')) {
          // "with its wings spread out swooping over a tree": the owl swoops (but "with a record
          // leaning against it and a cat sleeping beneath the table": the cat, a subject of its
          // own, sleeps).
          actor = withOwner.length ? withOwner.slice() : actor;
          withActorUsed = false;
        }
        if (expect === 'with') endWith('auto');
        if (rcActor && prevKind === 'rp') actor = rcActor;
        closeDetail();
        if (DEPICTIONS.has(c.word) && actor.length === 1 && sentSubj.length === 1 && sentSubj[0] === actor[0] && framing(actor[0].np)) {
          // "A mosaic depicting a dolphin leaping over a boat": the mosaic is the medium, and the
          // dolphin the subject of what it shows.
          const frame = actor[0];
          frame.scene = addScene('medium', [frame.np.start, c.end]);
          subj = [];
          sentSubj = [];
          actor = [];
          subjOpen = false;
          clauseList = [];
          expect = 'any';
          placementVerb = false;
          lastKind = 'comma';
          continue;
        }
        if (!c.presentation && actor.length) openDetail(actor, c.start, c.end);
        detailFinite = c.form === 's' || c.form === 'base';
        // What a picture shows is placed by the relation after it: "a t-shirt showing a cat under
        // a tree".
        placementVerb = c.placement || DEPICTIONS.has(c.word);
        detailVerb = c.word;
        expect = 'detail';
        break;
      }
      case 'with': {
        finishPending();
        endWith('auto');
        // "playing with a frisbee", "filled with flowers": the phrase completes the verb.
        const afterVerb = lastKind === 'verb' && detail !== null && !c.neg;
        const verbStart = afterVerb ? detail!.start : -1;
        if (afterVerb) detail = null;
        closeDetail();
        // A "with" phrase hangs on the noun before it, unless that noun is ground the subject
        // stands on ("an airplane on a runway with the sun behind it").
        const before =
          lastKind === 'np' && lastNP.length && lastRole !== 'detail' && !(lastRole === 'object' && lastObjectRelation === 'on' && lastNP.every((e) => SURFACES.has(e.np.noun) || SURFACES.has(e.np.head)));
        const owner = before ? lastNP : actor;
        withOwner = owner.filter((e) => e.scene < 0);
        withOwnerScene = lastKind === 'np' && lastSetting >= 0 && lastNP.length && lastNP[0].scene === lastSetting ? lastSetting : -1;
        if (withOwner.length === 0 && withOwnerScene < 0) withOwner = actor.slice();
        withStart = afterVerb ? verbStart : c.start;
        withVerbEnd = afterVerb ? c.start : -1;
        if (afterVerb) withOwner = actor.slice();
        withNeg = c.neg;
        withVague = c.vague;
        withNP = [];
        withEnd = -1;
        withQuoted = false;
        withClosed = false;
        withActorUsed = false;
        withAnchor = withOwner[0];
        withRef = withAnchor;
        // "S r1 A with X r2 it": "it" may be the subject S rather than A (see `withPronoun`).
        withSubject = before && lastRole === 'object' && actor.length === 1 && usable(actor[0]) && !withOwner.includes(actor[0]) ? { s: actor[0], r1: lastObjectRelation } : undefined;
        withBack = undefined;
        withPart = undefined;
        expect = 'with';
        break;
      }
      case 'and': {
        if (pending && pending.objects.length > 0 && pending.subjects !== null) {
          if (!(pending.relation === 'between' && pending.objects.length === 1)) pending.coord = 'and';
          pending.commaObjects = [];
        } else if (pending && pending.subjects === null && pending.objects.length > 0) {
          pending.coord = 'and';
        }
        if (lastRole === 'subject' && lastKind === 'np' && !pending) subjOpen = subjOpen || true;
        if (detail) extendDetail(c.end);
        break;
      }
      case 'but': {
        if (denied !== null && denied.objects.length > 0) contrast = denied.objects[0];
        denied = null;
        finishPending();
        closeDetail();
        negNext = false;
        expect = 'any';
        break;
      }
      case 'comma': {
        const listFollows = andList[ci + 1] === true || (next?.k === 'and' && chunks[ci + 2]?.k === 'np');
        if (pending) {
          if (pending.subjects === null) finishPending();
          else if (pending.objects.length > 0 && listFollows) pending.coord = 'comma';
          else {
            retractCommaObjects();
            finishPending();
          }
        }
        if (expect === 'with' && withNP.length && listFollows) {
          // "with a red hat, a scarf and boots": the list goes on.
        } else endWith('auto');
        if (detail && listFollows && expect !== 'any') extendDetail(c.end);
        else {
          closeDetail();
          if (expect === 'detail') expect = 'any';
        }
        if (lastRole === 'subject' && lastKind === 'np' && listFollows && !pending) subjOpen = true;
        else if (!listFollows) subjOpen = false;
        negNext = false;
        existential = false;
        break;
      }
      case 'stop':
        endSentence();
        break;
      case 'rp':
        settle();
        closeDetail();
        endWith('auto');
        // "a bicycle, which is leaning against a fence": the noun before, comma or not.
        if (lastNP.length && (lastKind === 'np' || (lastKind === 'comma' && chunks[ci - 2]?.k === 'np'))) actor = lastNP.filter((e) => e.scene < 0);
        if (actor.length === 0) actor = subj.slice();
        rcActor = actor.slice();
        expect = 'any';
        break;
      case 'there':
        finishPending();
        closeDetail();
        endWith('auto');
        existential = true;
        subjOpen = false;
        lastKind = 'comma';
        continue;
      case 'sub':
        settle();
        closeDetail();
        endWith('auto');
        expect = 'any';
        if (next?.k === 'verb' && !next.cop && (next.form === 'ing' || next.form === 'ed') && subj.length) {
          // "holding a sign that says 'hello' while sitting on a branch": the subject sits.
          actor = subj.slice();
        }
        rcActor = null;
        subjOpen = false;
        break;
      case 'neg':
        negNext = true;
        break;
      case 'adv':
      case 'adj':
      case 'quote':
      case 'view':
        if ((c.k === 'adj' || c.k === 'adv') && expect === 'with' && withNP.length && lastKind === 'np' && !((next?.k === 'rel' || next?.k === 'side') && INTENSIFIER_SET.has(text.slice(c.start, c.end).toLowerCase()))) {
          // "with its mouth open", "with eyes closed".
          withEnd = Math.max(withEnd, c.end);
          withClosed = true;
          lastKind = 'np';
          continue;
        }
        if (c.k === 'quote' && expect === 'with') {
          // "a mug with 'best dad' printed on it": the words are part of how it looks.
          withEnd = Math.max(withEnd, c.end);
          withQuoted = true;
          continue;
        }
        if (detail) extendDetail(c.end);
        else if (c.k === 'adj' && lastKind === 'verb' && actor.length) openDetail(actor, c.start, c.end);
        if (c.k === 'adv' || c.k === 'quote' || c.k === 'view') continue;
        break;
      case 'order': {
        finishPending();
        const listed = orderedList([c.start, c.end], true);
        order = { axis: c.axis, forward: c.forward, phrase: c.phrase, span: [c.start, c.end], before: listed.length >= 2 ? listed : clauseList.length >= 2 ? clauseList.slice() : [] };
        if (order.before.length >= 2) applyOrder();
        else clauseList = [];
        break;
      }
      case 'unknown':
        finishPending();
        diagnostics.push({
          code: 'unknown-relation',
          severity: 'warning',
          message: `'${c.phrase}' is not a relation SPRIGHT Lens can place; say it with left of, right of, above, below, in front of, behind, on, under, next to, near or far from`,
          span: [c.start, c.end],
        });
        for (const e of actor) touched.add(e);
        touchNextEntity = true;
        break;
      case 'vague':
        finishPending();
        lastVague = c.phrase.toLowerCase();
        break;
    }
    lastKind = c.k;
  }
  endSentence();

  /**
   * Groups whose members the prompt named: when it relates or places a member, or names two, the
   * members (and the rest, when the count leaves some) replace the group in every relation and
   * placement, each an object of its own with the same noun. A single member that only does
   * something ("one of them is reading") folds back into its group.
   */
  function settleGroups(): void {
    const speaking = new Set<Entity>();
    for (const r of rawRelations) {
      speaking.add(r.s);
      speaking.add(r.o);
      if (r.o2) speaking.add(r.o2);
    }
    for (const sd of sides) speaking.add(sd.entity);
    let any = false;
    for (const g of entities) {
      const claims = g.claims;
      if (!claims?.length) continue;
      if (claims.length < 2 && !claims.some((m) => speaking.has(m))) {
        for (const m of claims) {
          m.folded = true;
          for (const d of m.details) if (!g.details.includes(d)) g.details.push(d);
          for (const p of m.placements) if (!g.placements.includes(p)) g.placements.push(p);
          if (m.obj >= 0) materialize(g);
        }
        continue;
      }
      const members = claims.slice();
      const named = claims.reduce((n, m) => n + (m.np.count ?? 1), 0);
      if (!g.closed && (g.np.count === null || g.np.count > named)) {
        const rest = g.np.count === null ? null : g.np.count - named;
        const np: NounPhrase = { ...g.np, count: rest, plural: rest !== 1 };
        const r: Entity = { np, obj: -1, scene: -1, negated: false, details: [], placements: [], subject: false, group: g };
        entities.push(r);
        members.push(r);
      }
      for (const m of members) {
        m.details = [...g.details.filter((d) => !m.details.includes(d)), ...m.details];
        for (const p of g.placements) if (!m.placements.includes(p)) m.placements.push(p);
        materialize(m);
      }
      g.members = members;
      any = true;
    }
    if (!any) return;
    const expand = (e: Entity): Entity[] => e.members ?? [e];
    const out: RawRelation[] = [];
    for (const r of rawRelations) {
      if (r.relation === 'between' && r.o2 === undefined && r.o.members && r.o.members.length >= 2 && !r.s.members) {
        // "between the two of them": the two members.
        out.push({ ...r, o: r.o.members[0], o2: r.o.members[1] });
        continue;
      }
      for (const a of expand(r.s)) {
        for (const b of expand(r.o)) {
          if (a === b) continue;
          if (r.o2 === undefined) out.push({ ...r, s: a, o: b });
          else for (const c of expand(r.o2)) if (c !== a && c !== b) out.push({ ...r, s: a, o: b, o2: c });
        }
      }
    }
    rawRelations.length = 0;
    rawRelations.push(...out);
    const expandedSides = sides.flatMap((sd) => expand(sd.entity).map((entity) => ({ ...sd, entity })));
    sides.length = 0;
    sides.push(...expandedSides);
  }

  /** A noun phrase or pronoun (`np` null) naming `e`, written up to `end`. */
  function handleEntity(e: Entity, np: NounPhrase | null, next: Chunk | undefined, end: number): void {
    mention(e);
    if (np?.possessedBy) {
      // "a surfboard on its roof": the owner of the roof is placed through its part.
      const owner = resolve(np.possessedBy === 'it' ? 'its' : np.possessedBy, null, 'object', [e]);
      if (owner) touched.add(owner);
      if (owner !== undefined && owner === withRef && pending?.inWith === true && pending.objects.length === 0) withPart = e;
    }
    if (touchNextEntity) {
      // "a cat sitting opposite a dog": what an unknown relation names is still in the picture.
      touched.add(e);
      if (usable(e) && !isSetting(e.np)) materialize(e);
      touchNextEntity = false;
    }
    if (np && PICTURES.has(np.noun) && np.definite) {
      // "on the left side of the image" places against the picture; "in the scene", "the
      // picture shows" name the picture itself, never an object to place.
      if (pending && pending.objects.length === 0) {
        const side = pictureSide(pending.relation, pending.soft);
        const p = pending;
        pending = null;
        if (side) {
          const who = p.subjects;
          if (who) for (const s of who) sides.push({ entity: s, side, phrase: p.phrase, span: p.span });
          else pendingSide = { side, phrase: p.phrase, span: p.span };
        }
      }
      lastKind = 'picture';
      return;
    }
    if (pending && (pending.objects.length === 0 || pending.coord !== 'none')) {
      const p = pending;
      // After "and" the noun phrase may start a new clause instead ("a cat on a mat and a dog under
      // the table"); not inside "between A and B" or a fronted phrase.
      if (p.objects.length > 0 && p.coord === 'and' && p.subjects !== null && !(p.relation === 'between' && p.objects.length === 1)) p.tentative = e;
      if (p.coord === 'comma') p.commaObjects.push(e);
      p.objects.push(e);
      p.coord = 'none';
      lastNP = [e];
      lastRole = 'object';
      lastObjectRelation = p.relation;
      if (p.relation === 'between' && p.objects.length === 1 && next?.k === 'and') {
        p.coord = 'and';
      }
      if (p.soft === 'at' && detail) extendDetail(end);
      return;
    }
    if (expect === 'detail' && fronted !== null && !fronted.used && lastKind === 'verb') {
      // "to its right is a towel rack": the noun phrase after the verb is the subject.
      expect = 'any';
      startSubject(e);
      lastNP = [e];
      lastRole = 'subject';
      return;
    }
    if (expect === 'detail' && detailFinite && lastKind === 'and' && next?.k === 'verb' && !next.aux && (next.form === 's' || next.cop)) {
      // "rows of plants line the shelves, and a watering can sits on the floor": after a clause
      // with its own verb, "and" and a finite verb start another clause; the noun is its subject,
      // not one more thing acted on (but "a bear wearing a helmet and cape is standing ..." goes
      // on with the bear).
      closeDetail();
      expect = 'any';
      subjOpen = false;
      clauseList = [];
      startSubject(e);
      lastNP = [e];
      lastRole = 'subject';
      return;
    }
    if (expect === 'detail') {
      lastNP = [e];
      lastRole = 'detail';
      // Only after prepositions of direction ("looking at", "pointing to"); "made of denim" and
      // "for a walk" name nothing a relation then places.
      // "pointing to a star above the tower" places the star; "tied to a post near the shore"
      // is the boat's place.
      viaPreposition = lastKind === 'prep' && /^(to|toward|towards|into)$/.test(lastPrep) && DIRECTED_VERBS.has(lastVerb) ? e : undefined;
      if (lastKind === 'verb' && INTERACTION_VERBS.has(lastVerb) && usable(e) && !isSetting(e.np) && (!e.np.bare || e.np.plural)) {
        // "a dog chasing a cat", "a man walking a dog": the one acted on is in the picture too.
        materialize(e);
      }
      if (detail) extendDetail(end);
      else if (actor.length && np) openDetail(actor, np.start, end);
      if (!detail && actor.length === 0) {
        // A verb before any subject ("Sitting on a bench, ..."): the noun phrase is a subject.
        expect = 'any';
        startSubject(e);
        lastRole = 'subject';
      }
      return;
    }
    if (expect === 'with') {
      if (lastKind === 'and' || lastKind === 'comma' || withNP.length === 0) withNP.push(e);
      if (withOwner.length === 1 && withOwner[0] !== e) e.owner ??= withOwner[0];
      withEnd = Math.max(withEnd, end);
      lastNP = withNP.slice();
      lastRole = 'with';
      return;
    }
    if (lastKind === 'side' && actor.length && !pendingSide && np) {
      // "The one on the left a detailed oil painting of a king": an apposition describing it.
      for (const o of actor) {
        const words = text.slice(np.start, end);
        if (!o.details.includes(words)) o.details.push(words);
      }
      lastNP = [e];
      lastRole = 'detail';
      return;
    }
    const listContinues = (lastKind === 'and' || lastKind === 'comma') && subjOpen;
    if (!listContinues) {
      subjOpen = false;
      clauseList = [];
    }
    const wasAnd = lastKind === 'and';
    startSubject(e);
    if (wasAnd && lastVague === null) lastVague = 'and';
    if (lastVague) vagueWord.set(e, lastVague);
    lastVague = null;
    lastNP = [e];
    lastRole = 'subject';
  }

  // --- Results ---------------------------------------------------------------------------------
  settleGroups();

  // Elliptic placements: "a zebra and a giraffe, the zebra on the left" puts the giraffe right.
  const sidesOf = new Map<Entity, SidePlacement[]>();
  for (const s of sides) {
    const list = sidesOf.get(s.entity);
    if (list) list.push(s);
    else sidesOf.set(s.entity, [s]);
  }
  for (const pair of pairs) {
    if (pair.length !== 2) continue;
    const [a, b] = pair;
    for (const axis of AXES) {
      const sa = sidesOf.get(a)?.find((s) => axis.order[s.side] !== undefined && s.side !== 'center');
      const sb = sidesOf.get(b)?.find((s) => axis.order[s.side] !== undefined);
      if ((sa === undefined) === (sb === undefined)) continue;
      const one = sa ?? sb!;
      const other = one === sa ? b : a;
      const opposite = (Object.keys(axis.order) as AbsoluteSide[]).find((k) => k !== one.side && k !== 'center' && axis.order[k] !== undefined);
      if (opposite && one.side !== 'center') sides.push({ entity: other, side: opposite, phrase: one.phrase, span: one.span, inferred: true } as SidePlacement);
    }
  }
  for (const s of sides) {
    materialize(s.entity);
    if (!(s as SidePlacement & { inferred?: boolean }).inferred) addPlacement(s.entity, s.side);
  }

  // "a cage with a parrot", "a shelf with a clock": what a container is given with "with" is in
  // it (on it, for a plate or a shelf) when nothing else relates the two; its parts ("a cup with a
  // handle") are not.
  for (const e of objects) {
    const c = e.owner;
    if (c === undefined || c.obj < 0 || !usable(c) || !usable(e) || isAnimate(c.np) || PARTS_GIVEN_WITH.has(e.np.head)) continue;
    const how: RelationType | null = WITH_CONTAINERS.has(c.np.head) ? 'inside' : WITH_SURFACES.has(c.np.head) ? 'on' : null;
    if (how === null || rawRelations.some((r) => (r.s === e && (r.o === c || r.o2 === c)) || (r.s === c && (r.o === e || r.o2 === e)))) continue;
    rawRelations.push({ s: e, relation: how, o: c, phrase: 'with', span: [e.np.start, e.np.end] });
  }

  // Settings and style fragments that nothing relates to are scene, not objects: "A cozy living
  // room with a painting ...", "... comic book illustration."
  const related = new Set<Entity>();
  for (const r of rawRelations) {
    related.add(r.s);
    related.add(r.o);
    if (r.o2) related.add(r.o2);
  }
  for (const s of sides) related.add(s.entity);
  const others = objects.filter((o) => !related.has(o)).length < objects.length || objects.length > 1;
  for (const o of objects) {
    if (related.has(o) || o.placements.length) continue;
    if (isSetting(o.np) && o.np.attributes.length <= 3 && others) {
      o.scene = addScene('setting', [o.np.start, o.np.end]);
    } else if (isTime(o.np)) {
      o.scene = addScene('time', [o.np.start, o.np.end]);
    } else if (STYLES.has(o.np.head) && o.np.bare && !o.subject === false && others && objects.length > 1) {
      o.scene = addScene('style', [o.np.start, o.np.end]);
    }
  }
  const at = (o: Entity): number => (o.group?.members ? o.group.np.start : o.np.start);
  const kept = objects.filter((o) => o.scene < 0 && !o.members && !o.folded).sort((a, b) => at(a) - at(b));

  // Ids from nouns, in text order, unique.
  const used = new Set<string>();
  // Next suffix to try per base id, so that a hundred cats cost a hundred look-ups, not 5,000.
  const suffix = new Map<string, number>();
  const idOf = new Map<Entity, string>();
  const outObjects: PromptObject[] = kept.map((e) => {
    const base = idFor(e.np.noun);
    let id = base;
    let n = suffix.get(base) ?? 2;
    while (used.has(id)) id = `${base}_${n++}`;
    suffix.set(base, n);
    used.add(id);
    idOf.set(e, id);
    return {
      id,
      noun: e.np.noun,
      phrase: text.slice(e.np.start, e.np.end),
      count: e.np.count,
      attributes: e.np.attributes,
      placements: e.placements,
      details: e.details,
      span: [e.np.start, e.np.end],
    };
  });
  const relations: PromptRelation[] = [];
  const seen = new Set<string>();
  for (const r of rawRelations) {
    const s = idOf.get(r.s);
    const o = idOf.get(r.o);
    const o2 = r.o2 ? idOf.get(r.o2) : undefined;
    if (s === undefined || o === undefined || (r.o2 && o2 === undefined)) continue;
    const key = `${s}|${r.relation}|${o}|${o2 ?? ''}|${r.span[0]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const rel: PromptRelation = { subject: s, relation: r.relation, object: o, phrase: r.phrase, span: r.span };
    if (o2 !== undefined) rel.object2 = o2;
    relations.push(rel);
  }
  addSideRelations(sides.filter((s) => idOf.has(s.entity)), idOf, relations);

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

  if (outObjects.length >= 2) {
    const placed = new Set<string>();
    for (const r of relations) {
      placed.add(r.subject);
      placed.add(r.object);
      if (r.object2) placed.add(r.object2);
    }
    for (const s of sides) if (idOf.has(s.entity)) placed.add(idOf.get(s.entity)!);
    // The first placed object and the first two objects, found once: linear in the objects.
    const placedObjects = outObjects.filter((x) => placed.has(x.id)).slice(0, 2);
    kept.forEach((e, index) => {
      const o = outObjects[index];
      if (placed.has(o.id) || touched.has(e) || SCENES.has(o.noun)) return;
      const other = placedObjects.find((x) => x !== o) ?? (outObjects[0] !== o ? outObjects[0] : outObjects[1]);
      const word = vagueWord.get(e);
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
  const outScene: SceneElement[] = scene
    .map((s) => ({ kind: s.kind, phrase: s.phrase, span: s.span }))
    .sort((a, b) => a.span[0] - b.span[0] || a.span[1] - b.span[1]);
  return { text, objects: outObjects, relations, scene: dedupeScene(outScene, text), diagnostics };
}

/** The colour a chunk is when it is a lone colour word ("red", or "orange" read as a noun). */
function colourOf(c: Chunk): string | null {
  if (c.k === 'np') {
    const np = c.np;
    return np.bare && np.attributes.length === 0 && np.noun === np.head && !np.plural && COLOURS.has(np.noun) ? np.noun : null;
  }
  if (c.k === 'adj') return COLOURS.has(c.word) ? c.word : null;
  return null;
}

/** For each chunk index: does a list "NP (, NP)* (,) and NP" start there? Right to left, linear. */
function andLists(chunks: readonly Chunk[]): boolean[] {
  const res: boolean[] = new Array<boolean>(chunks.length + 1).fill(false);
  for (let j = chunks.length - 1; j >= 0; j--) {
    if (chunks[j].k !== 'np') continue;
    const a = chunks[j + 1];
    const b = chunks[j + 2];
    const c = chunks[j + 3];
    if (a?.k === 'and' && b?.k === 'np') res[j] = true;
    else if (a?.k === 'comma' && b?.k === 'and' && c?.k === 'np') res[j] = true;
    else if (a?.k === 'comma' && b?.k === 'np' && res[j + 2]) res[j] = true;
  }
  return res;
}

function pictureSide(r: RelationType, soft: 'in' | 'at' | null): AbsoluteSide | null {
  if (soft !== null) return null;
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

function idFor(noun: string): string {
  const base = noun
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
  return base.length > 0 ? base.slice(0, 40) : 'object';
}

/** Drops repeated scene spans and joins style words written next to each other. */
function dedupeScene(scene: SceneElement[], text: string): SceneElement[] {
  const out: SceneElement[] = [];
  for (const s of scene) {
    const last = out[out.length - 1];
    if (last && last.span[0] === s.span[0] && last.span[1] === s.span[1]) continue;
    if (last && last.kind === 'style' && s.kind === 'style' && s.span[0] >= last.span[1] && /^\s*$/.test(text.slice(last.span[1], s.span[0]))) {
      // "wide-angle lens from below": one style phrase.
      last.span = [last.span[0], s.span[1]];
      last.phrase = text.slice(last.span[0], last.span[1]);
      continue;
    }
    out.push({ ...s });
  }
  return out;
}

// Absolute sides become relations between objects on the same axis, in the order people list them.
const AXES: Array<{ order: Partial<Record<AbsoluteSide, number>>; forward: RelationType; backward: RelationType }> = [
  { order: { left: 0, center: 1, right: 2 }, forward: 'left_of', backward: 'right_of' },
  { order: { top: 0, bottom: 2 }, forward: 'above', backward: 'below' },
  { order: { foreground: 0, background: 2 }, forward: 'in_front_of', backward: 'behind' },
];
// Pairs grow quadratically; prompts name a handful of sides, hostile input may name thousands.
const MAX_SIDES = 64;

function addSideRelations<E>(sides: Array<{ entity: E; side: AbsoluteSide; phrase: string; span: Span }>, idOf: Map<E, string>, relations: PromptRelation[]): void {
  const list = sides.slice(0, MAX_SIDES);
  for (let a = 0; a < list.length; a++) {
    for (let b = a + 1; b < list.length; b++) {
      const x = list[a];
      const y = list[b];
      if (x.entity === y.entity) continue;
      for (const axis of AXES) {
        const ox = axis.order[x.side];
        const oy = axis.order[y.side];
        if (ox === undefined || oy === undefined || ox === oy) continue;
        // "in the center" only orders objects against an explicit left or right.
        relations.push({
          subject: idOf.get(x.entity)!,
          relation: ox < oy ? axis.forward : axis.backward,
          object: idOf.get(y.entity)!,
          phrase: x.phrase,
          span: x.span,
        });
      }
    }
  }
}
