// Data streams as Elasticsearch keeps them: dated backing indices by generation, rollover that resolves the
// template again, GET _data_stream in Elasticsearch's shape, `_id` unique per backing index only, the rules on
// writes to a stream and to its backing indices, auto-creation and allow_auto_create.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEsTestServer } from './es-test-server.js';
import type { EsTestServer } from './es-test-server.js';
import { assertError, bulk, client8, ndjson, raw } from './test-helpers.js';

const ts = '2013-09-19T14:02:12Z';

async function template(
  es: EsTestServer,
  extra: Record<string, unknown> = {},
  mapping: Record<string, unknown> = { n: { type: 'long' } },
): Promise<void> {
  const a = await raw(es.url, 'PUT', '/_index_template/app', {
    index_patterns: ['app-*'],
    data_stream: {},
    priority: 10,
    template: { mappings: { properties: mapping }, settings: { 'index.lifecycle.name': 'app-policy' } },
    _meta: { owner: 'tests' },
    ...extra,
  });
  assert.equal(a.status, 200, a.text);
}

describe('data streams, backing indices and rollover', () => {
  it('names backing indices .ds-<stream>-<yyyy.MM.dd>-<generation> and rolls over to a new generation', async () => {
    let now = new Date('2026-03-07T10:00:00Z');
    const es = await startEsTestServer({ version: '9.1.0', now: () => now });
    try {
      await template(es);
      const created = await raw(es.url, 'PUT', '/_data_stream/app-x');
      assert.equal(created.status, 200, created.text);
      now = new Date('2026-03-08T01:00:00Z');
      const r = await raw(es.url, 'POST', '/app-x/_rollover');
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        {
          old: r.json.old_index,
          new: r.json.new_index,
          rolled: r.json.rolled_over,
          ack: r.json.acknowledged,
        },
        { old: '.ds-app-x-2026.03.07-000001', new: '.ds-app-x-2026.03.08-000002', rolled: true, ack: true },
      );
      const ds = (await raw(es.url, 'GET', '/_data_stream/app-x')).json.data_streams[0];
      assert.equal(ds.generation, 2);
      assert.deepEqual(
        ds.indices.map((i: { index_name: string }) => i.index_name),
        ['.ds-app-x-2026.03.07-000001', '.ds-app-x-2026.03.08-000002'],
      );
      assert.equal(ds.template, 'app');
      assert.equal(ds.ilm_policy, 'app-policy');
      assert.equal(ds.indices[1].ilm_policy, 'app-policy');
      assert.equal(ds.indices[1].prefer_ilm, true);
      assert.equal(ds.indices[1].managed_by, 'Index Lifecycle Management');
      assert.equal(ds.indices[1].index_mode, 'standard', 'app-* is not logs-*-*');
      assert.deepEqual(ds.timestamp_field, { name: '@timestamp' });
      assert.deepEqual(ds._meta, { owner: 'tests' });
      assert.equal(ds.hidden, false);
      const w = await bulk(client8(es.url), ndjson([{ index: 'app-x', id: 'a', doc: { '@timestamp': ts } }]));
      assert.equal(
        w.items[0].create._index,
        '.ds-app-x-2026.03.08-000002',
        'writes go to the new write index',
      );
    } finally {
      await es.stop();
    }
  });

  it('names in GET _data_stream the template that matches now and its policy; each backing index keeps its own', async () => {
    const es = await startEsTestServer();
    try {
      await template(es);
      await raw(es.url, 'PUT', '/_data_stream/app-m');
      // A higher-priority template for the same names, as `casguard setup` installs over the built-in `logs`.
      const t = await raw(es.url, 'PUT', '/_index_template/app-new', {
        index_patterns: ['app-m*'],
        data_stream: {},
        priority: 20,
        template: { settings: { 'index.lifecycle.name': 'new-policy' } },
      });
      assert.equal(t.status, 200, t.text);
      const ds = (await raw(es.url, 'GET', '/_data_stream/app-m')).json.data_streams[0];
      assert.equal(ds.template, 'app-new', 'TransportGetDataStreamsAction: findV2Template at request time');
      assert.equal(ds.ilm_policy, 'new-policy');
      assert.equal(ds.indices[0].ilm_policy, 'app-policy', 'the write index was created from the old one');
      const name = ds.indices[0].index_name as string;
      const nested = (await raw(es.url, 'GET', '/app-m/_settings')).json[name].settings;
      assert.equal(nested.index.lifecycle.name, 'app-policy');
      const flat = (await raw(es.url, 'GET', '/app-m/_settings?flat_settings=true')).json[name].settings;
      assert.equal(flat['index.lifecycle.name'], 'app-policy', 'flat_settings=true: index.x.y keys');
      await raw(es.url, 'POST', '/app-m/_rollover');
      const after = (await raw(es.url, 'GET', '/_data_stream/app-m')).json.data_streams[0];
      assert.equal(after.indices[1].ilm_policy, 'new-policy');
    } finally {
      await es.stop();
    }
  });

  it('applies a changed template to the new write index only', async () => {
    const es = await startEsTestServer();
    try {
      await template(es);
      const c = client8(es.url);
      await bulk(c, ndjson([{ index: 'app-y', id: '1', doc: { '@timestamp': ts, n: 1 } }]));
      await template(es, {}, { n: { type: 'keyword' } });
      await raw(es.url, 'POST', '/app-y/_rollover');
      const [first, second] = es.cluster.dataStreams.get('app-y')!.indices;
      assert.equal(first!.mapping.fields.get('n')?.type, 'long');
      assert.equal(second!.mapping.fields.get('n')?.type, 'keyword');
    } finally {
      await es.stop();
    }
  });

  it('keeps _id unique per backing index only: a create after a rollover stores the id a second time', async () => {
    const es = await startEsTestServer();
    try {
      await template(es);
      const c = client8(es.url);
      const doc = ndjson([{ index: 'app-z', id: 'same', doc: { '@timestamp': ts } }]);
      assert.equal((await bulk(c, doc)).items[0].create.status, 201);
      assert.equal((await bulk(c, doc)).items[0].create.status, 409);
      await raw(es.url, 'POST', '/app-z/_rollover');
      assert.equal(
        (await bulk(c, doc)).items[0].create.status,
        201,
        'the new write index does not know the id',
      );
      assert.equal((await bulk(c, doc)).items[0].create.status, 409);
      const copies = es.documents('app-z').filter((d) => d.id === 'same');
      assert.equal(copies.length, 2);
      assert.notEqual(copies[0]!.index, copies[1]!.index);
      const n = await raw(es.url, 'GET', '/app-z/_count');
      assert.equal(n.json.count, 2);
    } finally {
      await es.stop();
    }
  });

  it('rolls over only when a condition is met, lazily on request, and refuses targets that are not data streams', async () => {
    const es = await startEsTestServer();
    try {
      await template(es);
      await raw(es.url, 'PUT', '/_data_stream/app-r');
      const notYet = await raw(es.url, 'POST', '/app-r/_rollover', { conditions: { max_docs: 1 } });
      assert.equal(notYet.json.rolled_over, false);
      assert.deepEqual(notYet.json.conditions, { '[max_docs: 1]': false });
      const dry = await raw(es.url, 'POST', '/app-r/_rollover?dry_run=true');
      assert.equal(dry.json.dry_run, true);
      assert.equal(es.cluster.dataStreams.get('app-r')!.generation, 1);
      const lazy = await raw(es.url, 'POST', '/app-r/_rollover?lazy=true');
      assert.equal(lazy.json.lazy, true);
      assert.equal(
        (await raw(es.url, 'GET', '/_data_stream/app-r')).json.data_streams[0].rollover_on_write,
        true,
      );
      const w = await bulk(client8(es.url), ndjson([{ index: 'app-r', id: '1', doc: { '@timestamp': ts } }]));
      assert.match(w.items[0].create._index, /-000002$/, 'the first write after a lazy rollover rolls over');
      assertError(
        await raw(es.url, 'POST', '/nothing/_rollover'),
        400,
        'illegal_argument_exception',
        /rollover target \[nothing\] does not exist/,
      );
      await raw(es.url, 'PUT', '/plain-r');
      assertError(
        await raw(es.url, 'POST', '/plain-r/_rollover'),
        400,
        'illegal_argument_exception',
        /rollover target is a \[concrete index\]/,
      );
    } finally {
      await es.stop();
    }
  });

  it('answers GET/PUT/DELETE _data_stream as Elasticsearch does', async () => {
    const es = await startEsTestServer();
    try {
      assertError(
        await raw(es.url, 'PUT', '/_data_stream/nomatch-x'),
        400,
        'illegal_argument_exception',
        /no matching index template found for data stream \[nomatch-x\]/,
      );
      await raw(es.url, 'PUT', '/_index_template/plainonly', {
        index_patterns: ['plainonly-*'],
        priority: 5,
      });
      assertError(
        await raw(es.url, 'PUT', '/_data_stream/plainonly-x'),
        400,
        'illegal_argument_exception',
        /has no data stream template/,
      );
      await template(es);
      assert.equal((await raw(es.url, 'PUT', '/_data_stream/app-g')).status, 200);
      assertError(
        await raw(es.url, 'PUT', '/_data_stream/app-g'),
        400,
        'resource_already_exists_exception',
        /data_stream \[app-g\] already exists/,
      );
      assertError(
        await raw(es.url, 'GET', '/_data_stream/app-missing'),
        404,
        'index_not_found_exception',
        /no such index \[app-missing\]/,
      );
      assert.deepEqual((await raw(es.url, 'GET', '/_data_stream/zzz-*')).json, { data_streams: [] });
      assertError(
        await raw(es.url, 'PUT', '/app-h'),
        400,
        'illegal_argument_exception',
        /creates data streams only, use create data stream api instead/,
      );
      const backing = es.cluster.dataStreams.get('app-g')!.indices[0]!.name;
      assertError(
        await raw(es.url, 'DELETE', `/${backing}`),
        400,
        'illegal_argument_exception',
        /is the write index for data stream \[app-g\]/,
      );
      assert.equal((await raw(es.url, 'DELETE', '/_data_stream/app-g')).status, 200);
      assert.equal(es.cluster.indices.has(backing), false);
    } finally {
      await es.stop();
    }
  });

  it('takes only create into a stream, refuses append-only writes to a backing index, allows CAS updates there', async () => {
    const es = await startEsTestServer();
    try {
      await template(es);
      const c = client8(es.url);
      await bulk(c, ndjson([{ index: 'app-w', id: '1', doc: { '@timestamp': ts, n: 1 } }]));
      const backing = es.cluster.dataStreams.get('app-w')!.indices[0]!.name;
      const r = await bulk(
        c,
        ndjson([
          { op: 'index', index: 'app-w', id: '2', doc: { '@timestamp': ts } },
          { index: backing, id: '3', doc: { '@timestamp': ts } },
          { op: 'index', index: backing, id: '1', doc: { '@timestamp': ts, n: 2 } },
          {
            op: 'index',
            index: backing,
            id: '1',
            doc: { '@timestamp': ts, n: 3 },
            meta: { if_seq_no: 0, if_primary_term: 1 },
          },
          { op: 'delete', index: backing, id: '1' },
        ]),
      );
      const items = r.items.map(
        (i: Record<string, { status: number; error?: { reason: string } }>) => Object.values(i)[0]!,
      );
      assert.deepEqual(
        items.map((i: { status: number }) => i.status),
        [400, 400, 400, 200, 200],
      );
      assert.match(
        items[0].error!.reason,
        /only write ops with an op_type of create are allowed in data streams/,
      );
      assert.match(
        items[1].error!.reason,
        /op_type=create targeting backing indices is disallowed, target corresponding data stream \[app-w\] instead/,
      );
      assert.match(
        items[2].error!.reason,
        /op_type=index and no if_primary_term and if_seq_no set targeting backing indices is disallowed/,
      );
      assertError(
        await raw(es.url, 'GET', '/app-w/_doc/1'),
        400,
        'illegal_argument_exception',
        /The provided expression \[app-w\] matches a data stream, specify the corresponding concrete indices instead/,
      );
    } finally {
      await es.stop();
    }
  });

  it('auto-creates streams and indices unless action.auto_create_index or the template forbids it', async () => {
    const es = await startEsTestServer({ autoCreateIndex: false });
    try {
      await template(es);
      const c = client8(es.url);
      const r = await bulk(
        c,
        ndjson([
          { index: 'app-auto', id: '1', doc: { '@timestamp': ts } },
          { index: 'logs-x-default', id: '1', doc: { '@timestamp': ts } },
          { op: 'index', index: 'plain-auto', id: '1', doc: {} },
        ]),
      );
      const items = r.items.map(
        (i: Record<string, { status: number; error?: { type: string; reason: string } }>) =>
          Object.values(i)[0]!,
      );
      assert.equal(items[0].status, 404);
      assert.equal(items[0].error!.type, 'index_not_found_exception');
      assert.match(
        items[0].error!.reason,
        /no such index \[app-auto\] and \[action.auto_create_index\] is \[false\]/,
      );
      assert.equal(items[1].status, 201, 'the built-in logs template has allow_auto_create: true');
      assert.equal(items[2].status, 404);
      await template(es, { allow_auto_create: true });
      assert.equal(
        (await bulk(c, ndjson([{ index: 'app-auto', id: '1', doc: { '@timestamp': ts } }]))).items[0].create
          .status,
        201,
      );
      await raw(es.url, 'PUT', '/_cluster/settings', { persistent: { 'action.auto_create_index': true } });
      await template(es, { allow_auto_create: false });
      const f = await bulk(c, ndjson([{ index: 'app-forbid', id: '1', doc: { '@timestamp': ts } }]));
      assert.match(f.items[0].create.error.reason, /composable template \[app\] forbids index auto creation/);
    } finally {
      await es.stop();
    }
  });

  it('keeps the legacy views: indices.get(stream) and docs(stream) cover every backing index', async () => {
    const es = await startEsTestServer();
    try {
      await template(es);
      const c = client8(es.url);
      await bulk(c, ndjson([{ index: 'app-l', id: '1', doc: { '@timestamp': ts } }]));
      await raw(es.url, 'POST', '/app-l/_rollover');
      await bulk(c, ndjson([{ index: 'app-l', id: '2', doc: { '@timestamp': ts } }]));
      const view = es.indices.get('app-l')!;
      assert.equal(view.dataStream, true);
      assert.equal(view.template, 'app');
      assert.deepEqual([...es.docs('app-l').keys()].sort(), ['1', '2']);
      assert.equal(es.totalDocs(), 2);
    } finally {
      await es.stop();
    }
  });
});
