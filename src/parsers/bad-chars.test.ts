import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BAD_LINE_CHARS, BAD_TEXT_CHARS } from './bad-chars.js';

/** The definition, unit by unit: C0 controls but the allowed ones, DEL, U+FFFD. */
function bad(unit: number, allowed: readonly number[]): boolean {
  return (unit < 0x20 && !allowed.includes(unit)) || unit === 0x7f || unit === 0xfffd;
}

describe('the characters a text record must not hold', () => {
  for (const [name, re, allowed] of [
    ['one-line records (IIS)', BAD_LINE_CHARS, [0x09]],
    ['records spanning lines (mailbox log, HttpProxy)', BAD_TEXT_CHARS, [0x09, 0x0a, 0x0d]],
  ] as const) {
    it(`${name}: exactly the bad UTF-16 units, each alone and inside a line`, () => {
      const wrong: string[] = [];
      for (let u = 0; u <= 0xffff; u++) {
        const ch = String.fromCharCode(u);
        const expected = bad(u, allowed);
        if (re.test(ch) !== expected || re.test(`2014-03-10 00:00:00 a${ch}b`) !== expected) {
          wrong.push(u.toString(16));
        }
      }
      assert.deepEqual(wrong, []);
    });
  }

  it('a lone surrogate is no reason to refuse a record (it is not U+FFFD)', () => {
    assert.equal(BAD_LINE_CHARS.test('a\ud800b'), false);
    assert.equal(BAD_TEXT_CHARS.test('a\udfffb'), false);
  });
});
