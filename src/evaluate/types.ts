/** Plain records of the evaluation core. */
import type { Detection } from '../protocol/geometry';
import type { RelationType } from '../parser/types';

/** One object a prompt asks for, reduced to what evaluation needs. */
export interface EvalObject {
  /** Unique within the prompt (the parser's object id, or "obj_1"/"obj_2" for SR2D). */
  id: string;
  /** Singular head noun, as the prompt names it ("man", "teddy bear"). */
  noun: string;
  /** Required number of instances; null when the prompt does not say (counts as 1). */
  count: number | null;
}

/** One relation "subject relation object" between two objects of the same prompt. */
export interface EvalRelation {
  subject: string;
  relation: RelationType;
  object: string;
}

/** A prompt as the evaluation core sees it: stable id, text, objects and relations. */
export interface EvalPrompt {
  /** Stable id: SR2D unique_id, prompt-file line number, or a batch manifest prompt_id. */
  id: string;
  text: string;
  objects: EvalObject[];
  relations: EvalRelation[];
}

/** How detections are matched to prompt objects. */
export interface EvaluateOptions {
  /**
   * Maps a prompt noun to the detector's label, or null when the detector cannot know it.
   * Default: lower-cased noun with T2I-CompBench's girl/boy/man/woman -> person.
   */
  labelFor?: (noun: string) => string | null;
  /**
   * Detections count only with a score strictly above this (VISOR keeps `score > 0.1`, GenEval
   * `score > 0.3`). Default 0: the detector's own threshold decides. Upstream uses OWL-ViT 0.1
   * (VISOR), UniDet 0.5 (T2I-CompBench) and Mask2Former 0.3 (GenEval).
   */
  threshold?: number;
}

/** What was found for one prompt object. */
export interface ObjectEvaluation {
  id: string;
  noun: string;
  /** The detector label it was matched to; null when the detector cannot know this noun. */
  label: string | null;
  /** Positions in the image's detection list of this object's kept boxes, in the detector's order. */
  indices: number[];
  /** The same boxes. */
  detections: Detection[];
}

/** Two boxes a rule judged: positions in the image's detection list (subject's box, object's box). */
export type BoxPair = [subject: number, object: number];

/**
 * One relation judged by each benchmark's own rule. A rule's field is null when the benchmark
 * does not cover the relation or an object is missing.
 */
export interface RelationEvaluation extends EvalRelation {
  /**
   * The overall mark: VISOR's verdict for the four directions, T2I-CompBench's score of 1 for
   * next_to/near; 'unknown' when an object was not found or the detector cannot know it;
   * 'unscored' when no benchmark covers the relation.
   */
  status: 'satisfied' | 'violated' | 'unknown' | 'unscored';
  /** Whether both objects have at least one kept box. */
  bothFound: boolean;
  visor: boolean | null;
  t2iCompbench: number | null;
  geneval: boolean | null;
  /**
   * The boxes each verdict rests on. VISOR: the first pair that satisfies the relation (any pair
   * will do), null when none does. T2I-CompBench: the first box of each object, the only pair it
   * looks at. GenEval: the first of its counted pairs that fails, or the top pair when all hold.
   */
  pairs: { visor: BoxPair | null; t2iCompbench: BoxPair | null; geneval: BoxPair | null };
}

/** Image-level results; a benchmark's field is null when the prompt is outside its scope. */
export interface ImageEvaluation {
  objects: ObjectEvaluation[];
  relations: RelationEvaluation[];
  /** Nouns the detector has no label for (reported, never silently counted as missing). */
  unknownNouns: string[];
  visor: { bothDetected: boolean; correct: boolean } | null;
  t2iCompbench: { score: number } | null;
  geneval: { correct: boolean } | null;
}

/** VISOR aggregates in percent, as in the paper; null when no image was in scope. */
export interface VisorSummary {
  oa: number | null;
  cond: number | null;
  uncond: number | null;
  visor_1: number | null;
  visor_2: number | null;
  visor_3: number | null;
  visor_4: number | null;
  images: number;
  prompts: number;
}

/** Accuracy of one relation type over every relation of that type in the scored images. */
export interface RelationTypeSummary {
  relations: number;
  /** Relations whose two objects were both detected. */
  detected: number;
  /** Percent of relations satisfied by VISOR's rule (over all, VISOR_uncond style); null if not covered. */
  visor: number | null;
  /** Mean T2I-CompBench position score (0 when an object is missing); null if not covered. */
  t2iCompbench: number | null;
  /** Percent satisfied by GenEval's rule; null if not covered. */
  geneval: number | null;
}

/** The evaluation of a set of images, as `spright-lens evaluate --format json` prints it. */
export interface EvaluationSummary {
  visor: VisorSummary;
  t2i_compbench: { score: number | null; images: number };
  geneval: { score: number | null; images: number };
  per_relation: Partial<Record<RelationType, RelationTypeSummary>>;
}

/** One evaluated image, the input of `aggregate`. */
export interface EvaluatedImage {
  promptId: string;
  evaluation: ImageEvaluation;
}
