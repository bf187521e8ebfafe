// The test server behaves like Elasticsearch where casguard depends on it, checked with the real client.
/* eslint-disable @typescript-eslint/no-explicit-any -- bulk responses are inspected loosely here */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, errors } from '@elastic/elasticsearch';
import { applyFilterPath, startEsTestServer } from './es-test-server.js';
import type { EsTestServer } from './es-test-server.js';
import { raw } from './test-helpers.js';

const json8 = 'application/vnd.elasticsearch+json; compatible-with=8';
const ndjson8 = 'application/vnd.elasticsearch+x-ndjson; compatible-with=8';

function client8(url: string, extra: Record<string, unknown> = {}): Client {
  return new Client({
    node: url,
    maxRetries: 0,
    requestTimeout: 2000,
    headers: { accept: json8, 'content-type': json8 },
    ...extra,
  });
}

function ndjson(items: { op?: string; index: string; id: string; doc: unknown }[]): string {
  return items
    .map((i) => `{"${i.op ?? 'create'}":{"_index":"${i.index}","_id":"${i.id}"}}\n${JSON.stringify(i.doc)}\n`)
    .join('');
}

async function bulk(c: Client, body: string, filterPath?: string): Promise<any> {
  return c.bulk(
    // A pre-serialized NDJSON string is sent as is (dependencies.md 3.5); the types do not allow it yet.
    { operations: body as never, ...(filterPath ? { filter_path: filterPath } : {}) },
    { headers: { 'content-type': ndjson8, accept: json8 } },
  );
}

describe('es test server', () => {
  let es: EsTestServer;
  before(async () => {
    es = await startEsTestServer({ version: '8.15.0' });
  });
  after(async () => {
    await es.stop();
  });

  it('answers GET / with its version and the product header, so the client product check passes', async () => {
    const info = await client8(es.url).info();
    assert.equal(info.version.number, '8.15.0');
  });

  it('rejects the 9.x client default headers on an 8.x server like Elasticsearch does', async () => {
    const c = new Client({ node: es.url, maxRetries: 0 });
    await assert.rejects(c.info(), (e: unknown) => {
      assert.ok(e instanceof errors.ResponseError, 'e instanceof errors.ResponseError');
      assert.equal(e.statusCode, 400);
      assert.match(JSON.stringify(e.body), /media_type_header_exception/);
      assert.match(JSON.stringify(e.body), /Accept version must be either version 8 or 7, but found 9/);
      return true;
    });
  });

  it('rejects a versioned Content-Type with an unversioned Accept', async () => {
    const c = new Client({
      node: es.url,
      maxRetries: 0,
      headers: { accept: 'application/json', 'content-type': json8 },
    });
    await assert.rejects(
      c.indices.create({ index: 'hdr-test', mappings: {} }),
      /media_type_header_exception/,
    );
  });

  it('accepts the 9.x client default headers on a 9.x server', async () => {
    const es9 = await startEsTestServer({ version: '9.1.0' });
    try {
      const info = await new Client({ node: es9.url, maxRetries: 0 }).info();
      assert.equal(info.version.number, '9.1.0');
      // and 8 headers too (REST compatibility with the previous major)
      assert.equal((await client8(es9.url).info()).version.number, '9.1.0');
    } finally {
      await es9.stop();
    }
  });

  it('stores create items once and answers 409 for a repeated id, with gzip bodies', async () => {
    const c = client8(es.url, { compression: true });
    const body = ndjson([
      { index: 'plain-a', id: '1', doc: { '@timestamp': '2013-09-19T14:02:12Z', a: 1 } },
      { index: 'plain-a', id: '2', doc: { '@timestamp': '2013-09-19T14:02:13Z', a: 2 } },
    ]);
    const r1 = await bulk(c, body);
    assert.equal(r1.errors, false);
    assert.deepEqual(
      r1.items.map((i: any) => i.create.status),
      [201, 201],
    );
    const r2 = await bulk(c, body, 'errors,items.*.status,items.*.error.type');
    assert.deepEqual(r2, {
      errors: true,
      items: [
        { create: { status: 409, error: { type: 'version_conflict_engine_exception' } } },
        { create: { status: 409, error: { type: 'version_conflict_engine_exception' } } },
      ],
    });
    assert.equal(es.docs('plain-a').size, 2);
    assert.ok(es.stats.gzipRequests >= 2, 'es.stats.gzipRequests >= 2');
  });

  it('creates a data stream from the built-in logs template, accepts only create, and its default pipeline sets a missing @timestamp', async () => {
    const c = client8(es.url);
    const r = await bulk(
      c,
      ndjson([
        { index: 'logs-x.y-default', id: 'a', doc: { '@timestamp': '2013-09-19T14:02:12Z' } },
        { op: 'index', index: 'logs-x.y-default', id: 'b', doc: { '@timestamp': '2013-09-19T14:02:12Z' } },
        { index: 'logs-x.y-default', id: 'c', doc: { message: 'no time' } },
      ]),
    );
    assert.equal(r.items[0].create.status, 201);
    assert.match(r.items[0].create._index, /^\.ds-logs-x\.y-default-\d{4}\.\d{2}\.\d{2}-000001$/);
    assert.equal(r.items[1].index.status, 400);
    assert.match(r.items[1].index.error.reason, /op_type of create/);
    // logs@default-pipeline: "If '@timestamp' is missing, set it with the ingest timestamp".
    assert.equal(r.items[2].create.status, 201);
    assert.equal(es.indices.get('logs-x.y-default')?.dataStream, true);
    assert.equal(es.indices.get('logs-x.y-default')?.template, 'logs');
  });

  it('refuses a document without @timestamp in a data stream whose template has no pipeline', async () => {
    const c = client8(es.url);
    await c.indices.putIndexTemplate({
      name: 'nopipe',
      index_patterns: ['nopipe-*'],
      priority: 10,
      data_stream: {},
    });
    const r = await bulk(c, ndjson([{ index: 'nopipe-a', id: 'c', doc: { message: 'no time' } }]));
    assert.equal(r.items[0].create.status, 400);
    assert.equal(r.items[0].create.error.type, 'document_parsing_exception');
    assert.match(r.items[0].create.error.reason, /data stream timestamp field \[@timestamp\] is missing/);
  });

  it('rejects documents whose field types contradict the installed template', async () => {
    const c = client8(es.url);
    await c.cluster.putComponentTemplate({
      name: 't1@mappings',
      template: {
        mappings: {
          properties: {
            n: { type: 'long' },
            ip: { type: 'ip' },
            o: { properties: { k: { type: 'keyword' } } },
          },
        },
      },
    });
    await c.indices.putIndexTemplate({
      name: 't1',
      index_patterns: ['logs-t1-*'],
      priority: 150,
      data_stream: {},
      composed_of: ['t1@mappings'],
    });
    const r = await bulk(
      c,
      ndjson([
        {
          index: 'logs-t1-default',
          id: '1',
          doc: { '@timestamp': '2013-09-19T14:02:12Z', n: '110', ip: '10.0.0.1', o: { k: 'x' } },
        },
        { index: 'logs-t1-default', id: '2', doc: { '@timestamp': '2013-09-19T14:02:12Z', n: 'abc' } },
        { index: 'logs-t1-default', id: '3', doc: { '@timestamp': '2013-09-19T14:02:12Z', ip: 'not-an-ip' } },
        { index: 'logs-t1-default', id: '4', doc: { '@timestamp': '2013-09-19T14:02:12Z', o: 'scalar' } },
        { index: 'logs-t1-default', id: '5', doc: { '@timestamp': '2013-09-19T14:02:12Z', dyn: 5 } },
        { index: 'logs-t1-default', id: '6', doc: { '@timestamp': '2013-09-19T14:02:12Z', dyn: { x: 1 } } },
      ]),
    );
    assert.deepEqual(
      r.items.map((i: any) => [i.create.status, i.create.error?.type]),
      [
        [201, undefined],
        [400, 'document_parsing_exception'],
        [400, 'document_parsing_exception'],
        [400, 'document_parsing_exception'],
        [201, undefined],
        [400, 'document_parsing_exception'],
      ],
    );
  });

  it('refuses an index template with the same priority and overlapping patterns as another', async () => {
    const c = client8(es.url);
    await assert.rejects(
      c.indices.putIndexTemplate({
        name: 'clash',
        index_patterns: ['logs-a-*'],
        priority: 100,
        data_stream: {},
      }),
      /same priority \[100\]/,
    );
  });

  it('serves ILM policies, component and index templates, data streams and privileges', async () => {
    const c = client8(es.url);
    await c.ilm.putLifecycle({ name: 'p1', policy: { phases: { hot: { actions: {} } } } });
    const got = await c.ilm.getLifecycle({ name: 'p1' });
    assert.ok(got.p1, 'got.p1');
    await assert.rejects(c.ilm.getLifecycle({ name: 'nope' }), (e: any) => e.statusCode === 404);
    await c.indices.createDataStream({ name: 'logs-t1-ns2' });
    const ds = await c.indices.getDataStream({ name: 'logs-t1-ns2' });
    assert.equal(ds.data_streams[0]?.name, 'logs-t1-ns2');
    await assert.rejects(
      c.indices.createDataStream({ name: 'logs-t1-ns2' }),
      /resource_already_exists_exception/,
    );
    const ct = await c.cluster.getComponentTemplate({ name: 't1@mappings' });
    assert.equal(ct.component_templates[0]?.name, 't1@mappings');
    const it = await c.indices.getIndexTemplate({ name: 't1' });
    assert.equal(it.index_templates[0]?.index_template.priority, 150);
    const priv = await c.security.hasPrivileges({
      cluster: ['monitor'],
      index: [{ names: ['logs-*'], privileges: ['create_doc'] }],
    });
    assert.equal(priv.has_all_requested, true);
  });

  it('injects 400 per id deterministically, 503 every Nth request, resets and a stall', async () => {
    const f = await startEsTestServer({ seed: 7 });
    try {
      const c = client8(f.url, { requestTimeout: 500 });
      const items = Array.from({ length: 200 }, (_, i) => ({
        index: 'plain-f',
        id: `d${i}`,
        doc: { '@timestamp': '2013-09-19T14:02:12Z' },
      }));
      f.setFaults({ item400Rate: 0.1 });
      const r1 = await bulk(c, ndjson(items));
      const bad1 = r1.items.filter((i: any) => i.create.status === 400).map((i: any) => i.create._id);
      assert.ok(bad1.length > 5 && bad1.length < 40, `about 10% rejected, got ${bad1.length}`);
      const r2 = await bulk(c, ndjson(items));
      const bad2 = r2.items.filter((i: any) => i.create.status === 400).map((i: any) => i.create._id);
      assert.deepEqual(bad2, bad1);

      f.setFaults({ request503Every: 2, retryAfterSeconds: 3 });
      await bulk(c, ndjson(items.slice(0, 1)));
      await assert.rejects(bulk(c, ndjson(items.slice(0, 1))), (e: any) => {
        assert.equal(e.statusCode, 503);
        assert.equal(e.headers['retry-after'], '3');
        return true;
      });

      f.setFaults({ resetBeforeRate: 1 });
      await assert.rejects(
        bulk(c, ndjson(items.slice(0, 1))),
        (e: unknown) => e instanceof errors.ConnectionError,
      );

      f.setFaults({ stall: true });
      await assert.rejects(
        bulk(c, ndjson(items.slice(0, 1))),
        (e: unknown) => e instanceof errors.TimeoutError,
      );
      f.setFaults({});

      await f.down();
      await assert.rejects(c.info(), (e: unknown) => e instanceof errors.ConnectionError);
      await f.up();
      assert.equal((await client8(f.url).info()).version.number, '8.15.0');
    } finally {
      await f.stop();
    }
  });

  it('requires credentials when configured', async () => {
    const a = await startEsTestServer({ auth: { apiKey: 'c2VjcmV0OmtleQ==' } });
    try {
      await assert.rejects(client8(a.url).info(), (e: any) => e.statusCode === 401);
      const ok = client8(a.url, { auth: { apiKey: 'c2VjcmV0OmtleQ==' } });
      assert.equal((await ok.info()).version.number, '8.15.0');
    } finally {
      await a.stop();
    }
  });

  it('refuses an endpoint it does not model (GET _mapping/field) instead of answering it as another', async () => {
    await client8(es.url).indices.create({
      index: 'fieldmap',
      mappings: { properties: { a: { type: 'keyword' } } },
    });
    for (const path of ['/fieldmap/_mapping/field/a', '/_mapping/field/a']) {
      const r = await raw(es.url, 'GET', path);
      assert.equal(r.status, 400, path);
      assert.match(r.json.error, /^no handler found for uri \[[^\]]+\] and method \[GET\]/, path);
    }
    assert.equal((await raw(es.url, 'GET', '/fieldmap/_mapping')).status, 200);
  });

  it('filters responses with filter_path', () => {
    const v = { errors: true, took: 3, items: [{ create: { _id: 'a', status: 201, result: 'created' } }] };
    assert.deepEqual(applyFilterPath(v, 'errors,items.*.status,items.*._id'), {
      errors: true,
      items: [{ create: { _id: 'a', status: 201 } }],
    });
  });
});
