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
   * Minimum detection score; 0 (default) trusts the detector's own threshold. Upstream uses
   * OWL-ViT 0.1 (VISOR), UniDet 0.5 (T2I-CompBench) and Mask2Former 0.3 (GenEval).
   */
  threshold?: number;
}

/** What was found for one prompt object. */
export interface ObjectEvaluation {
  id: string;
  noun: string;
  /** The detector label it was matched to; null when the detector cannot know this noun. */
  label: string | null;
  /** Matching detections, highest score first. */
  detections: Detection[];
}

/**
 * One relation judged by each benchmark's rule on the highest-scoring box of each object.
 * A rule's field is null when the benchmark does not cover the relation or an object is missing.
 */
export interface RelationEvaluation extends EvalRelation {
  /** 'unknown': an object was not found or the detector cannot know it. */
  status: 'satisfied' | 'violated' | 'unknown' | 'unscored';
  /** The boxes the rules used (VISOR's and T2I-CompBench's pick: the top-scoring detection). */
  subjectBox: Detection | null;
  objectBox: Detection | null;
  visor: boolean | null;
  t2iCompbench: number | null;
  geneval: boolean | null;
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
