/**
 * The project's spatial lexicon, as data: the parser, the TextMate grammar and the rewriter all
 * read the same words from here, so a phrase the parser understands is also coloured and rewritten.
 */
import type { RelationType } from './types';

/** How a relation phrase maps onto a relation between the words around it. */
export interface SpatialPhrase {
  relation: RelationType;
  /**
   * True when the grammatical subject is the relation's object: "A surrounded by B" is
   * around(B, A).
   */
  swap?: boolean;
}

/**
 * Relation phrases (lower case, words separated by single spaces) -> relation. `left_of(A, B)`
 * means A is to the left of B, so "A to the left of B" reads straight through. Longer phrases win
 * over shorter ones ("on the left of" beats "on the left"), so a phrase may be a prefix of another.
 * `<poss>` stands for its/his/her/their and makes the phrase refer back ("B with A on its left").
 */
export const SPATIAL_PHRASES: Readonly<Record<string, SpatialPhrase>> = Object.freeze({
  // Left / right.
  'to the left of': { relation: 'left_of' },
  'on the left of': { relation: 'left_of' },
  'at the left of': { relation: 'left_of' },
  'left of': { relation: 'left_of' },
  'on the left side of': { relation: 'left_of' },
  'to the left side of': { relation: 'left_of' },
  'at the left side of': { relation: 'left_of' },
  'on the left-hand side of': { relation: 'left_of' },
  'to the left-hand side of': { relation: 'left_of' },
  'to the immediate left of': { relation: 'left_of' },
  'to the far left of': { relation: 'left_of' },
  'leftward of': { relation: 'left_of' },
  'to <poss> left': { relation: 'left_of' },
  'on <poss> left': { relation: 'left_of' },
  'at <poss> left': { relation: 'left_of' },
  'on <poss> left side': { relation: 'left_of' },
  'to the right of': { relation: 'right_of' },
  'on the right of': { relation: 'right_of' },
  'at the right of': { relation: 'right_of' },
  'right of': { relation: 'right_of' },
  'on the right side of': { relation: 'right_of' },
  'to the right side of': { relation: 'right_of' },
  'at the right side of': { relation: 'right_of' },
  'on the right-hand side of': { relation: 'right_of' },
  'to the right-hand side of': { relation: 'right_of' },
  'to the immediate right of': { relation: 'right_of' },
  'to the far right of': { relation: 'right_of' },
  'rightward of': { relation: 'right_of' },
  'to <poss> right': { relation: 'right_of' },
  'on <poss> right': { relation: 'right_of' },
  'at <poss> right': { relation: 'right_of' },
  'on <poss> right side': { relation: 'right_of' },
  // Vertical. T2I-CompBench scores "A on the top of B" as A above B (centres, not contact).
  above: { relation: 'above' },
  over: { relation: 'above' },
  overhead: { relation: 'above' },
  'on the top of': { relation: 'above' },
  'at the top of': { relation: 'above' },
  'to the top of': { relation: 'above' },
  'higher than': { relation: 'above' },
  'up above': { relation: 'above' },
  'hovering over': { relation: 'above' },
  'hovers over': { relation: 'above' },
  'hovering above': { relation: 'above' },
  'floating above': { relation: 'above' },
  'floating over': { relation: 'above' },
  below: { relation: 'below' },
  'down below': { relation: 'below' },
  'on the bottom of': { relation: 'below' },
  'at the bottom of': { relation: 'below' },
  'to the bottom of': { relation: 'below' },
  'lower than': { relation: 'below' },
  // Support and cover.
  on: { relation: 'on' },
  upon: { relation: 'on' },
  onto: { relation: 'on' },
  atop: { relation: 'on' },
  'on top of': { relation: 'on' },
  'resting on': { relation: 'on' },
  'sitting on': { relation: 'on' },
  'standing on': { relation: 'on' },
  'lying on': { relation: 'on' },
  'perched on': { relation: 'on' },
  'across the top of': { relation: 'on' },
  'along the top of': { relation: 'on' },
  'over the top of': { relation: 'on' },
  riding: { relation: 'on' },
  'riding on': { relation: 'on' },
  'rides on': { relation: 'on' },
  under: { relation: 'under' },
  underneath: { relation: 'under' },
  beneath: { relation: 'under' },
  'underneath of': { relation: 'under' },
  // Depth.
  'in front of': { relation: 'in_front_of' },
  'ahead of': { relation: 'in_front_of' },
  'out in front of': { relation: 'in_front_of' },
  'in the front of': { relation: 'in_front_of' },
  'to the front of': { relation: 'in_front_of' },
  'at the front of': { relation: 'in_front_of' },
  'closer to the camera than': { relation: 'in_front_of' },
  behind: { relation: 'behind' },
  'in back of': { relation: 'behind' },
  'at the back of': { relation: 'behind' },
  'to the back of': { relation: 'behind' },
  'to the rear of': { relation: 'behind' },
  // "sitting in the back of a truck": in its back part, so inside it.
  'in the back of': { relation: 'inside' },
  'in the rear of': { relation: 'inside' },
  'at the rear of': { relation: 'behind' },
  'hidden by': { relation: 'behind' },
  'hidden behind': { relation: 'behind' },
  'partially hidden by': { relation: 'behind' },
  'partly hidden by': { relation: 'behind' },
  'obscured by': { relation: 'behind' },
  'occluded by': { relation: 'behind' },
  'blocked by': { relation: 'behind' },
  'further from the camera than': { relation: 'behind' },
  // Proximity.
  'next to': { relation: 'next_to' },
  beside: { relation: 'next_to' },
  alongside: { relation: 'next_to' },
  'adjacent to': { relation: 'next_to' },
  by: { relation: 'next_to' },
  'on side of': { relation: 'next_to' },
  'on the side of': { relation: 'next_to' },
  'at the side of': { relation: 'next_to' },
  'by the side of': { relation: 'next_to' },
  'side by side with': { relation: 'next_to' },
  against: { relation: 'next_to' },
  'leaning against': { relation: 'next_to' },
  'leans against': { relation: 'next_to' },
  'propped against': { relation: 'next_to' },
  'to the side of': { relation: 'next_to' },
  // "two lamps on either side of a sofa": the sofa is between them.
  'on either side of': { relation: 'between', swap: true },
  'on both sides of': { relation: 'between', swap: true },
  'on each side of': { relation: 'between', swap: true },
  'on opposite sides of': { relation: 'between', swap: true },
  'either side of': { relation: 'between', swap: true },
  'on either side': { relation: 'between', swap: true },
  'on both sides': { relation: 'between', swap: true },
  'on each side': { relation: 'between', swap: true },
  flanking: { relation: 'between', swap: true },
  'at the foot of': { relation: 'next_to' },
  'at the feet of': { relation: 'next_to' },
  'at <poss> feet': { relation: 'next_to' },
  'at <poss> side': { relation: 'next_to' },
  'by <poss> side': { relation: 'next_to' },
  'at the base of': { relation: 'next_to' },
  near: { relation: 'near' },
  'near to': { relation: 'near' },
  nearby: { relation: 'near' },
  'close to': { relation: 'near' },
  'close by': { relation: 'near' },
  'not far from': { relation: 'near' },
  'in the vicinity of': { relation: 'near' },
  'far from': { relation: 'far_from' },
  'far away from': { relation: 'far_from' },
  'a long way from': { relation: 'far_from' },
  'distant from': { relation: 'far_from' },
  'away from': { relation: 'far_from' },
  // Containment.
  inside: { relation: 'inside' },
  'inside of': { relation: 'inside' },
  within: { relation: 'inside' },
  'contained in': { relation: 'inside' },
  'enclosed in': { relation: 'inside' },
  outside: { relation: 'outside' },
  'outside of': { relation: 'outside' },
  between: { relation: 'between' },
  'in between': { relation: 'between' },
  // "Among the flowers", "in the middle of two trees": between a plural or a pair.
  among: { relation: 'between' },
  amongst: { relation: 'between' },
  amid: { relation: 'between' },
  amidst: { relation: 'between' },
  'flanked by': { relation: 'between' },
  'sandwiched between': { relation: 'between' },
  around: { relation: 'around' },
  surrounding: { relation: 'around' },
  encircling: { relation: 'around' },
  'surrounded by': { relation: 'around', swap: true },
  'encircled by': { relation: 'around', swap: true },
  // Size.
  'bigger than': { relation: 'larger_than' },
  'larger than': { relation: 'larger_than' },
  'taller than': { relation: 'larger_than' },
  'huger than': { relation: 'larger_than' },
  'twice as big as': { relation: 'larger_than' },
  'twice as large as': { relation: 'larger_than' },
  'towers over': { relation: 'larger_than' },
  'towering over': { relation: 'larger_than' },
  'tower over': { relation: 'larger_than' },
  dwarfs: { relation: 'larger_than' },
  dwarfing: { relation: 'larger_than' },
  'smaller than': { relation: 'smaller_than' },
  'shorter than': { relation: 'smaller_than' },
  'tinier than': { relation: 'smaller_than' },
  'half the size of': { relation: 'smaller_than' },
  'dwarfed by': { relation: 'smaller_than' },
});

/** Where an object sits in the picture as a whole, on one axis. */
export type AbsoluteSide = 'left' | 'right' | 'top' | 'bottom' | 'foreground' | 'background' | 'center';

/**
 * Absolute placements: "A is on the left, B on the right" gives left_of(A, B). A picture noun after
 * a relation ("on the left side of the image") is read the same way.
 */
export const SIDE_PHRASES: Readonly<Record<string, AbsoluteSide>> = Object.freeze({
  'on the left': 'left',
  'to the left': 'left',
  'at the left': 'left',
  'on the left side': 'left',
  'on the left-hand side': 'left',
  'on the far left': 'left',
  'to the far left': 'left',
  'at the far left': 'left',
  'on the right': 'right',
  'to the right': 'right',
  'at the right': 'right',
  'on the right side': 'right',
  'on the right-hand side': 'right',
  'on the far right': 'right',
  'to the far right': 'right',
  'at the far right': 'right',
  'at the top': 'top',
  'on the top': 'top',
  'on top': 'top',
  'up top': 'top',
  'at the bottom': 'bottom',
  'on the bottom': 'bottom',
  'in the foreground': 'foreground',
  'in the front': 'foreground',
  'up front': 'foreground',
  'in the background': 'background',
  'in the back': 'background',
  'in the distance': 'background',
  'far away': 'background',
  'in the center': 'center',
  'in the centre': 'center',
  'in the middle': 'center',
  'at the center': 'center',
  'at the centre': 'center',
  'in the middle ground': 'center',
  'in the midground': 'center',
  'in front': 'foreground',
  'at the front': 'foreground',
  'at the back': 'background',
  'in the rear': 'background',
  'at the rear': 'background',
  'in background': 'background',
  'in foreground': 'foreground',
  'in the far background': 'background',
  'in the distant background': 'background',
  'in the far distance': 'background',
  'in the immediate foreground': 'foreground',
  'in the very front': 'foreground',
  'at the very top': 'top',
  'at the very bottom': 'bottom',
  'in the upper part': 'top',
  'in the lower part': 'bottom',
  'in the left part': 'left',
  'in the right part': 'right',
  'on the left part': 'left',
  'on the right part': 'right',
  'in the left half': 'left',
  'in the right half': 'right',
  'on the left half': 'left',
  'on the right half': 'right',
  'in the top half': 'top',
  'in the bottom half': 'bottom',
  'in the upper half': 'top',
  'in the lower half': 'bottom',
});

/**
 * Corners: two placements at once ("in the top left corner" is top and left). Built from the
 * vertical and horizontal words people combine.
 */
export const CORNER_PHRASES: Readonly<Record<string, readonly [AbsoluteSide, AbsoluteSide]>> = Object.freeze(
  Object.fromEntries(
    (['top', 'upper', 'bottom', 'lower'] as const).flatMap((v) =>
      (['left', 'right'] as const).flatMap((h) => {
        const sides: readonly [AbsoluteSide, AbsoluteSide] = [v === 'top' || v === 'upper' ? 'top' : 'bottom', h];
        return [
          [`in the ${v} ${h} corner`, sides],
          [`in the ${v} ${h}`, sides],
          [`at the ${v} ${h}`, sides],
          [`at the ${v} ${h} corner`, sides],
          [`in the ${v}-${h} corner`, sides],
          [`on the ${v} ${h}`, sides],
        ] as Array<[string, readonly [AbsoluteSide, AbsoluteSide]]>;
      }),
    ),
  ),
);

/**
 * Placement words that say two things share a picture but not where: an object tied to the others
 * only by these gets a `vague` diagnostic naming the word.
 */
export const VAGUE_PHRASES: readonly string[] = Object.freeze([
  'with',
  'and',
  'somewhere',
  'near-ish',
  'nearish',
  'around somewhere',
  'somewhere around',
  'here and there',
  'scattered',
  'scattered around',
  'together',
  'along with',
  'together with',
  'accompanied by',
  'in the scene',
  'in the picture',
  'in the image',
  'in the frame',
  'or so',
  'roughly',
  'kind of',
  'sort of',
]);

/**
 * Spatial-looking phrases the renderer cannot place: they get an `unknown-relation` warning
 * suggesting a supported relation instead of a silent drop.
 */
export const UNKNOWN_RELATION_PHRASES: readonly string[] = Object.freeze([
  'diagonal to',
  'diagonal from',
  'diagonal of',
  'diagonally to',
  'diagonally from',
  'diagonally across from',
  'diagonally opposite',
  'kitty-corner from',
  'kitty-corner to',
  'kitty corner from',
  'kitty corner to',
  'catty-corner from',
  'catty-corner to',
  'cater-corner from',
  'across from',
  'opposite',
  'opposite to',
  'opposite of',
  'facing',
  'facing away from',
  'perpendicular to',
  'parallel to',
  'at an angle to',
  'offset from',
  'askew from',
  'toward',
  'towards',
  'to the north of',
  'to the south of',
  'to the east of',
  'to the west of',
  'to the northeast of',
  'to the northwest of',
  'to the southeast of',
  'to the southwest of',
  'to the north-east of',
  'to the north-west of',
  'to the south-east of',
  'to the south-west of',
  'north of',
  'south of',
  'east of',
  'west of',
  'northeast of',
  'northwest of',
  'southeast of',
  'southwest of',
  'upstream of',
  'downstream of',
  'clockwise from',
  'counterclockwise from',
]);

/** Every multi-word COCO class, plus common multi-word objects people put in prompts. */
export const MULTI_WORD_NOUNS: readonly string[] = Object.freeze([
  'living room',
  'traffic light',
  'hot air balloon',
  'air balloon',
  'fire hydrant',
  'stop sign',
  'parking meter',
  'sports ball',
  'baseball bat',
  'baseball glove',
  'tennis racket',
  'wine glass',
  'hot dog',
  'potted plant',
  'dining table',
  'cell phone',
  'teddy bear',
  'hair drier',
  'hair dryer',
  'coffee table',
  'coffee cup',
  'coffee mug',
  'tennis ball',
  'soccer ball',
  'beach ball',
  'street lamp',
  'street light',
  'floor lamp',
  'desk lamp',
  'picture frame',
  'water bottle',
  'ice cream',
  'mobile phone',
  'polar bear',
  'fire truck',
  'police car',
  'school bus',
  'sail boat',
  'park bench',
  'light fixture',
  'light bulb',
  'christmas tree',
  'palm tree',
  'washing machine',
  'tv stand',
  'book shelf',
  'close up',
  'stained glass window',
  'stained glass',
  'video game',
  'hard hat',
  'top hat',
  'bow tie',
  'rubber duck',
  'lamp post',
  'bus stop',
  // Compounds with a verb form first: one thing, never a modifier and a noun.
  'cutting board',
  'chopping board',
  'ironing board',
  'diving board',
  'swimming pool',
  'sleeping bag',
  'rocking chair',
  'fishing boat',
  'fishing rod',
  'frying pan',
  'baking sheet',
  'shopping cart',
  'shopping bag',
  'parking lot',
  'dining room',
  'waiting room',
  'sewing machine',
  'vending machine',
  'rolling pin',
  'watering can',
  'mixing bowl',
  'serving tray',
  'filing cabinet',
  'writing desk',
  'ceiling fan',
  'stepping stone',
  'drinking fountain',
  'walking stick',
  'running shoe',
  'changing table',
  'dressing table',
  'folding chair',
  'hanging basket',
  'scratching post',
  'climbing frame',
]);

/** Single words that are always nouns here, whatever compromise's lexicon says ("tie", "sink"). */
export const KNOWN_NOUNS: readonly string[] = Object.freeze([
  // The 80 COCO classes (single-word ones) and the T2I-CompBench spatial nouns.
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'bench',
  'bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack',
  'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'ski', 'snowboard', 'kite', 'skateboard',
  'surfboard', 'bottle', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich',
  'orange', 'broccoli', 'carrot', 'pizza', 'donut', 'cake', 'chair', 'couch', 'bed', 'toilet', 'tv',
  'laptop', 'mouse', 'remote', 'keyboard', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator',
  'book', 'clock', 'vase', 'scissors', 'toothbrush', 'balloon', 'bee', 'butterfly', 'candle', 'chicken',
  'computer', 'desk', 'fish', 'frog', 'key', 'lamp', 'painting', 'phone', 'pig', 'plate', 'rabbit',
  'sofa', 'table', 'television', 'turtle', 'wallet', 'bag', 'man', 'woman', 'boy', 'girl', 'child',
  'bookcase', 'bookshelf', 'window', 'door', 'tree', 'flower', 'rock', 'house', 'mountain', 'river',
  'lake', 'fence', 'box', 'ball', 'hat', 'mirror', 'rug', 'shelf', 'mug', 'glass', 'pillow', 'plant',
  'pot', 'building', 'bridge', 'tower', 'castle', 'moon', 'sun', 'cloud', 'star', 'owl', 'fox', 'wolf',
  'deer', 'duck', 'lion', 'tiger', 'monkey', 'robot', 'statue', 'fountain', 'chandelier', 'candle',
  'drawing', 'sign', 'stool', 'cabinet', 'dresser', 'crate', 'barrel', 'basket', 'jar', 'teapot',
  'seat',
  'kettle', 'guitar', 'piano', 'violin', 'drum', 'bucket', 'ladder', 'wall', 'floor', 'ceiling',
]);

/** Words that say how many, with the count they give (null: several, but how many is unknown). */
export const COUNT_WORDS: Readonly<Record<string, number | null>> = Object.freeze({
  a: 1, an: 1, one: 1, single: 1, lone: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7,
  eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15,
  sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40,
  fifty: 50, hundred: 100, dozen: 12, both: 2, pair: 2, couple: 2, few: 3, several: 3, many: null,
  some: null, multiple: null, numerous: null, various: null, lots: null, group: null, bunch: null,
  herd: null, flock: null, pile: null, stack: null, row: null, set: null, crowd: null, pack: null,
});

/** Count phrases that end in "of" or stand alone before the noun ("a pair of", "a few"). */
export const COUNT_PHRASES: Readonly<Record<string, number | null>> = Object.freeze({
  'a pair of': 2,
  'a couple of': 2,
  'a couple': 2,
  'a few': 3,
  'a dozen': 12,
  'a group of': null,
  'a bunch of': null,
  'a herd of': null,
  'a flock of': null,
  'a pile of': null,
  'a stack of': null,
  'a row of': null,
  'a set of': null,
  'a crowd of': null,
  'a pack of': null,
  'a line of': null,
  // The same collectives in the plural, without an article ("rows of potted plants").
  'rows of': null,
  'lines of': null,
  'groups of': null,
  'bunches of': null,
  'herds of': null,
  'flocks of': null,
  'piles of': null,
  'crowds of': null,
  'packs of': null,
  'dozens of': null,
  'hundreds of': null,
  'thousands of': null,
  'lots of': null,
  'a lot of': null,
  'plenty of': null,
  'several': 3,
  'a number of': null,
});

/** Colour words: two members of a group told apart by colour ("the red one", "red, white and blue"). */
export const COLOUR_WORDS: readonly string[] = Object.freeze([
  'red', 'green', 'blue', 'yellow', 'orange', 'purple', 'pink', 'brown', 'black', 'white', 'gray',
  'grey', 'golden', 'gold', 'silver', 'beige', 'teal', 'cyan', 'magenta', 'violet', 'navy', 'maroon',
  'turquoise', 'ivory', 'crimson', 'tan', 'cream', 'lavender', 'lilac', 'indigo', 'scarlet', 'amber',
  'bronze', 'copper', 'olive', 'khaki', 'peach', 'coral', 'mint', 'aqua', 'fuchsia', 'rust', 'ginger',
  'blond', 'blonde', 'tabby', 'spotted', 'striped', 'dark', 'light', 'pale', 'bright',
]);

/** Positions that open a noun phrase as modifiers: "the top shelf", "the left one", "the back seat". */
export const POSITION_WORDS: readonly string[] = Object.freeze([
  'top', 'bottom', 'front', 'back', 'rear', 'upper', 'lower', 'middle', 'left', 'right', 'center',
  'centre', 'inner', 'outer', 'far', 'near', 'nearest', 'farthest', 'furthest',
]);

/** Colours, materials, sizes and textures: always attributes, never the head noun when one follows. */
export const ATTRIBUTE_WORDS: readonly string[] = Object.freeze([
  'red', 'green', 'blue', 'yellow', 'orange', 'purple', 'pink', 'brown', 'black', 'white', 'gray',
  'grey', 'golden', 'gold', 'silver', 'beige', 'teal', 'cyan', 'magenta', 'violet', 'navy', 'maroon',
  'turquoise', 'ivory', 'crimson', 'dark', 'light', 'pale', 'bright', 'colorful', 'colourful',
  'wooden', 'wood', 'metal', 'metallic', 'steel', 'iron', 'glass', 'plastic', 'stone', 'brick',
  'marble', 'leather', 'paper', 'cardboard', 'ceramic', 'porcelain', 'wool', 'woolen', 'cotton',
  'silk', 'velvet', 'concrete', 'copper', 'bronze', 'crystal', 'wicker', 'rubber', 'clay',
  'large', 'big', 'huge', 'giant', 'enormous', 'massive', 'tall', 'small', 'little', 'tiny', 'short',
  'long', 'wide', 'narrow', 'thin', 'thick', 'fat', 'round', 'square', 'miniature', 'medium',
  'old', 'new', 'young', 'shiny', 'fluffy', 'furry', 'striped', 'spotted', 'cute', 'sleeping',
  'vintage', 'antique', 'modern', 'empty', 'full', 'broken', 'wet', 'dry', 'soft', 'hard',
  'snowy', 'sunny', 'rainy', 'cloudy', 'foggy', 'misty', 'rusty', 'dusty', 'sandy', 'grassy',
  'rocky', 'leafy', 'hairy', 'shaggy', 'sleepy', 'happy', 'angry', 'calm', 'wild',
  // How the picture is taken: "a wide-angle shot", "a low-angle view".
  'wide-angle', 'low-angle', 'high-angle', 'aerial', 'macro', 'fisheye',
  'panoramic', 'long-exposure', 'tilt-shift', 'top-down', 'isometric', 'candid',
  'black-and-white', 'sepia', 'monochrome', 'grainy', 'blurry',
]);

/** Verbs that link a subject to its placement; they end a noun phrase once its noun is seen. */
export const LINK_VERBS: readonly string[] = Object.freeze([
  'is', 'are', 'was', 'were', 'be', 'being', 'been', "'s", 'stands', 'stand', 'standing', 'stood',
  'sits', 'sit', 'sitting', 'sat', 'lies', 'lie', 'lying', 'lays', 'laying', 'rests', 'rest',
  'resting', 'hangs', 'hang', 'hanging', 'hung', 'floats', 'float', 'floating', 'flies', 'fly',
  'flying', 'perches', 'perched', 'perching', 'placed', 'positioned', 'located', 'situated', 'set',
  'lean', 'leans', 'leaning', 'looms', 'looming', 'hovers', 'hovering', 'parked', 'stacked',
  'grows', 'growing', 'appears', 'appear', 'seen', 'visible', 'shown', 'depicted', 'runs',
  'running', 'walks', 'walking', 'sleeps', 'plays', 'playing', 'waits', 'waiting', 'stays',
  'remains', 'peeks', 'peeking', 'hides', 'hiding', 'swims', 'swimming', 'jumps', 'jumping',
  'rides', 'riding', 'sleeping', 'can', 'could', 'should', 'will', 'would', 'has', 'have', 'had',
  'holds', 'holding', 'looks', 'looking', 'faces', 'sits', 'lay', 'kept', 'arranged', 'mounted',
  'stands', 'towers', 'rises', 'rising', 'drawn', 'painted', 'there', 'here', 'also', 'too',
  'shows', 'show', 'showing', 'depicts', 'depicting', 'features', 'featuring', 'contains',
  'containing', 'displays', 'displaying', 'includes', 'including', 'sees', 'watching', 'watches',
  // Motion and posture verbs that take a place ("the car drives along a road").
  'drives', 'climbs', 'climbing', 'crawls', 'crawling', 'glides', 'gliding', 'soars', 'soaring',
  'rolling', 'diving', 'leaping', 'hopping', 'marching', 'strolls', 'strolling', 'wanders',
  'wandering', 'roams', 'roaming', 'grazes', 'grazing', 'dangles', 'dangling', 'emerges',
  'emerging', 'crouches', 'crouching', 'kneels', 'kneeling', 'squatting', 'napping', 'lounges',
  'lounging', 'posing', 'sprawls', 'relaxes', 'relaxing', 'basks', 'basking', 'glowing', 'drifting',
  'flowing', 'blooming',
  // What the sun and the moon do ("the sun sets behind the mountains", not a "sun set").
  'sets', 'shines', 'shining', 'sinks', 'sinking',
]);

/** Nouns that name the picture itself: "on the left side of the image" is an absolute placement. */
export const PICTURE_NOUNS: readonly string[] = Object.freeze([
  'image', 'picture', 'photo', 'photograph', 'frame', 'scene', 'room', 'canvas', 'composition',
  'shot', 'view', 'screen', 'page', 'panel', 'illustration', 'render', 'rendering',
]);

/**
 * Settings rather than things to place ("a kitchen with a fridge on the left"): still objects, but
 * never reported as `vague` for lacking a relation of their own.
 */
export const SCENE_NOUNS: readonly string[] = Object.freeze([
  'room', 'kitchen', 'bedroom', 'living room', 'bathroom', 'office', 'classroom', 'restaurant',
  'library', 'street', 'road', 'beach', 'park', 'forest', 'field', 'garden', 'city', 'landscape',
  'sky', 'desert', 'ocean', 'sea', 'meadow', 'valley', 'countryside', 'space', 'scene', 'setting',
  'interior', 'yard', 'backyard', 'studio', 'market', 'town', 'village', 'jungle', 'snow', 'night',
  'day', 'sunset', 'sunrise', 'morning', 'evening', 'style', 'background', 'foreground',
]);

/** Definite words: "the dog" after "a dog" is the same dog. */
export const DEFINITE_WORDS: readonly string[] = Object.freeze(['the', 'this', 'that', 'these', 'those', 'said']);

/** Possessive and object pronouns resolved to an earlier object. */
export const PRONOUNS: readonly string[] = Object.freeze([
  'it', 'its', 'itself', 'him', 'his', 'her', 'hers', 'them', 'their', 'they', 'he', 'she',
]);

/** Adverbs before a relation that do not change it ("directly above", "right next to"). */
export const INTENSIFIERS: readonly string[] = Object.freeze([
  'directly', 'just', 'slightly', 'immediately', 'right', 'far', 'partly', 'partially', 'somewhat',
  'very', 'really', 'quite', 'extremely', 'much', 'way', 'squarely', 'firmly', 'neatly', 'high',
  'low', 'well', 'exactly', 'almost', 'nearly', 'also', 'even',
]);

/**
 * Where a picture is set rather than things in it: "in a field", "in the kitchen", "in outer space"
 * are scene (`setting`), never boxes to place. After "in" and "at" these always are; the same noun
 * as the subject of a relation ("a small garden with a tree behind it") stays an object.
 */
export const SETTING_NOUNS: readonly string[] = Object.freeze([
  'kitchen', 'bedroom', 'bathroom', 'living room', 'dining room', 'room', 'office', 'classroom',
  'restaurant', 'cafe', 'library', 'studio', 'hallway', 'attic', 'basement', 'garage', 'lobby',
  'street', 'road', 'highway', 'runway', 'sidewalk', 'pavement', 'alley', 'parking lot', 'city',
  'town', 'village', 'downtown', 'countryside', 'landscape', 'beach', 'park', 'forest', 'woods',
  'jungle', 'field', 'meadow', 'garden', 'yard', 'backyard', 'front yard', 'farm', 'desert',
  'ocean', 'sea', 'water', 'sky', 'air', 'space', 'outer space', 'universe', 'snow', 'grass',
  'sand', 'mud', 'dirt', 'ground', 'lawn', 'shade', 'shadow', 'shadows', 'sun', 'sunlight',
  'sunshine', 'moonlight', 'rain', 'fog', 'mist', 'haze', 'storm', 'dark', 'darkness', 'wild',
  'wilderness', 'nature', 'market', 'stadium', 'arena', 'zoo', 'museum', 'gallery', 'church',
  'temple', 'station', 'airport', 'harbor', 'harbour', 'port', 'marina', 'suburb', 'neighborhood',
  'neighbourhood', 'interior', 'distance', 'scene', 'setting', 'environment', 'background',
  'foreground', 'open', 'corner', 'outdoors', 'indoors', 'wind', 'breeze',
  'heat', 'cold', 'dust', 'smoke', 'clouds', 'waves', 'surf', 'tide', 'wave', 'stable', 'barn',
  'pasture', 'hills', 'mountains', 'valley', 'canyon', 'cave', 'tundra', 'savanna', 'savannah',
  'swamp', 'marsh', 'arctic', 'antarctic', 'underwater', 'cosmos', 'galaxy', 'void', 'wasteland',
]);

/** Ground and surfaces: "on the grass", "on the beach" set the scene like "in a field". */
export const GROUND_NOUNS: readonly string[] = Object.freeze([
  'ground', 'grass', 'lawn', 'beach', 'snow', 'sand', 'field', 'meadow', 'dirt', 'mud', 'shore',
  'water', 'ice', 'gravel', 'hillside', 'mountainside', 'riverbank', 'seashore', 'coast', 'savanna',
  'corner', 'street corner',
]);

/**
 * Large surfaces things stand on ("on a runway", "on the road"): a "with" phrase after them
 * describes the thing on them ("an airplane on a runway with the sun behind it").
 */
export const SURFACE_NOUNS: readonly string[] = Object.freeze([
  ...GROUND_NOUNS, 'road', 'street', 'highway', 'runway', 'sidewalk', 'pavement', 'track', 'tracks',
  'floor', 'carpet', 'rug', 'path', 'trail', 'bridge', 'deck', 'pier', 'dock', 'platform', 'stage',
  'roof', 'ceiling', 'wall', 'court', 'pitch', 'lot', 'parking lot', 'driveway', 'runway', 'lake',
  'river', 'sea', 'ocean', 'pond', 'sky', 'air',
]);

/** "In the middle of two trees" is between; "in the middle of the road" places in the middle. */
export const MIDDLE_PHRASES: readonly string[] = Object.freeze(['in the middle of', 'in the midst of', 'in the center of', 'in the centre of']);

/** Times of day and seasons: "at night", "in the morning", "during winter" are scene (`time`). */
export const TIME_NOUNS: readonly string[] = Object.freeze([
  'night', 'nighttime', 'night time', 'dusk', 'dawn', 'sunset', 'sunrise', 'noon', 'midnight',
  'twilight', 'daytime', 'day', 'morning', 'evening', 'afternoon', 'midday', 'daybreak', 'nightfall',
  'sundown', 'golden hour', 'blue hour', 'winter', 'summer', 'autumn', 'wintertime', 'summertime',
  'christmas', 'halloween', 'rush hour', 'dinner time', 'lunchtime',
]);

/** What people wear: "a woman in a red dress" describes her, it is not inside a dress. */
export const CLOTHING_NOUNS: readonly string[] = Object.freeze([
  'dress', 'suit', 'shirt', 't-shirt', 'tshirt', 'coat', 'jacket', 'costume', 'uniform', 'sweater',
  'hoodie', 'robe', 'gown', 'jeans', 'outfit', 'armor', 'armour', 'kimono', 'pajamas', 'pyjamas',
  'scarf', 'hat', 'cap', 'helmet', 'tuxedo', 'raincoat', 'overalls', 'apron', 'cloak', 'cape',
  'bikini', 'swimsuit', 'skirt', 'vest', 'sweatshirt', 'clothes', 'clothing', 'attire', 'gear',
  'boots', 'shoes', 'sneakers', 'gloves', 'glasses', 'sunglasses', 'goggles', 'mask', 'bowtie',
  'kilt', 'onesie', 'leggings', 'shorts', 'pants', 'trousers', 'sari', 'toga', 'tunic', 'blouse',
  'cardigan', 'parka', 'poncho', 'overcoat', 'trench coat', 'leather jacket', 'spacesuit',
  'space suit', 'wetsuit', 'tutu', 'veil', 'turban', 'crown', 'tiara', 'wig', 'disguise',
  'hard hat', 'top hat', 'bow tie', 'necktie', 'tie', 'collar', 'harness', 'saddle', 'vests',
  'beanie', 'bandana', 'headband', 'hijab', 'sombrero', 'beret', 'fedora', 'bonnet', 'mittens',
  'sandals', 'slippers', 'stockings', 'socks', 'uniforms', 'robes', 'overall', 'lab coat',
  'bathrobe', 'swimwear', 'tracksuit', 'jumpsuit', 'pinafore', 'corset', 'armband', 'tuxedos',
]);

/**
 * Partitive heads: "a piece of cake" is cake, "two slices of pizza" is pizza (the count stays).
 * The object is what follows "of".
 */
export const PARTITIVE_NOUNS: readonly string[] = Object.freeze([
  'piece', 'slice', 'bit', 'chunk', 'scoop', 'patch', 'strip', 'wedge', 'cube', 'drop', 'bite',
  'portion', 'serving', 'helping', 'dollop', 'handful', 'lump', 'splash', 'slab', 'hunk', 'sliver',
  'segment', 'sprig', 'stalk', 'blade', 'grain', 'speck', 'sheet', 'spoonful', 'cupful', 'bowlful',
  'plateful', 'mouthful', 'armful', 'fistful', 'wisp', 'puff', 'swirl', 'glob', 'blob', 'heap',
  'mound', 'cluster', 'clump', 'bouquet', 'bundle', 'series', 'swarm', 'school', 'pod', 'litter',
  'sea', 'array', 'assortment', 'variety', 'collection', 'selection', 'mix', 'kind', 'type', 'sort',
  'pat', 'knob', 'dab', 'loaf', 'bar', 'stick', 'clove', 'rasher', 'pinch', 'dash', 'sprinkle',
  'drizzle', 'squirt', 'nugget', 'morsel', 'crumb', 'flake', 'twist', 'tuft', 'strand', 'lock',
  'plume', 'load', 'skein', 'spool', 'fillet', 'layer', 'stack', 'pile',
]);

/**
 * Heads that measure only when indefinite: "a head of lettuce", but "the head of a statue"; "a
 * wheel of cheese", but "the wheel of a car".
 */
export const INDEFINITE_PARTITIVE_NOUNS: readonly string[] = Object.freeze([
  'head', 'ear', 'bolt', 'ball', 'roll', 'sheaf', 'sack', 'wheel', 'round', 'cut', 'block', 'brick',
  'square', 'triangle', 'disc', 'ring', 'spiral', 'tower', 'column', 'reel',
]);

/**
 * Container heads: "a bowl of fruit" is a bowl with fruit in it (the bowl is placed, the fruit is
 * inside it); "a plate of cookies" has the cookies on it.
 */
export const CONTAINER_NOUNS: readonly string[] = Object.freeze([
  'cup', 'glass', 'bottle', 'bowl', 'vase', 'basket', 'box', 'bag', 'jar', 'bucket', 'mug', 'pot',
  'can', 'carton', 'pitcher', 'jug', 'crate', 'barrel', 'sack', 'pan', 'teapot', 'kettle', 'cart',
  'wheelbarrow', 'tank', 'aquarium', 'cage', 'nest', 'pail', 'tin', 'flask', 'goblet', 'chalice',
  'tumbler', 'thermos', 'bin', 'trunk', 'chest', 'suitcase', 'backpack', 'purse', 'drawer', 'vial',
  'beaker', 'teacup', 'pouch', 'envelope', 'cauldron', 'kettle', 'boat', 'truck', 'wagon', 'cone',
  'shell', 'canister', 'packet', 'pack', 'tub', 'trough', 'urn', 'decanter', 'carafe', 'bag',
]);
/** Containers whose contents lie on them rather than inside. */
export const SURFACE_CONTAINERS: readonly string[] = Object.freeze([
  'plate', 'tray', 'platter', 'dish', 'shelf', 'rack', 'board', 'table', 'stand', 'pallet', 'saucer',
]);

/**
 * Nouns that frame the prompt ("a photo of", "an oil painting of") rather than name an object,
 * when they open a sentence; later ("a room with a painting of a corgi") they are objects.
 */
export const FRAME_NOUNS: readonly string[] = Object.freeze([
  'photo', 'photograph', 'picture', 'image', 'illustration', 'drawing', 'painting', 'render',
  'rendering', 'sketch', 'close-up', 'closeup', 'close up', 'shot', 'view', 'portrait', 'scene', 'snapshot',
  'watercolor', 'watercolour', 'artwork', 'poster', 'still', 'depiction', 'cartoon', 'model',
  'photography', 'selfie', 'mural', 'print', 'postcard', 'comic', 'diagram', 'icon', 'logo',
  'infographic', 'engraving', 'etching', 'woodcut', 'lithograph', 'collage', 'mosaic', 'tapestry',
  'pixel art', 'digital art', 'concept art', 'fan art', 'clip art', 'art', 'graphic',
  'caricature', 'doodle', 'frame', 'scan', 'x-ray', 'screenshot', 'screen shot', 'still life',
  'panorama', 'storyboard', 'blueprint', 'rendition', 'representation', 'graffiti', 'fresco',
  'stained glass', 'stained glass window', 'stained-glass window', 'embroidery', 'tattoo', 'sticker',
  'emoji', 'meme', 'film still', 'movie still', 'video still', 'book cover', 'album cover',
  'magazine cover', 'movie poster', 'woodblock print', 'linocut', 'silhouette', 'diorama',
  'claymation', 'relief', 'bas-relief', 'stencil', 'cross-stitch', 'needlepoint', 'quilt',
  'postage stamp', 'stamp', 'banner', 'billboard', 'video game', 'screen capture', 'frame grab',
]);

/**
 * Verbs by which a picture shows what the prompt then describes: "a mosaic depicting a dolphin
 * leaping over a boat" is a dolphin above a boat, in a mosaic.
 */
export const DEPICTION_VERBS: readonly string[] = Object.freeze([
  'showing', 'shows', 'depicting', 'depicts', 'portraying', 'portrays', 'featuring', 'features',
  'illustrating', 'illustrates', 'picturing', 'pictures', 'displaying', 'displays', 'representing',
  'represents', 'capturing', 'captures',
]);

/**
 * Heads of trailing style fragments ("comic book illustration.", "wide-angle view."): scene
 * (`style`) when such a fragment names nothing else.
 */
export const STYLE_HEADS: readonly string[] = Object.freeze([
  ...FRAME_NOUNS, 'lens', 'angle', 'perspective', 'composition', 'lighting', 'style', 'anime',
  'manga', 'oil', 'pastel', 'gouache', 'acrylic', 'charcoal', 'pencil', 'ink', 'crayon', 'camera',
  'aesthetic', 'resolution', 'quality', 'detail', 'details', 'bokeh', 'shading', 'texture',
  'wallpaper', '4k', '8k', 'hdr', 'render', 'cgi', 'photorealism', 'realism', 'impressionism',
  'expressionism', 'surrealism', 'cubism', 'minimalism', 'artstation', 'unreal engine', 'octane',
]);

/** Part nouns: "the inside of a subway train", "the top of the hill" place what follows "of". */
export const PART_NOUNS: readonly string[] = Object.freeze([
  'inside', 'interior', 'exterior', 'outside', 'top', 'bottom', 'side', 'front', 'back', 'middle',
  'center', 'centre', 'edge', 'corner', 'surface', 'rest',
]);

/**
 * Verbs that put what they act on somewhere: in "holding an apple over its head" the apple is over
 * the head, while in "escaping the sun under a chair" the one escaping is under the chair.
 */
export const PLACEMENT_VERBS: readonly string[] = Object.freeze([
  'spray', 'sprays', 'spraying', 'sprayed', 'pour', 'pours', 'pouring', 'poured', 'throw', 'throws',
  'throwing', 'threw', 'toss', 'tosses', 'tossing', 'tossed', 'drop', 'drops', 'dropping', 'dropped',
  'kick', 'kicks', 'kicking', 'kicked', 'sprinkle', 'sprinkles', 'sprinkling', 'sprinkled', 'spill',
  'spills', 'spilling', 'spilled', 'splash', 'splashes', 'splashing', 'splashed', 'blow', 'blows',
  'blowing', 'shine', 'shines', 'shining', 'shone', 'cast', 'casts', 'casting',
  'hold', 'holds', 'holding', 'held', 'rest', 'rests', 'resting', 'rested', 'put', 'puts', 'putting',
  'place', 'places', 'placing', 'lay', 'lays', 'laid', 'set', 'sets', 'carry', 'carries',
  'carrying', 'carried', 'raise', 'raises', 'raising', 'raised', 'lift', 'lifts', 'lifting',
  'lifted', 'balance', 'balances', 'balancing', 'balanced', 'hang', 'hangs', 'hanging', 'hung',
  'keep', 'keeps', 'keeping', 'kept', 'prop', 'props', 'propping', 'propped', 'clutch', 'clutches',
  'clutching', 'clutched', 'grip', 'grips', 'gripping', 'gripped', 'cradle', 'cradles', 'cradling',
  'cradled', 'dangle', 'dangles', 'dangling', 'dangled', 'wave', 'waves', 'waving', 'waved',
  'stack', 'stacks', 'stacking', 'stacked', 'drape', 'drapes', 'draping', 'draped', 'tuck',
  'tucks', 'tucking', 'tucked', 'hide', 'hides', 'hiding', 'hid', 'pin', 'pins', 'pinning',
  'pinned', 'press', 'presses', 'pressing', 'pressed', 'wrap', 'wraps', 'wrapping', 'wrapped',
  // "flying a kite over a beach": the kite is over it.
  'fly', 'flies', 'flying', 'flew',
]);

/** Possession verbs read like "with": "the cat has its paw on the keyboard". */
export const POSSESSION_VERBS: readonly string[] = Object.freeze(['has', 'have', 'had', 'having', 'got', 'gets']);

/**
 * Verbs that only present or locate ("is shown", "positioned"): they carry no detail of their own.
 */
export const PRESENTATION_VERBS: readonly string[] = Object.freeze([
  'is', 'are', 'was', 'were', 'be', 'been', 'being', "'s", "'re", 'am', 'placed', 'positioned',
  'located', 'situated', 'seen', 'shown', 'depicted', 'visible', 'pictured', 'featured', 'found',
  'there', 'appears', 'appear', 'appearing', 'can', 'could', 'should', 'will', 'would', 'may',
  'might', 'must', 'does', 'do', 'did', 'get', 'gets', 'seems', 'seem', 'also', 'arranged', 'set',
]);

/** Words that open a subordinate clause: "... as it sits next to a laptop". */
export const SUBORDINATORS: readonly string[] = Object.freeze([
  'while', 'as', 'when', 'whereas', 'because', 'where', 'since', 'until', 'whilst', 'although', 'though', 'so',
]);

/** Units of distance: "a few feet in front of" measures the relation, it names no object. */
export const MEASURE_NOUNS: readonly string[] = Object.freeze([
  'foot', 'feet', 'meter', 'meters', 'metre', 'metres', 'inch', 'inches', 'yard', 'yards', 'mile',
  'miles', 'step', 'steps', 'centimeter', 'centimeters', 'cm', 'km', 'kilometer', 'kilometers',
  'pace', 'paces', 'inches', 'mm', 'ft', 'm',
]);

/** Phrases that order a list along an axis: "from left to right: a cat, a dog and a rabbit". */
export const ORDER_PHRASES: Readonly<Record<string, { axis: 'x' | 'y' | 'z'; forward: boolean }>> = Object.freeze({
  'from left to right': { axis: 'x', forward: true },
  'left to right': { axis: 'x', forward: true },
  'from the left to the right': { axis: 'x', forward: true },
  'from right to left': { axis: 'x', forward: false },
  'right to left': { axis: 'x', forward: false },
  'from the right to the left': { axis: 'x', forward: false },
  'from top to bottom': { axis: 'y', forward: true },
  'top to bottom': { axis: 'y', forward: true },
  'from bottom to top': { axis: 'y', forward: false },
  'bottom to top': { axis: 'y', forward: false },
  'from front to back': { axis: 'z', forward: true },
  'front to back': { axis: 'z', forward: true },
  'from back to front': { axis: 'z', forward: false },
  'back to front': { axis: 'z', forward: false },
  'from foreground to background': { axis: 'z', forward: true },
  'from background to foreground': { axis: 'z', forward: false },
});

/**
 * People (and person-like beings): they sit, wait and walk, as animals do; "it" never names them.
 * Read by the last word of a noun ("police officer").
 */
export const PEOPLE_NOUNS: readonly string[] = Object.freeze([
  'person', 'people', 'man', 'woman', 'boy', 'girl', 'child', 'kid', 'baby', 'toddler', 'infant',
  'teenager', 'teen', 'adult', 'lady', 'gentleman', 'guy', 'gal', 'couple', 'family', 'crowd',
  'mother', 'father', 'mom', 'dad', 'parent', 'son', 'daughter', 'brother', 'sister', 'sibling',
  'grandmother', 'grandfather', 'grandma', 'grandpa', 'aunt', 'uncle', 'husband', 'wife', 'friend',
  'bride', 'groom', 'king', 'queen', 'prince', 'princess', 'knight', 'wizard', 'witch', 'monk',
  'nun', 'priest', 'god', 'goddess', 'angel', 'emperor', 'empress', 'pharaoh', 'samurai', 'ninja',
  'pirate', 'sailor', 'soldier', 'warrior', 'viking', 'cowboy', 'astronaut', 'chef', 'cook',
  'doctor', 'nurse', 'farmer', 'worker', 'builder', 'officer', 'policeman', 'policewoman', 'police',
  'fireman', 'firefighter', 'waiter', 'waitress', 'teacher', 'student', 'player', 'athlete',
  'skier', 'surfer', 'skateboarder', 'snowboarder', 'biker', 'cyclist', 'rider', 'runner',
  'jogger', 'swimmer', 'dancer', 'ballerina', 'musician', 'singer', 'guitarist', 'drummer',
  'pianist', 'violinist', 'artist', 'painter', 'photographer', 'tourist', 'traveler', 'traveller',
  'hiker', 'climber', 'fisherman', 'hunter', 'shepherd', 'vendor', 'customer', 'shopper',
  'passenger', 'driver', 'pilot', 'captain', 'batter', 'catcher', 'pitcher', 'umpire', 'referee',
  'goalie', 'coach', 'fan', 'spectator', 'audience', 'pedestrian', 'commuter', 'owner', 'clown',
  'magician', 'scientist', 'professor', 'detective', 'explorer', 'diver', 'gardener', 'baker',
  'butcher', 'barber', 'mechanic', 'carpenter', 'plumber', 'janitor', 'guard', 'security',
  'santa', 'elf', 'dwarf', 'giant', 'fairy', 'mermaid', 'vampire', 'zombie', 'ghost', 'alien',
  'superhero', 'hero', 'villain', 'robot', 'android', 'cyborg', 'snowman', 'scarecrow', 'statue',
  'mannequin', 'doll', 'teddy bear', 'puppet', 'toddler', 'youth', 'elder', 'lisa', 'anubis',
]);

/** Animals and creatures: beings that act, but "it" can name them. */
export const ANIMAL_NOUNS: readonly string[] = Object.freeze([
  'animal', 'pet', 'cat', 'kitten', 'kitty', 'dog', 'puppy', 'pup', 'horse', 'pony', 'foal',
  'donkey', 'mule', 'cow', 'bull', 'calf', 'cattle', 'ox', 'sheep', 'lamb', 'ram', 'goat', 'pig',
  'piglet', 'chicken', 'hen', 'rooster', 'chick', 'duck', 'duckling', 'goose', 'swan', 'turkey',
  'bird', 'parrot', 'owl', 'eagle', 'hawk', 'falcon', 'crow', 'raven', 'pigeon', 'dove', 'seagull',
  'gull', 'sparrow', 'robin', 'penguin', 'flamingo', 'peacock', 'heron', 'pelican', 'ostrich',
  'hummingbird', 'woodpecker', 'toucan', 'bear', 'panda', 'koala', 'lion', 'lioness', 'tiger',
  'leopard', 'cheetah', 'jaguar', 'panther', 'wolf', 'fox', 'coyote', 'deer', 'fawn', 'moose',
  'elk', 'reindeer', 'rabbit', 'bunny', 'hare', 'squirrel', 'chipmunk', 'mouse', 'rat', 'hamster',
  'guinea pig', 'hedgehog', 'raccoon', 'racoon', 'skunk', 'beaver', 'otter', 'badger', 'mole',
  'bat', 'monkey', 'ape', 'gorilla', 'chimpanzee', 'orangutan', 'lemur', 'sloth', 'elephant',
  'giraffe', 'zebra', 'rhino', 'rhinoceros', 'hippo', 'hippopotamus', 'camel', 'llama', 'alpaca',
  'kangaroo', 'wallaby', 'bison', 'buffalo', 'yak', 'antelope', 'gazelle', 'meerkat', 'armadillo',
  'frog', 'toad', 'turtle', 'tortoise', 'lizard', 'gecko', 'iguana', 'chameleon', 'snake', 'crocodile',
  'alligator', 'dinosaur', 't-rex', 'dragon', 'unicorn', 'griffin', 'phoenix', 'fish', 'goldfish',
  'shark', 'whale', 'dolphin', 'seal', 'walrus', 'octopus', 'squid', 'jellyfish', 'crab', 'lobster',
  'shrimp', 'starfish', 'snail', 'slug', 'worm', 'caterpillar', 'butterfly', 'moth', 'bee', 'wasp',
  'ant', 'ladybug', 'beetle', 'spider', 'dragonfly', 'grasshopper', 'cricket', 'corgi', 'poodle',
  'retriever', 'terrier', 'bulldog', 'dachshund', 'husky', 'labrador', 'beagle', 'shiba', 'collie',
  'shepherd', 'chihuahua', 'pug', 'sphinx', 'creature', 'monster', 'beast', 'cub', 'calves',
]);

/** People, animals and other beings that act. */
export const ANIMATE_NOUNS: readonly string[] = Object.freeze([...PEOPLE_NOUNS, ...ANIMAL_NOUNS]);

/** Vehicles: "a bicycle with a basket parked outside" is a parked bicycle. */
export const VEHICLE_NOUNS: readonly string[] = Object.freeze([
  'car', 'truck', 'bus', 'van', 'taxi', 'cab', 'bicycle', 'bike', 'motorcycle', 'motorbike', 'scooter',
  'moped', 'train', 'tram', 'trolley', 'boat', 'ship', 'yacht', 'sailboat', 'canoe', 'kayak', 'ferry',
  'airplane', 'plane', 'jet', 'helicopter', 'tractor', 'wagon', 'cart', 'carriage', 'limousine', 'limo',
  'jeep', 'suv', 'pickup', 'trailer', 'camper', 'rv', 'ambulance', 'firetruck', 'tank', 'bulldozer',
  'excavator', 'forklift', 'sled', 'sleigh', 'skateboard', 'wheelchair', 'stroller', 'pram', 'tricycle',
  'spaceship', 'rocket', 'submarine', 'vehicle', 'automobile', 'sedan', 'convertible', 'minivan', 'lorry',
]);

/**
 * What things do as well as beings: "a boy with a kite flying above the trees" is the kite flying.
 * A participle not in this list after "an animal with a thing" is what the animal does.
 */
export const THING_VERBS: readonly string[] = Object.freeze([
  'flying', 'floating', 'hanging', 'hung', 'burning', 'glowing', 'rising', 'setting', 'shining',
  'blowing', 'spinning', 'rolling', 'falling', 'dripping', 'growing', 'blooming', 'drifting',
  'hovering', 'flowing', 'flapping', 'fluttering', 'waving', 'sticking', 'poking', 'protruding',
  'dangling', 'swinging', 'trailing', 'streaming', 'billowing', 'flickering', 'smoking', 'steaming',
  'melting', 'leaking', 'attached', 'tied', 'strapped', 'mounted', 'pinned', 'taped', 'stuck',
  'painted', 'printed', 'written', 'drawn', 'stacked', 'piled', 'scattered', 'spread', 'placed',
  'propped', 'resting', 'leaning', 'lit', 'looming', 'towering', 'reflected', 'sparkling', 'shimmering',
  'bursting', 'exploding', 'spilling', 'pouring', 'draped', 'wrapped', 'balanced', 'displayed',
  'framed', 'parked', 'docked', 'moored', 'anchored',
]);
