import { backoffMs } from '../src/backoff.js';
import { isPermanentError, PermanentError } from '../src/index.js';

describe('isPermanentError', () => {
  test.each([
    ['a PermanentError', new PermanentError('lead_unknown', 'x'), true],
    ['a zod error', Object.assign(new Error('bad'), { name: 'ZodError' }), true],
    ['a unique violation (a race between replicas)', Object.assign(new Error('dup'), { code: '23505' }), false],
    ['an invalid text representation', Object.assign(new Error('bad uuid'), { code: '22P02' }), true],
    ['a connection failure', Object.assign(new Error('down'), { code: 'ECONNREFUSED' }), false],
    ['a serialization failure', Object.assign(new Error('retry me'), { code: '40001' }), false],
    ['an admin shutdown', Object.assign(new Error('shutdown'), { code: '57P01' }), false],
    ['a plain error', new Error('who knows'), false],
    ['a string', 'boom', false],
  ])('given %s, then permanent is %s', (_name, err, expected) => {
    expect(isPermanentError(err)).toBe(expected);
  });
});

describe('backoffMs', () => {
  test('given growing attempts, then the wait grows but never passes the cap', () => {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const ceiling = Math.min(1_000, 50 * 2 ** (attempt - 1));
      const wait = backoffMs(attempt, 50, 1_000);
      expect(wait).toBeGreaterThanOrEqual(ceiling / 2);
      expect(wait).toBeLessThanOrEqual(ceiling);
    }
  });
});
