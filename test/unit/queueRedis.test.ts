/** The queue's Redis connection: URL parsing and redaction, and the probe's one-line errors against a real redis-server. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQueueUrl, QueueUrlError, redactUrl, scrub } from '../../src/queue/url';
import { probeRedis, QueueConnectionError } from '../../src/queue/redis';
import { freePort, RedisServer, redisMissing } from './helpers/redis';

test('queue URL: host, port, database, credentials and TLS', () => {
  const a = parseQueueUrl('redis://gpu-box:6380/3');
  assert.deepEqual(a.redis, { host: 'gpu-box', port: 6380, db: 3 });
  assert.equal(a.display, 'redis://gpu-box:6380/3');
  const b = parseQueueUrl('redis://:s%40cret@10.0.0.2');
  assert.deepEqual(b.redis, { host: '10.0.0.2', port: 6379, db: 0, password: 's@cret' });
  assert.equal(b.display, 'redis://:***@10.0.0.2:6379/0');
  const c = parseQueueUrl('rediss://render:pw@queue.example.org:6390/1');
  assert.deepEqual(c.redis, { host: 'queue.example.org', port: 6390, db: 1, username: 'render', password: 'pw', tls: { servername: 'queue.example.org' } });
  assert.equal(c.display, 'rediss://render:***@queue.example.org:6390/1');
  const d = parseQueueUrl('redis://127.0.0.1:7000', { SPRIGHT_QUEUE_PASSWORD: 'from-env' });
  assert.equal(d.redis.password, 'from-env');
  assert.equal(d.display, 'redis://:***@127.0.0.1:7000/0');
  assert.equal(parseQueueUrl('redis://[::1]:7000/2').display, 'redis://[::1]:7000/2');
});

test('queue URL: bad values are one line that never shows the password', () => {
  const cases: Array<[string, RegExp]> = [
    ['http://:hunter2@host', /scheme must be redis or rediss, not 'http'/],
    ['redis://:hunter2@host:99999', /not a URL/],
    ['redis://:hunter2@:6379', /not a URL|no host/],
    ['redis://:hunter2@host:0', /bad port '0'/],
    ['redis://:hunter2@host/abc', /database number/],
    ['redis://:hunter2@host/0?queue=x', /no query/],
    ['not a url hunter2', /not a URL/],
  ];
  for (const [text, why] of cases) {
    assert.throws(
      () => parseQueueUrl(text),
      (err: Error) => err instanceof QueueUrlError && why.test(err.message) && !err.message.includes('hunter2') && !err.message.includes('\n'),
      text,
    );
  }
  assert.equal(redactUrl('connect to redis://user:pw@h:1 and rediss://:x@y'), 'connect to redis://user:***@h:1 and rediss://:***@y');
  assert.equal(scrub('auth pw failed for redis://:pw@h', parseQueueUrl('redis://:pw@h')), 'auth *** failed for redis://:***@h');
});

let server: RedisServer | undefined;
let locked: RedisServer | undefined;
before(async () => {
  if (redisMissing()) return;
  server = await RedisServer.start();
  locked = await RedisServer.start({ password: 'correct horse' });
});
after(async () => {
  await server?.stop();
  await locked?.stop();
});

test('probe: a running server answers; the right password is accepted', { skip: redisMissing() }, async () => {
  await probeRedis(parseQueueUrl(server!.url()));
  await probeRedis(parseQueueUrl(locked!.url()));
});

test('probe: unreachable, wrong password, no password and bad database are one clear line each', { skip: redisMissing() }, async () => {
  const closed = await freePort();
  const cases: Array<[string, RegExp]> = [
    [`redis://127.0.0.1:${closed}/0`, new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${closed}/0: connection refused`)],
    [locked!.url(0, 'wrong horse'), /refused the credentials \(wrong password or user\)/],
    [locked!.url(0, null).replace(/:[^:@/]*@/, ''), /requires a password/],
    [server!.url(999), /no such database number/],
  ];
  for (const [url, why] of cases) {
    const target = parseQueueUrl(url);
    await assert.rejects(probeRedis(target), (err: Error) => {
      assert.ok(err instanceof QueueConnectionError, `${url}: ${err.message}`);
      assert.match(err.message, why);
      assert.doesNotMatch(err.message, /wrong horse|correct horse/);
      assert.equal(err.message.includes('\n'), false);
      return true;
    });
  }
});
