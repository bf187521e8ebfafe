// The read and update APIs a tool or a test uses to read back what was stored and to change it safely:
// _doc (index/create/get/delete), _update (partial doc, doc_as_upsert, upsert), optimistic concurrency with
// if_seq_no/if_primary_term (409 version_conflict_engine_exception), _seq_no/_primary_term/_version in every
// answer, _search, _count, _refresh.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEsTestServer } from './es-test-server.js';
import type { EsTestServer } from './es-test-server.js';
import { assertError, bulk, client8, ndjson, raw, rejectsWith } from './test-helpers.js';

describe('documents: read, update, concurrency, search', () => {
  let es: EsTestServer;
  before(async () => {
    es = await startEsTestServer({ version: '8.15.0' });
    await raw(es.url, 'PUT', '/alerts', {
      mappings: {
        properties: {
          '@timestamp': { type: 'date' },
          rule: { type: 'keyword' },
          count: { type: 'long' },
          hosts: { type: 'keyword' },
          message: { type: 'text' },
          agents: { type: 'object' },
        },
      },
    });
  });
  after(async () => {
    await es.stop();
  });

  it('indexes, gets and deletes a document with _seq_no, _primary_term and _version', async () => {
    const c = client8(es.url);
    const r1 = await c.index({ index: 'alerts', id: 'a1', document: { rule: 'storm', count: 1 } });
    assert.deepEqual([r1.result, r1._version, r1._seq_no, r1._primary_term], ['created', 1, 0, 1]);
    const r2 = await c.index({ index: 'alerts', id: 'a1', document: { rule: 'storm', count: 2 } });
    assert.deepEqual([r2.result, r2._version, r2._seq_no], ['updated', 2, 1]);
    const g = await c.get({ index: 'alerts', id: 'a1' });
    assert.deepEqual(
      [g.found, g._version, g._seq_no, g._primary_term, g._source],
      [true, 2, 1, 1, { rule: 'storm', count: 2 }],
    );
    const missing = await raw(es.url, 'GET', '/alerts/_doc/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { _index: 'alerts', _id: 'nope', found: false });
    assertError(
      await raw(es.url, 'GET', '/no-index/_doc/1'),
      404,
      'index_not_found_exception',
      /no such index \[no-index\]/,
    );
    const d = await c.delete({ index: 'alerts', id: 'a1' });
    assert.deepEqual([d.result, d._version, d._seq_no], ['deleted', 3, 2]);
    const again = await c.index({ index: 'alerts', id: 'a1', document: { rule: 'storm', count: 9 } });
    assert.deepEqual([again.result, again._version], ['created', 4], 'the version survives a delete');
    const nf = await raw(es.url, 'DELETE', '/alerts/_doc/never');
    assert.equal(nf.status, 404);
    assert.equal(nf.json.result, 'not_found');
  });

  it('answers 409 on a create of an existing id and on a stale if_seq_no/if_primary_term', async () => {
    const c = client8(es.url);
    await c.index({ index: 'alerts', id: 'cas', document: { rule: 'r', count: 1 } });
    await rejectsWith(
      c.create({ index: 'alerts', id: 'cas', document: { rule: 'r' } }),
      409,
      'version_conflict_engine_exception',
      /\[cas\]: version conflict, document already exists \(current version \[1\]\)/,
    );
    const op = await raw(es.url, 'PUT', '/alerts/_doc/cas?op_type=create', { rule: 'r' });
    assertError(op, 409, 'version_conflict_engine_exception');
    const g = await c.get({ index: 'alerts', id: 'cas' });
    const ok = await c.index({
      index: 'alerts',
      id: 'cas',
      document: { rule: 'r', count: 2 },
      if_seq_no: g._seq_no!,
      if_primary_term: g._primary_term!,
    });
    assert.equal(ok.result, 'updated');
    const stale = await raw(es.url, 'PUT', `/alerts/_doc/cas?if_seq_no=${g._seq_no}&if_primary_term=1`, {
      rule: 'r',
      count: 3,
    });
    assertError(
      stale,
      409,
      'version_conflict_engine_exception',
      new RegExp(
        `required seqNo \\[${g._seq_no}\\], primary term \\[1\\]\\. current document has seqNo \\[${ok._seq_no}\\] and primary term \\[1\\]`,
      ),
    );
    assert.equal(stale.json.error.index, 'alerts');
    const gone = await raw(es.url, 'PUT', '/alerts/_doc/ghost?if_seq_no=0&if_primary_term=1', { rule: 'r' });
    assertError(gone, 409, 'version_conflict_engine_exception', /but no document was found/);
    const invalid = await raw(es.url, 'PUT', '/alerts/_create/x?if_seq_no=0&if_primary_term=1', {
      rule: 'r',
    });
    assertError(
      invalid,
      400,
      'action_request_validation_exception',
      /create operations do not support compare and set/,
    );
  });

  it('updates with a partial doc merged recursively, detects no-ops, upserts, and refuses scripts', async () => {
    const c = client8(es.url);
    await c.index({
      index: 'alerts',
      id: 'u1',
      document: { rule: 'r', count: 1, hosts: ['cas01'], agents: { a: { n: 1 }, b: { n: 2 } } },
    });
    const u = await c.update({
      index: 'alerts',
      id: 'u1',
      doc: { count: 2, hosts: ['cas02'], agents: { a: { n: 5 } } },
    });
    assert.equal(u.result, 'updated');
    assert.equal(u._version, 2);
    const g = await c.get({ index: 'alerts', id: 'u1' });
    assert.deepEqual(g._source, {
      rule: 'r',
      count: 2,
      hosts: ['cas02'],
      agents: { a: { n: 5 }, b: { n: 2 } },
    });
    const noop = await c.update({ index: 'alerts', id: 'u1', doc: { count: 2 } });
    assert.equal(noop.result, 'noop');
    assert.equal(noop._version, 2);
    const up = await c.update({
      index: 'alerts',
      id: 'u2',
      doc: { rule: 'new', count: 1 },
      doc_as_upsert: true,
    });
    assert.equal(up.result, 'created');
    const up2 = await c.update({
      index: 'alerts',
      id: 'u3',
      doc: { count: 7 },
      upsert: { rule: 'seed', count: 1 },
    });
    assert.equal(up2.result, 'created');
    assert.deepEqual((await c.get({ index: 'alerts', id: 'u3' }))._source, { rule: 'seed', count: 1 });
    await rejectsWith(
      c.update({ index: 'alerts', id: 'absent', doc: { count: 1 } }),
      404,
      'document_missing_exception',
      /\[absent\]: document missing/,
    );
    const s = await raw(es.url, 'POST', '/alerts/_update/u1', { script: { source: 'ctx._source.count++' } });
    assertError(s, 400, 'illegal_argument_exception', /does not run Painless/);
    const bad = await raw(es.url, 'POST', '/alerts/_update/u1', { doc: { count: 'many' } });
    assertError(bad, 400, 'document_parsing_exception', /failed to parse field \[count\] of type \[long\]/);
    const cas = await raw(es.url, 'POST', '/alerts/_update/u1?if_seq_no=0&if_primary_term=1', {
      doc: { count: 3 },
    });
    assertError(cas, 409, 'version_conflict_engine_exception');
  });

  it('runs update, index with CAS and delete items in a bulk request', async () => {
    const c = client8(es.url);
    const seed = await c.index({ index: 'alerts', id: 'b1', document: { rule: 'r', count: 1 } });
    const r = await bulk(
      c,
      ndjson([
        {
          op: 'update',
          index: 'alerts',
          id: 'b1',
          doc: { doc: { count: 2 } },
          meta: { if_seq_no: seed._seq_no, if_primary_term: 1 },
        },
        {
          op: 'update',
          index: 'alerts',
          id: 'b1',
          doc: { doc: { count: 3 } },
          meta: { if_seq_no: seed._seq_no, if_primary_term: 1 },
        },
        { op: 'update', index: 'alerts', id: 'b2', doc: { doc: { rule: 'x' }, doc_as_upsert: true } },
        { op: 'delete', index: 'alerts', id: 'b2' },
        { op: 'delete', index: 'alerts', id: 'b2' },
      ]),
    );
    const items = r.items.map(
      (i: Record<string, { status: number; result?: string; _seq_no?: number }>) => Object.values(i)[0]!,
    );
    assert.deepEqual(
      items.map((i: { status: number }) => i.status),
      [200, 409, 201, 200, 404],
    );
    assert.equal(items[4].result, 'not_found');
    assert.equal(typeof items[0]._seq_no, 'number');
  });

  it('searches with match_all, term, terms, bool, range, sort, from and size, and counts', async () => {
    const c = client8(es.url);
    await c.indices.create({
      index: 'events',
      mappings: {
        properties: {
          '@timestamp': { type: 'date' },
          host: { type: 'keyword' },
          n: { type: 'long' },
          message: { type: 'text' },
        },
      },
    });
    const docs = Array.from({ length: 12 }, (_, i) => ({
      op: 'index',
      index: 'events',
      id: `e${i}`,
      doc: {
        '@timestamp': new Date(Date.UTC(2013, 8, 19, 14, 0, i)).toISOString(),
        host: i % 2 ? 'cas01' : 'cas02',
        n: i,
        message: `Provision failed ${i}`,
      },
    }));
    await bulk(c, ndjson(docs));
    await c.indices.refresh({ index: 'events' });
    const all = await c.search({
      index: 'events',
      query: { match_all: {} },
      size: 5,
      sort: [{ n: { order: 'desc' } }],
    });
    assert.deepEqual(all.hits.total, { value: 12, relation: 'eq' });
    assert.deepEqual(
      all.hits.hits.map((h) => h._id),
      ['e11', 'e10', 'e9', 'e8', 'e7'],
    );
    assert.deepEqual(all.hits.hits[0]!.sort, [11]);
    const page = await c.search({ index: 'events', sort: ['n'], from: 10, size: 5 });
    assert.deepEqual(
      page.hits.hits.map((h) => h._id),
      ['e10', 'e11'],
    );
    const term = await c.search({ index: 'events', query: { term: { host: 'cas01' } } });
    assert.equal((term.hits.total as { value: number }).value, 6);
    const b = await c.search({
      index: 'events',
      query: {
        bool: {
          filter: [
            { terms: { host: ['cas01'] } },
            { range: { '@timestamp': { gte: '2013-09-19T14:00:05Z', lt: '2013-09-19T14:00:09Z' } } },
          ],
          must_not: [{ term: { n: 7 } }],
        },
      },
      sort: [{ '@timestamp': 'asc' }],
      seq_no_primary_term: true,
    });
    assert.deepEqual(
      b.hits.hits.map((h) => h._id),
      ['e5'],
    );
    assert.equal(typeof b.hits.hits[0]!._seq_no, 'number');
    const text = await c.search({ index: 'events', query: { match: { message: 'PROVISION' } } });
    assert.equal((text.hits.total as { value: number }).value, 12);
    const n = await c.count({ index: 'events', query: { range: { n: { gte: 10 } } } });
    assert.equal(n.count, 2);
    assertError(
      await raw(es.url, 'POST', '/events/_search', { query: { wildcard: { host: 'cas*' } } }),
      400,
      'parsing_exception',
      /unknown query \[wildcard\]/,
    );
    const sortText = await raw(es.url, 'POST', '/events/_search', { sort: ['message'] });
    assertError(
      sortText,
      400,
      'search_phase_execution_exception',
      /Text fields are not optimised/,
      'illegal_argument_exception',
    );
    const sortNone = await raw(es.url, 'POST', '/events/_search', { sort: ['nothing'] });
    assertError(
      sortNone,
      400,
      'search_phase_execution_exception',
      /No mapping found for \[nothing\] in order to sort on/,
      'query_shard_exception',
    );
    assertError(await raw(es.url, 'POST', '/missing-idx/_search', {}), 404, 'index_not_found_exception');
    const wild = await raw(es.url, 'POST', '/missing-*/_search', {});
    assert.equal(wild.status, 200);
    assert.equal(wild.json.hits.total.value, 0);
  });

  it('searches a data stream across its backing indices', async () => {
    const c = client8(es.url);
    await bulk(
      c,
      ndjson([
        {
          index: 'logs-s-default',
          id: 's1',
          doc: { '@timestamp': '2013-09-19T14:00:00Z', host: { name: 'cas01' } },
        },
      ]),
    );
    await raw(es.url, 'POST', '/logs-s-default/_rollover');
    await bulk(
      c,
      ndjson([
        {
          index: 'logs-s-default',
          id: 's2',
          doc: { '@timestamp': '2013-09-19T14:00:01Z', host: { name: 'cas01' } },
        },
      ]),
    );
    const r = await c.search({
      index: 'logs-s-default',
      query: { term: { 'host.name': 'cas01' } },
      sort: [{ '@timestamp': 'asc' }],
    });
    assert.deepEqual(
      r.hits.hits.map((h) => h._index.replace(/\d{4}\.\d{2}\.\d{2}/, 'DATE')),
      ['.ds-logs-s-default-DATE-000001', '.ds-logs-s-default-DATE-000002'],
    );
    const refreshed = await raw(es.url, 'POST', '/logs-s-default/_refresh');
    assert.deepEqual(refreshed.json._shards, { total: 4, successful: 2, failed: 0 });
  });
});
