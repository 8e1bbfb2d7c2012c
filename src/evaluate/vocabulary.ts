/** Detector vocabularies and the mapping from prompt nouns to the names a detector knows (shared by the detectors, evaluation and the callers that word "not in its vocabulary"). */

/** The 80 COCO 2017 detection classes in the order of the model outputs (NanoDet, VISOR's SR2D). */
export const COCO_LABELS: readonly string[] = Object.freeze([
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
  'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
  'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
]);

/**
 * Everyday names -> COCO class. Only unambiguous cases: "bat" (animal or club) or "glass" (cup or
 * wine glass) stay unmapped, so the panel says "not in the detector's vocabulary" rather than
 * guessing.
 */
const SYNONYMS: Readonly<Record<string, string>> = {
  // people (T2I-CompBench maps girl/boy/man/woman to person too)
  man: 'person', woman: 'person', girl: 'person', boy: 'person', child: 'person', kid: 'person',
  people: 'person', lady: 'person', gentleman: 'person', guy: 'person', baby: 'person', toddler: 'person',
  human: 'person', pedestrian: 'person', teenager: 'person', adult: 'person', player: 'person',
  // vehicles
  bike: 'bicycle', motorbike: 'motorcycle', scooter: 'motorcycle', aeroplane: 'airplane', plane: 'airplane',
  airliner: 'airplane', jet: 'airplane', automobile: 'car', taxi: 'car', lorry: 'truck', 'pickup truck': 'truck',
  ship: 'boat', sailboat: 'boat', yacht: 'boat', canoe: 'boat', kayak: 'boat', 'school bus': 'bus',
  locomotive: 'train',
  // street
  'traffic signal': 'traffic light', stoplight: 'traffic light', hydrant: 'fire hydrant', 'park bench': 'bench',
  // animals
  puppy: 'dog', kitten: 'cat', kitty: 'cat', pony: 'horse', foal: 'horse', lamb: 'sheep', calf: 'cow',
  cattle: 'cow', 'polar bear': 'bear', 'teddy': 'teddy bear', 'stuffed animal': 'teddy bear',
  parrot: 'bird', pigeon: 'bird', duck: 'bird', seagull: 'bird', sparrow: 'bird', eagle: 'bird', owl: 'bird',
  // accessories and sports
  rucksack: 'backpack', purse: 'handbag', necktie: 'tie', luggage: 'suitcase', parasol: 'umbrella',
  ski: 'skis', ball: 'sports ball', football: 'sports ball', 'soccer ball': 'sports ball', basketball: 'sports ball',
  'tennis ball': 'sports ball', 'baseball mitt': 'baseball glove', racket: 'tennis racket', racquet: 'tennis racket',
  'tennis racquet': 'tennis racket', 'skate board': 'skateboard', 'surf board': 'surfboard',
  // kitchen and food
  mug: 'cup', teacup: 'cup', 'coffee cup': 'cup', wineglass: 'wine glass', doughnut: 'donut', hotdog: 'hot dog',
  cupcake: 'cake', fridge: 'refrigerator', 'microwave oven': 'microwave', stove: 'oven',
  // furniture and household
  sofa: 'couch', settee: 'couch', armchair: 'chair', table: 'dining table', 'kitchen table': 'dining table',
  desk: 'dining table', plant: 'potted plant', houseplant: 'potted plant', 'house plant': 'potted plant',
  'flower pot': 'potted plant', television: 'tv', 'television set': 'tv', 'tv set': 'tv', tele: 'tv',
  laptop: 'laptop', 'laptop computer': 'laptop', 'notebook computer': 'laptop', 'computer mouse': 'mouse',
  'remote control': 'remote', 'tv remote': 'remote', 'computer keyboard': 'keyboard',
  phone: 'cell phone', 'mobile phone': 'cell phone', cellphone: 'cell phone', smartphone: 'cell phone',
  'hair dryer': 'hair drier', hairdryer: 'hair drier', 'blow dryer': 'hair drier', 'tooth brush': 'toothbrush',
  'alarm clock': 'clock', 'wall clock': 'clock', 'flower vase': 'vase', loo: 'toilet',
};

const IRREGULAR_PLURALS: Readonly<Record<string, string>> = {
  people: 'people', men: 'man', women: 'woman', children: 'child', mice: 'mouse', knives: 'knife',
  geese: 'goose', teeth: 'tooth', feet: 'foot', calves: 'calf', sheep: 'sheep', cattle: 'cattle',
};

/** Lower-case, single spaces, no leading article or trailing punctuation. */
function normalize(noun: string): string {
  return noun
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(?:a|an|the|some|two|three|four|several|many)\s+/, '');
}

/** Singular candidates for the last word of `phrase` (the phrase itself comes first). */
function singularCandidates(phrase: string): string[] {
  const words = phrase.split(' ');
  const last = words[words.length - 1]!;
  const head = words.slice(0, -1);
  const forms = new Set<string>([last]);
  const irregular = IRREGULAR_PLURALS[last];
  if (irregular) forms.add(irregular);
  if (/[^aeiou]ies$/.test(last)) forms.add(last.slice(0, -3) + 'y');
  if (/ves$/.test(last)) {
    forms.add(last.slice(0, -3) + 'f');
    forms.add(last.slice(0, -3) + 'fe');
  }
  if (/(?:ch|sh|x|z|ss|s|o)es$/.test(last)) forms.add(last.slice(0, -2));
  if (/[^su]s$/.test(last)) forms.add(last.slice(0, -1));
  return [...forms].map((w) => [...head, w].join(' '));
}

/**
 * Maps a prompt noun ("sofa", "two women", "red cars") to the label a detector uses for it.
 *
 * With a closed vocabulary (COCO for the embedded detector) this tries the noun, its singular, known
 * synonyms, then shorter endings of a multi-word phrase ("wooden dining table" -> "dining table");
 * returns null when the detector cannot know the object, so callers can report it as such instead
 * of counting it as missing. With `null` (open vocabulary, OWL-ViT) the normalized noun is returned
 * as the query, or null when nothing is left of it.
 */
export function mapToDetectorLabel(noun: string, vocabulary: readonly string[] | null): string | null {
  const phrase = normalize(noun);
  if (!phrase) return null;
  if (vocabulary === null) return phrase;
  const known = new Set(vocabulary);
  const words = phrase.split(' ');
  // Longest ending first, so "teddy bear" wins over "bear" and "hot dog" over "dog".
  for (let start = 0; start < words.length; start++) {
    const ending = words.slice(start).join(' ');
    for (const candidate of singularCandidates(ending)) {
      if (known.has(candidate)) return candidate;
      const synonym = SYNONYMS[candidate];
      if (synonym !== undefined && known.has(synonym)) return synonym;
    }
  }
  return null;
}
