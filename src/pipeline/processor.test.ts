import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EcsDocument } from './document.types.js';
import { FileProcessor } from './processor.js';
import type { SourceRecord } from './record.types.js';
import type { FormatDefinition, ParseResult } from './stages.types.js';

const source = { inputId: 'in', path: '/logs/a.log', fingerprint: 'fp1' };
const rec = (text: string, offset: number): SourceRecord => ({
  source,
  offset,
  endOffset: offset + text.length + 1,
  text,
  line: offset + 1,
});

// A toy format: '#' lines are headers, 'boom' throws, 'bad' fails, anything else is an event.
const toy: FormatDefinition<string> = {
  name: 'toy',
  description: 'test format',
  framing: 'lines',
  detect: () => 1,
  createParser: () => ({
    parse(r): ParseResult<string> {
      if (r.text.startsWith('#')) return { kind: 'skip' };
      if (r.text === 'boom') throw new Error('kaboom');
      if (r.text === 'bad') return { kind: 'failure', code: 'toy.bad', reason: 'bad record' };
      return { kind: 'event', event: r.text };
    },
    snapshot: () => undefined,
    restore: () => undefined,
  }),
  normalize: (e): EcsDocument[] => [
    {
      '@timestamp': '2013-09-19T14:22:11.000Z',
      message: e,
      data_stream: { dataset: 'exchange.application' },
    },
  ],
};

describe('FileProcessor', () => {
  const ctx = { source, timezone: 'UTC', observerHostname: 'agent' };

  it('maps an event to a document with a deterministic id and its stream', () => {
    const p = new FileProcessor(toy, ctx, { enrichers: [(d) => void (d['labels'] = { enriched: 'yes' })] });
    const a = p.process(rec('hello', 10));
    const b = new FileProcessor(toy, ctx, { enrichers: [] }).process(rec('hello', 10));
    assert.equal(a.documents.length, 1);
    assert.equal(a.documents[0]?.stream, 'application');
    assert.equal(a.documents[0]?.op, 'create');
    assert.deepEqual(a.documents[0]?.doc['labels'], { enriched: 'yes' });
    assert.equal(a.documents[0]?.id, b.documents[0]?.id, 'same record, same id');
    assert.notEqual(
      a.documents[0]?.id,
      p.process(rec('hello', 11)).documents[0]?.id,
      'other offset, other id',
    );
  });

  it('skips header records without a document or a dead letter', () => {
    const r = new FileProcessor(toy, ctx, { enrichers: [] }).process(rec('#Fields: x', 0));
    assert.deepEqual(r, { documents: [] });
  });

  it('turns parse failures and parser exceptions into dead letters naming file and offset', () => {
    const p = new FileProcessor(toy, ctx, { enrichers: [], now: () => new Date('2020-01-01T00:00:00Z') });
    const bad = p.process(rec('bad', 42));
    assert.equal(bad.deadLetter?.code, 'toy.bad');
    assert.equal(bad.deadLetter?.offset, 42);
    assert.match(bad.deadLetter?.reason ?? '', /^\/logs\/a\.log:43:offset 42: bad record$/);
    const boom = p.process(rec('boom', 50));
    assert.equal(boom.deadLetter?.code, 'toy.internal_error');
    assert.match(boom.deadLetter?.reason ?? '', /kaboom/);
  });

  it('hands each document to the detector and ships its alerts after the document', () => {
    const seen: string[] = [];
    const p = new FileProcessor(toy, ctx, {
      enrichers: [],
      detector: {
        evaluate: (doc, id) => {
          seen.push(id);
          return [
            {
              id: 'alert-1',
              stream: 'alerts',
              op: 'index',
              doc: { '@timestamp': doc['@timestamp'], event: { kind: 'alert' } },
            },
          ];
        },
        flush: () => [],
        snapshot: () => undefined,
        restore: () => undefined,
      },
    });
    const r = p.process(rec('x', 0));
    assert.deepEqual(
      r.documents.map((d) => d.stream),
      ['application', 'alerts'],
    );
    assert.equal(seen[0], r.documents[0]?.id);
  });
});
