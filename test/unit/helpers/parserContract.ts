/** The record contract every parse must keep, shared by the parser tests. */
import * as assert from 'node:assert/strict';
import { RELATION_TYPES, type ParsedPrompt } from '../../../src/parser';

/** Checks the contract every parse must keep. */
export function assertContract(p: ParsedPrompt, text: string): void {
  assert.equal(p.text, text);
  const ids = new Set(p.objects.map((o) => o.id));
  assert.equal(ids.size, p.objects.length, 'object ids unique');
  const inside = (s: [number, number]): boolean => s[0] >= 0 && s[0] <= s[1] && s[1] <= text.length;
  for (const o of p.objects) {
    assert.ok(inside(o.span), `object span ${o.span} inside text`);
    assert.equal(o.phrase, text.slice(o.span[0], o.span[1]));
    assert.ok(o.noun.length > 0);
    assert.ok(o.count === null || (Number.isInteger(o.count) && o.count >= 0));
  }
  for (const r of p.relations) {
    assert.ok(ids.has(r.subject) && ids.has(r.object), 'relation ids exist');
    if (r.object2 !== undefined) assert.ok(ids.has(r.object2));
    assert.ok((RELATION_TYPES as readonly string[]).includes(r.relation));
    assert.ok(inside(r.span));
    assert.notEqual(r.subject, r.object);
  }
  for (const s of p.scene) {
    assert.ok(inside(s.span), `scene span ${s.span} inside text`);
    assert.equal(s.phrase, text.slice(s.span[0], s.span[1]));
  }
  for (const o of p.objects) {
    assert.ok(Array.isArray(o.placements) && Array.isArray(o.details));
    for (const d of o.details) assert.ok(d.length > 0 && text.includes(d), `detail "${d}" as written`);
  }
  for (const d of p.diagnostics) {
    assert.ok(inside(d.span) || d.code === 'truncated', `diagnostic span ${d.span} inside text`);
    assert.ok(d.message.length > 0);
    for (const i of d.relations ?? []) assert.ok(i >= 0 && i < p.relations.length);
  }
}
