import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyItem, classifyRequest, parseRetryAfter } from './bulk-classify.js';
import { backoffDelay } from '../delivery/backoff.js';

describe('the bulk classification table', () => {
  it('counts 2xx and 409 on create as delivered, 409 on index as a retry', () => {
    assert.equal(classifyItem('create', 201), 'delivered');
    assert.equal(classifyItem('index', 200), 'delivered');
    assert.equal(classifyItem('create', 409), 'duplicate');
    assert.equal(classifyItem('index', 409), 'retry');
  });

  it('dead-letters a 2xx item Elasticsearch kept in the failure store, delivers one with another failure_store', () => {
    assert.equal(classifyItem('create', 201, 'used'), 'dead-letter');
    assert.equal(classifyItem('index', 201, 'used'), 'dead-letter');
    assert.equal(classifyItem('create', 201, 'not_applicable_or_unknown'), 'delivered');
    assert.equal(classifyItem('create', 400, 'not_enabled'), 'dead-letter');
    assert.equal(classifyItem('create', 500, 'failed'), 'retry');
  });

  it('retries 429, 5xx and 401/403 items, dead-letters every other 4xx', () => {
    for (const s of [429, 500, 502, 503, 504, 401, 403])
      assert.equal(classifyItem('create', s), 'retry', String(s));
    for (const s of [400, 404, 405, 413, 422])
      assert.equal(classifyItem('create', s), 'dead-letter', String(s));
  });

  it('retries a 404 index_not_found_exception (a target that may not be auto-created), dead-letters other 404s', () => {
    assert.equal(classifyItem('create', 404, undefined, 'index_not_found_exception'), 'retry');
    assert.equal(classifyItem('index', 404, undefined, 'index_not_found_exception'), 'retry');
    assert.equal(classifyItem('create', 404, undefined, 'document_missing_exception'), 'dead-letter');
    assert.equal(classifyItem('create', 400, undefined, 'index_not_found_exception'), 'dead-letter');
  });

  it('retries items whose outcome is unknown: no status, status 0, or a status other than 2xx, 4xx, 5xx', () => {
    for (const s of [0, -1, 1, 100, 199, 302, 600, 999, Number.NaN, 201.5])
      assert.equal(classifyItem('create', s), 'retry', String(s));
  });

  it('retries failed requests, splits on 413, flags the ones an operator must fix', () => {
    assert.equal(classifyRequest(undefined), 'retry');
    assert.equal(classifyRequest(429), 'retry');
    assert.equal(classifyRequest(503), 'retry');
    assert.equal(classifyRequest(413), 'split');
    assert.equal(classifyRequest(401), 'retry-operator');
    assert.equal(classifyRequest(400), 'retry-operator');
  });

  it('reads Retry-After as seconds or a date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10_000);
  });

  it('backs off exponentially with full jitter, capped, with Retry-After as a floor', () => {
    const o = { initialDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffDelay(1, o, () => 0.999),
      99,
    );
    assert.equal(
      backoffDelay(3, o, () => 0.5),
      200,
    );
    assert.equal(
      backoffDelay(20, o, () => 0.999),
      999,
    );
    assert.equal(
      backoffDelay(1, o, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(1, o, () => 0, 3000),
      3000,
    );
  });
});
