/** Prompt sets the evaluator reads: VISOR's SR2D JSON records and image-folder naming. */
import type { RelationType } from '../parser/types';
import type { EvalPrompt } from './types';

/** One SR2D record (microsoft/VISOR text_spatial_rel_phrases.json). */
export interface Sr2dRecord {
  unique_id: number;
  num_objects: number;
  obj_1_attributes: string[];
  obj_2_attributes: string[] | null;
  rel_type: string | null;
  text: string;
}

/** SR2D's `rel_type` phrases (VISOR's relations) and the relation each one is. */
export const SR2D_RELATIONS: Readonly<Record<string, RelationType>> = {
  'to the left of': 'left_of',
  'to the right of': 'right_of',
  above: 'above',
  below: 'below',
};

/** Thrown for a malformed prompt set; the message names the file and the record. */
export class PromptSetError extends Error {
  override readonly name = 'PromptSetError';
}

/**
 * Parses SR2D JSON text into prompts. Objects and relation come from the record's fields (not
 * from parsing the text): the noun is the last entry of obj_N_attributes, rel_type maps to
 * left_of/right_of/above/below, and "and" or single-object records carry no relation.
 */
export function parseSr2d(text: string, file: string): EvalPrompt[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new PromptSetError(`${file}: not valid JSON (${(err as Error).message}); expected VISOR's SR2D array of records`);
  }
  if (!Array.isArray(data)) throw new PromptSetError(`${file}: expected a JSON array of SR2D records, got ${typeof data}`);
  return data.map((raw: unknown, i): EvalPrompt => {
    const where = `${file}: record ${i}`;
    if (typeof raw !== 'object' || raw === null) throw new PromptSetError(`${where} is not an object`);
    const r = raw as Partial<Sr2dRecord>;
    if (typeof r.unique_id !== 'number' && typeof r.unique_id !== 'string') throw new PromptSetError(`${where} has no unique_id`);
    if (typeof r.text !== 'string') throw new PromptSetError(`${where} (unique_id ${r.unique_id}) has no text`);
    const noun = (attrs: unknown, key: string): string => {
      if (!Array.isArray(attrs) || attrs.length === 0 || typeof attrs[attrs.length - 1] !== 'string') {
        throw new PromptSetError(`${where} (unique_id ${r.unique_id}): ${key} must be a non-empty array of strings`);
      }
      return attrs[attrs.length - 1] as string;
    };
    const objects = [{ id: 'obj_1', noun: noun(r.obj_1_attributes, 'obj_1_attributes'), count: 1 }];
    const relations: EvalPrompt['relations'] = [];
    if ((r.num_objects ?? 1) >= 2) {
      objects.push({ id: 'obj_2', noun: noun(r.obj_2_attributes, 'obj_2_attributes'), count: 1 });
      const rel = SR2D_RELATIONS[(r.rel_type ?? '').trim()];
      if (rel) relations.push({ subject: 'obj_1', relation: rel, object: 'obj_2' });
      else if (r.rel_type !== 'and') {
        throw new PromptSetError(`${where} (unique_id ${r.unique_id}): unknown rel_type ${JSON.stringify(r.rel_type)}`);
      }
    }
    return { id: String(r.unique_id), text: r.text, objects, relations };
  });
}

/** Splits a VISOR-style image name `{prompt_id}_{k}.png` into its parts; null for other names. */
export function parseImageName(name: string): { promptId: string; k: number } | null {
  const m = /^(.+)_(\d+)\.png$/i.exec(name);
  return m ? { promptId: m[1], k: Number(m[2]) } : null;
}
