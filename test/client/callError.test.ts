import test from 'ava';
import { FleetCallError, toCallError } from '../../src/client/callError.js';
import { HomeCache } from '../../src/client/homeCache.js';
import type { ResidencyError } from '../../src/errors.js';

// What pg throws for a server error: a DatabaseError with code and severity.
const serverError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'ERROR' });

test('a server error becomes a FleetCallError with its SQLSTATE, region and whether to retry', (t) => {
  const e = toCallError(
    serverError('40001', 'shared.identity: a concurrent write of the same key holds it; retry'),
    'gbr',
    'shared.upsert_identity',
  );
  t.true(e instanceof FleetCallError);
  t.like(e, { code: 'CALL', sqlstate: '40001', region: 'gbr', function: 'shared.upsert_identity', retryable: true });
  t.is(
    (e as Error).message,
    'region "gbr": shared.upsert_identity failed with SQLSTATE 40001: shared.identity: a concurrent write of the same key holds it; retry',
  );
  for (const [code, retryable] of [
    ['RS006', true],
    ['55P03', true],
    ['40P01', true],
    ['RS012', true],
    ['RS013', true],
    ['RS001', false],
    ['RS011', false],
    ['23505', false],
  ] as const)
    t.is((toCallError(serverError(code, 'x'), 'usa', 'f') as FleetCallError).retryable, retryable, code);
});

test("a value error's message, which may quote the caller's value, is withheld; the raw error stays the cause", (t) => {
  const raw = serverError('22P02', 'invalid input syntax for type uuid: "Jane Doe"');
  const e = toCallError(raw, 'aus', 'shared.get_identity') as FleetCallError;
  t.is(
    e.message,
    'region "aus": shared.get_identity failed with SQLSTATE 22P02: PostgreSQL refused a value (message withheld: it may quote the value)',
  );
  t.false(e.message.includes('Jane'));
  t.is(e.cause, raw);
});

test('a failure to reach the region is a CONNECTION error naming it', (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const e = toCallError(refused, 'aus', 'shared.get_identity') as ResidencyError;
  t.is(e.code, 'CONNECTION');
  t.is(e.message, 'region "aus": shared.get_identity could not reach the region (ECONNREFUSED); check that it is running');
  const ended = toCallError(new Error('Connection terminated unexpectedly'), 'usa', 'f') as ResidencyError;
  t.is(ended.message, 'region "usa": f could not reach the region (Connection terminated unexpectedly); check that it is running');
});

test('the home cache remembers keys per entity, forgets the oldest beyond its capacity, and forgets erased keys', (t) => {
  const homes = new HomeCache(2);
  homes.set('shared.identity', 'a', 'usa');
  homes.set('shared.account', 'a', 'gbr');
  t.is(homes.get('shared.identity', 'a'), 'usa');
  t.is(homes.get('shared.account', 'a'), 'gbr');
  homes.set('shared.identity', 'b', 'aus');
  t.is(homes.get('shared.identity', 'a'), undefined, 'the oldest went first');
  homes.set('shared.identity', 'b', 'gbr');
  t.is(homes.get('shared.identity', 'b'), 'gbr', 'rehomed');
  homes.delete('shared.identity', 'b');
  t.is(homes.get('shared.identity', 'b'), undefined);
  homes.set('shared.identity', new Date('2024-01-01T00:00:00Z'), 'usa');
  t.is(homes.get('shared.identity', new Date('2024-01-01T00:00:00Z')), 'usa', 'a date key by value');
});
