/**
 * The JSON Schema of saved layout files (`<prompt file>.layout.json`, see layoutFile.ts): the one
 * definition the CLI and the extension validate with, and the source of the published copy
 * `schemas/layout.schema.json` that VS Code validates the files with in the editor
 * (`npm run gen:schema` writes it; a unit test fails when it is stale). Draft-07, the draft VS
 * Code's JSON language service and most validators understand fully.
 */

/** What a layout file's `$schema` says; the extension serves the schema under this URI. */
export const LAYOUT_SCHEMA_ID = 'spright-lens://schemas/layout-1.json';

/** The layout file format version this code reads and writes. */
export const LAYOUT_FILE_VERSION = 1;

/** Canvas sides a saved layout may have, in pixels (the planner's own limits, and then some). */
export const LAYOUT_CANVAS_MIN = 16;
export const LAYOUT_CANVAS_MAX = 4096;

const canvasSide = { type: 'integer', minimum: LAYOUT_CANVAS_MIN, maximum: LAYOUT_CANVAS_MAX } as const;

/** The schema, as plain JSON data. */
export const LAYOUT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: LAYOUT_SCHEMA_ID,
  title: 'SPRIGHT Lens saved layouts',
  description:
    'Layouts drawn in the SPRIGHT Lens preview panel for the prompts of one prompt file, saved beside it as <prompt file>.layout.json. Each entry is keyed by the prompt text it was drawn for (and the line it was on), so a prompt whose text changed is reported as stale instead of being rendered with boxes drawn for other words.',
  type: 'object',
  required: ['version', 'layouts'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', description: 'This schema: ' + LAYOUT_SCHEMA_ID },
    version: { const: LAYOUT_FILE_VERSION, description: 'Format version.' },
    layouts: {
      type: 'array',
      description: 'One entry per prompt with a drawn layout, in line order.',
      items: {
        type: 'object',
        required: ['line', 'prompt', 'canvas', 'boxes'],
        additionalProperties: false,
        properties: {
          line: { type: 'integer', minimum: 1, description: 'The 1-based line the prompt was on when the layout was saved (tells identical prompts apart and finds a prompt whose text changed).' },
          prompt: { type: 'string', minLength: 1, description: 'The prompt text the layout was drawn for, exactly as on its line (without a trailing # comment).' },
          canvas: {
            type: 'object',
            required: ['width', 'height'],
            additionalProperties: false,
            description: 'The canvas the boxes are drawn on, in pixels. Renders of another size scale the boxes with it.',
            properties: { width: canvasSide, height: canvasSide },
          },
          boxes: {
            type: 'array',
            description: 'One box per object instance, in pixels from the top-left corner of the canvas.',
            items: {
              type: 'object',
              required: ['id', 'object', 'x', 'y', 'w', 'h'],
              additionalProperties: false,
              properties: {
                id: { type: 'string', minLength: 1, description: 'The box: the object id, plus #k for instance k of a counted object ("cat#2").' },
                object: { type: 'string', minLength: 1, description: "The prompt object the box holds (the parser's object id, e.g. \"cat\")." },
                x: { type: 'integer', minimum: 0, description: 'Left edge.' },
                y: { type: 'integer', minimum: 0, description: 'Top edge.' },
                w: { type: 'integer', minimum: 1, description: 'Width.' },
                h: { type: 'integer', minimum: 1, description: 'Height.' },
              },
            },
          },
        },
      },
    },
  },
} as const;
