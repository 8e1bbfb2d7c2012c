import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedResource } from '../../src/service/keyedResource';

test('KeyedResource keeps one resource per key, frees the old one before loading another, retries a failed load', async () => {
  const log: string[] = [];
  const res = new KeyedResource<string>((v) => log.push(`dispose ${v}`));
  const make = (v: string) => async () => {
    log.push(`create ${v}`);
    return v;
  };
  assert.equal(await res.get('a', make('A')), 'A');
  assert.equal(await res.get('a', make('A2')), 'A');
  assert.equal(await res.get('b', make('B')), 'B');
  assert.deepEqual(log, ['create A', 'dispose A', 'create B']);

  let attempts = 0;
  const failing = async (): Promise<string> => {
    attempts++;
    throw new Error('missing model');
  };
  await assert.rejects(res.get('c', failing), /missing model/);
  await assert.rejects(res.get('c', failing), /missing model/);
  assert.equal(attempts, 2);
  assert.equal(await res.get('c', make('C')), 'C');
});
