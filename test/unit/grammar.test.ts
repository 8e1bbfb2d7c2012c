import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentWords, grammarIssues, missingContent, newGrammarIssues, type GrammarRule } from '../../src/generator/index';

const rules = (text: string): string[] => grammarIssues(text).map((g) => `${g.rule}: ${g.words}`);

test('a/an follows the next word\'s sound', () => {
  assert.deepEqual(rules('An cat sits on a umbrella.'), ['article: An cat', 'article: a umbrella']);
  assert.deepEqual(rules('A unicorn, an hour, a European city, an X-ray, an MRI scan, a UFO and an apple.'), []);
});

test('determiners agree with their noun: "a seat", "two seats"; quantity words are not articles', () => {
  assert.deepEqual(rules('Some frogs are on top of a seats.'), ['determiner-number: a seats']);
  assert.deepEqual(rules('There are two cat and one dogs.'), ['determiner-number: two cat', 'determiner-number: one dogs']);
  assert.deepEqual(rules('A few birds, a couple of cats, a pair of scissors, two red cats and a cup of coffee.'), []);
  assert.deepEqual(rules('Two sheep and a sheep.'), []);
});

test('the subject agrees with its verb; depth words between them are skipped', () => {
  assert.deepEqual(rules('The seats is on the left side.'), ['subject-verb: The seats is']);
  assert.deepEqual(rules('The white flowers appears at the bottom. The clothes is red.'), ['subject-verb: The white flowers appears', 'subject-verb: The clothes is']);
  assert.deepEqual(rules('The flowers appear at the bottom. The river in the background looks smaller than the frogs. The scissors are sharp.'), []);
  assert.deepEqual(rules('The frogs in the background looks small.'), ['subject-verb: The frogs in the background looks']);
});

test('no adjective or bare participle where a noun should be', () => {
  assert.deepEqual(rules('The white is at the top.'), ['noun-head: The white is']);
  assert.deepEqual(rules('A playing is next to an octopus.'), ['noun-head: A playing is']);
  assert.deepEqual(rules('The painting is at the top. The orange is on the left side. The building is tall.'), []);
});

test('words said twice in a row', () => {
  assert.deepEqual(rules('The cat in the background in the background looks small.'), ['repetition: in the background in the background']);
  assert.deepEqual(rules('The the cat. A cat, cat and dog.'), ['repetition: The the']);
});

test('quoted text is never checked', () => {
  assert.deepEqual(rules('A sign saying "a apples is here" hangs on a wall.'), []);
});

test('only issues the prompt does not already have count against a rewrite', () => {
  const prompt = 'a apple on a tables';
  assert.deepEqual(newGrammarIssues(prompt, 'A apple on a tables. The tables is larger than the apple.').map((g) => g.rule as GrammarRule), ['subject-verb']);
  assert.deepEqual(newGrammarIssues(prompt, 'A apple on a tables. The apple is small.'), []);
});

test('content words: nouns, verbs, adjectives, adverbs, numbers and negations by lemma, quotations verbatim', () => {
  const words = contentWords("Two frogs are not reading quickly; a sign saying 'plz conserve'.");
  assert.deepEqual(
    words.map((w) => `${w.kind}:${w.lemma}`),
    ['number:two', 'noun:frog', 'negation:not', 'verb:read', 'adverb:quick', 'noun:sign', 'noun:saying', "quote:'plz conserve'"],
  );
  // Inflection and capitals change nothing; a dropped word or an altered quotation does.
  assert.deepEqual(missingContent('frogs sitting on the seats', 'A frog sits on a seat.'), []);
  assert.deepEqual(
    missingContent('an oil painting of a cow, "Moo" written above', 'A cow. "moo" is written above it.').map((w) => w.text),
    ['oil', 'painting', '"Moo"'],
  );
});
