import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestSizeLimit } from './request-size-limit.js';

describe('request size limit', () => {
  it('halves below a 413 for good: answered requests never raise it', () => {
    const l = new RequestSizeLimit(100_000);
    assert.equal(l.refused(80_000, true), true);
    assert.equal(l.maxBytes, 40_000);
    assert.equal(l.isGuess, false);
    for (let i = 0; i < 500; i++) assert.equal(l.answered(40_000), false);
    assert.equal(l.maxBytes, 40_000);
    assert.equal(l.refused(90_000, true), false, 'a larger refused body changes nothing');
  });

  it('probes a limit guessed from lost connections upwards again, up to the configured size', () => {
    const l = new RequestSizeLimit(100_000);
    l.refused(80_000, false);
    assert.equal(l.maxBytes, 40_000);
    assert.equal(l.isGuess, true);
    for (let i = 0; i < 63; i++) assert.equal(l.answered(30_000), false);
    assert.equal(l.answered(30_000), true);
    assert.equal(l.maxBytes, 80_000);
    for (let i = 0; i < 64; i++) l.answered(5_000); // small answers say nothing about the limit
    assert.equal(l.maxBytes, 80_000);
    for (let i = 0; i < 64; i++) l.answered(70_000);
    assert.equal(l.maxBytes, 100_000);
    assert.equal(l.isGuess, false);
  });

  it('never guesses above a limit a 413 confirmed', () => {
    const l = new RequestSizeLimit(100_000);
    l.refused(60_000, true); // 30,000 for good
    l.refused(40_000, false); // guess 20,000
    for (let i = 0; i < 64 * 3; i++) l.answered(19_000);
    assert.equal(l.maxBytes, 30_000);
  });
});
