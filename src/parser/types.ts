/** The parser's public record: plain data, character offsets into `text`. */

/** Half-open character range [start, end) into the prompt text (UTF-16 code units). */
export type Span = [start: number, end: number];

/** Every relation the parser can state. `left_of(A, B)` means A is to the left of B. */
export const RELATION_TYPES = [
  'left_of',
  'right_of',
  'above',
  'below',
  'on',
  'under',
  'in_front_of',
  'behind',
  'next_to',
  'near',
  'far_from',
  'inside',
  'outside',
  'between',
  'around',
  'larger_than',
  'smaller_than',
] as const;
export type RelationType = (typeof RELATION_TYPES)[number];

/** One object the prompt mentions (all its instances, when counted). */
export interface PromptObject {
  /** Unique within the prompt; stable for the same text. */
  id: string;
  /** Singular head noun; multi-word names kept whole ("teddy bear", "traffic light"). */
  noun: string;
  /** The noun phrase as written. */
  phrase: string;
  /** Number of instances, from numerals, plurals, "a pair of"...; null when unknown. */
  count: number | null;
  /** Colours, materials, sizes and other modifiers, lower-cased. */
  attributes: string[];
  /**
   * Where the prompt puts this object in the picture on its own ("on the left", "in the
   * background"), in the order written; empty when it says nothing of the kind.
   */
  placements: Placement[];
  /**
   * What the prompt says the object does, wears or holds, as written ("reading a newspaper",
   * "wearing aviator goggles, white t-shirt and leather jacket"); never boxes of their own
   * unless the same words also name an object.
   */
  details: string[];
  span: Span;
}

/** A place in the picture stated for one object without naming another. */
export type Placement = 'left' | 'right' | 'top' | 'bottom' | 'center' | 'foreground' | 'background';

/**
 * What the prompt says that is not an object to place: how the picture is made (`medium`:
 * "a photo of", "an oil painting of"; `style`: "impressionistic painting", "in the style of
 * Van Gogh"), where it is set (`setting`: "in a field", "in a kitchen"), when (`time`: "at
 * night"), and quoted text (`text`: the words to be written, quotes included).
 */
export type SceneKind = 'medium' | 'style' | 'setting' | 'time' | 'text';

export interface SceneElement {
  kind: SceneKind;
  /** The words as written ("an oil painting of", "in a field", "at night", '"hello world"'). */
  phrase: string;
  span: Span;
}

/** One stated spatial relation between objects (ids into `objects`). */
export interface PromptRelation {
  subject: string;
  relation: RelationType;
  object: string;
  /** Second reference object, for `between` only. */
  object2?: string;
  /** The relation words as written ("to the left of", "atop"). */
  phrase: string;
  span: Span;
}

/**
 * Stable diagnostic codes. `contradiction`, `vague` and `unknown-relation` are the prompt problems;
 * `truncated` (information) says only the first MAX_ANALYZED_CHARS characters were analysed;
 * `internal-error` (information) reports a parser bug on the prompt instead of throwing.
 */
export type DiagnosticCode = 'contradiction' | 'vague' | 'unknown-relation' | 'truncated' | 'internal-error';
export type DiagnosticSeverity = 'error' | 'warning' | 'information';

export interface PromptDiagnostic {
  code: DiagnosticCode;
  severity: DiagnosticSeverity;
  message: string;
  span: Span;
  /** For `contradiction`: indices into `relations` of the clashing set. */
  relations?: number[];
}

/** What the parser returns for one prompt. */
export interface ParsedPrompt {
  text: string;
  objects: PromptObject[];
  relations: PromptRelation[];
  /** Medium, style, setting, time of day and quoted text: scene, never objects. */
  scene: SceneElement[];
  diagnostics: PromptDiagnostic[];
}
