import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Entry } from './batch.js';
import { entryId, explicitBody, requestIndex } from './batch.js';
import { NdjsonBuffer } from './ndjson-buffer.js';

/** Entries written into one buffer: [op, target, implicit, id] each. */
function entries(...specs: ['create' | 'index', string, boolean, string][]): Entry[] {
  const nd = new NdjsonBuffer(1024, 1 << 20);
  return specs.map(([op, target, implicitIndex, id]) => {
    const start = nd.len;
    const meta = implicitIndex ? { _id: id } : { _index: target, _id: id };
    nd.write(`${JSON.stringify({ [op]: meta })}\n{"n":${JSON.stringify(id)}}\n`);
    return { op, target, implicitIndex, nd, start, end: nd.len, attempts: 0, onSettled: undefined };
  });
}

describe('the request index of a batch', () => {
  it('is the target of the entries without _index, none when every line names its own', () => {
    assert.equal(
      requestIndex(
        entries(['create', 'a', true, '1'], ['index', 'b', false, '2'], ['create', 'a', true, '3']),
      ),
      'a',
    );
    assert.equal(requestIndex(entries(['create', 'a', false, '1'], ['create', 'b', false, '2'])), undefined);
  });

  it('refuses entries without _index that go to different targets (one URL cannot serve both)', () => {
    assert.throws(
      () => requestIndex(entries(['create', 'a', true, '1'], ['create', 'b', true, '2'])),
      /holds documents for a and b without _index/,
    );
  });

  it('writes every action line with its index for the spool, the rest of the bytes unchanged', () => {
    const es = entries(
      ['create', 'logs-a', true, 'x1'],
      ['index', 'alerts', false, 'x2'],
      ['index', 'alerts', true, 'x3'],
    );
    assert.equal(
      explicitBody(es).toString('utf8'),
      '{"create":{"_index":"logs-a","_id":"x1"}}\n{"n":"x1"}\n' +
        '{"index":{"_index":"alerts","_id":"x2"}}\n{"n":"x2"}\n' +
        '{"index":{"_index":"alerts","_id":"x3"}}\n{"n":"x3"}\n',
    );
    assert.deepEqual(es.map(entryId), ['x1', 'x2', 'x3']);
  });
});
