import test from 'ava';
import { ident, identifierProblem, literal, qualified } from '../../src/sql/quote.js';

test('ident always quotes and doubles embedded quotes', (t) => {
  t.is(ident('usa'), '"usa"');
  t.is(ident('we"ird'), '"we""ird"');
  t.is(ident('Upper Case'), '"Upper Case"');
  t.is(ident('a.b'), '"a.b"');
});

test('qualified quotes each part and never splits on a dot', (t) => {
  t.is(qualified('a.b', 'c'), '"a.b"."c"');
  t.is(qualified('shared', 'identity_details'), '"shared"."identity_details"');
  t.throws(() => qualified(), { message: 'qualified() needs at least one part' });
});

test('literal doubles single quotes and keeps backslashes', (t) => {
  t.is(literal("it's"), "'it''s'");
  t.is(literal('C:\\path'), "'C:\\path'");
  t.is(literal(54310), "'54310'");
  t.throws(() => literal('a\0b'), { message: 'a SQL literal cannot contain a NUL byte' });
});

test('names that cannot be identifiers are refused with the reason', (t) => {
  t.is(identifierProblem(''), 'must not be empty');
  t.is(identifierProblem('a\0b'), 'must not contain a NUL byte');
  t.is(identifierProblem('a\nb'), 'must not contain control characters (newline, tab, ...)');
  t.is(identifierProblem('x'.repeat(63)), undefined);
  t.is(identifierProblem('x'.repeat(64)), 'is 64 bytes long; PostgreSQL identifiers are at most 63 bytes');
  // bytes, not characters: 32 two-byte letters are 64 bytes
  t.is(identifierProblem('é'.repeat(32)), 'is 64 bytes long; PostgreSQL identifiers are at most 63 bytes');
  t.throws(() => ident('x'.repeat(64)), { message: /at most 63 bytes/ });
});
