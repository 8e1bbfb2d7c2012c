/**
 * Typical real-world size classes (1 tiny .. 5 huge) for common nouns, mostly the COCO classes the
 * benchmarks use. The planner scales boxes by them when the prompt states no size, so "a cup next
 * to an elephant" does not draw two equal boxes, and the rewrite can state relative sizes that
 * match both the layout and common sense.
 */
const CLASSES: Record<number, string> = {
  1: 'spoon fork knife toothbrush remote phone key pen pencil ring coin egg cookie candle scissors banana apple orange donut carrot cup mug glass bottle book wallet butterfly bee insect ladybug strawberry lemon tie watch sock glove',
  2: 'cat bird rabbit frog chicken duck hat bag backpack handbag vase clock pot plate bowl teapot laptop keyboard ball kite frisbee skateboard racket pizza cake toaster plant flower balloon camera shoe fish turtle squirrel mouse hamster puppy kitten owl parrot pillow box basket helmet guitar sandwich',
  3: 'dog person man woman boy girl child baby chair bicycle hydrant meter suitcase umbrella sheep goat tv television monitor microwave sink toilet lamp sign skis snowboard surfboard oven bench deer pig penguin',
  4: 'horse cow bear zebra table desk couch sofa bed refrigerator fridge motorcycle piano tiger lion camel car wardrobe bookcase bookshelf door window fireplace',
  5: 'elephant giraffe truck bus train airplane plane boat ship house building tree tower mountain bridge castle church whale dinosaur lighthouse windmill skyscraper',
};

const SIZE = new Map<string, number>();
for (const [k, words] of Object.entries(CLASSES)) for (const w of words.split(' ')) SIZE.set(w, Number(k));

// Multi-word names whose last word would mislead ("teddy bear" is not a bear, "hot dog" not a dog).
const PHRASES: Record<string, number> = {
  'teddy bear': 2,
  'hot dog': 1,
  'cell phone': 1,
  'wine glass': 1,
  'hair drier': 1,
  'sports ball': 2,
  'tennis racket': 2,
  'baseball bat': 2,
  'baseball glove': 1,
  'potted plant': 2,
  'traffic light': 3,
  'stop sign': 3,
  'parking meter': 3,
  'fire hydrant': 3,
  'dining table': 4,
  'computer mouse': 1,
  'remote control': 1,
};

/** Typical size class of a noun, 1 (tiny) to 5 (huge); 3 when unknown. */
export function typicalSize(noun: string): number {
  const n = noun.toLowerCase();
  // The last word names the thing ("cruise ship"), also across a hyphen ("semi-truck").
  const last = n.split(' ').pop() ?? '';
  return PHRASES[n] ?? SIZE.get(n) ?? SIZE.get(last) ?? SIZE.get(last.split('-').pop() ?? '') ?? 3;
}

// Size words move the class: "big" one step, "huge" two ("a tiny boat" is smaller than a house).
const SIZE_WORDS: Record<string, number> = {
  big: 1, large: 1, tall: 1, oversized: 1, huge: 2, giant: 2, enormous: 2, massive: 2, gigantic: 2,
  small: -1, little: -1, short: -1, mini: -1, baby: -1, tiny: -2, miniature: -2,
};

/** Size class of a prompt object: its noun's typical size moved by size words ("big", "tiny"). */
export function sizeClass(o: { noun: string; attributes: readonly string[] }): number {
  let size = typicalSize(o.noun);
  for (const a of o.attributes) size += SIZE_WORDS[a] ?? 0;
  return Math.min(5, Math.max(1, size));
}
