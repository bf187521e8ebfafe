// A logs-*-* data stream written to before casguard's templates exist is created, as on Elasticsearch, from the
// built-in `logs` template (test/fixtures/elasticsearch/builtin-templates/, see SOURCES.md): ECS dynamic
// mappings, ignore_malformed, no date detection, `@timestamp` as date_nanos, the logs@lifecycle policy without a
// delete phase, and on 9.2+ the failure store.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEsTestServer } from './es-test-server.js';
import { bulk, client8, ndjson, raw } from './test-helpers.js';

describe("Elasticsearch's built-in logs templates", () => {
  it('are installed as Elasticsearch installs them (placeholders filled, priority 100, allow_auto_create)', async () => {
    const es = await startEsTestServer({ version: '8.15.0' });
    try {
      const t = await raw(es.url, 'GET', '/_index_template/logs');
      assert.equal(t.status, 200);
      const logs = t.json.index_templates[0].index_template;
      assert.deepEqual(logs.index_patterns, ['logs-*-*']);
      assert.equal(logs.priority, 100);
      assert.equal(logs.allow_auto_create, true);
      assert.deepEqual(logs.composed_of, ['logs@mappings', 'logs@settings', 'logs@custom', 'ecs@mappings']);
      assert.deepEqual(logs.ignore_missing_component_templates, ['logs@custom']);
      assert.equal(logs.version, 14);
      assert.equal(logs.deprecated, false);
      const c = await raw(es.url, 'GET', '/_component_template/logs@*');
      assert.deepEqual(c.json.component_templates.map((x: { name: string }) => x.name).sort(), [
        'logs@mappings',
        'logs@settings',
      ]);
      const ilm = await raw(es.url, 'GET', '/_ilm/policy/logs@lifecycle');
      assert.deepEqual(Object.keys(ilm.json['logs@lifecycle'].policy.phases), ['hot'], 'no delete phase');
    } finally {
      await es.stop();
    }
  });

  it('create an auto-created stream with their settings and mappings, and keep a wrong-typed value in _ignored', async () => {
    const es = await startEsTestServer({ version: '8.15.0' });
    try {
      const c = client8(es.url);
      const r = await bulk(
        c,
        ndjson([
          {
            index: 'logs-exchange.activesync-default',
            id: 'a',
            doc: { '@timestamp': '2013-09-19T14:02:12.123456789Z', source: { ip: '10.1.1.1' }, message: 'x' },
          },
          {
            index: 'logs-exchange.activesync-default',
            id: 'b',
            doc: { '@timestamp': '2013-09-19T14:02:13Z', source: { ip: 'not-an-ip' } },
          },
          {
            index: 'logs-exchange.activesync-default',
            id: 'c',
            doc: {
              '@timestamp': '2013-09-19T14:02:13Z',
              winlog: { event_data: { When: '2013-09-19T14:02:13Z' } },
            },
          },
        ]),
      );
      assert.deepEqual(
        r.items.map((i: { create: { status: number } }) => i.create.status),
        [201, 201, 201],
      );
      const ds = (await raw(es.url, 'GET', '/_data_stream/logs-exchange.activesync-default')).json
        .data_streams[0];
      assert.equal(ds.template, 'logs');
      assert.equal(ds.ilm_policy, 'logs@lifecycle');
      const backing = ds.indices[0].index_name as string;
      const m = (await raw(es.url, 'GET', `/${backing}/_mapping`)).json[backing].mappings;
      assert.equal(m.date_detection, false);
      assert.equal(m.properties['@timestamp'].type, 'date_nanos');
      assert.equal(m.properties.source.properties.ip.type, 'ip', 'ecs@mappings ecs_ip');
      assert.equal(m.properties.message.type, 'match_only_text', 'ecs@mappings message');
      assert.equal(
        m.properties.winlog.properties.event_data.properties.When.type,
        'keyword',
        'no date detection',
      );
      assert.equal(m.properties.data_stream.properties.type.type, 'constant_keyword');
      const s = (await raw(es.url, 'GET', `/${backing}/_settings`)).json[backing].settings.index;
      assert.equal(s.mapping.ignore_malformed, 'true');
      assert.equal(s.default_pipeline, 'logs@default-pipeline');
      assert.equal(s.codec, 'best_compression');
      // ignore_malformed: true: the bad ip is not indexed but the document is stored, with _ignored.
      const doc = await raw(es.url, 'GET', `/${backing}/_doc/b`);
      assert.equal(doc.status, 200);
      assert.deepEqual(doc.json._ignored, ['source.ip']);
      assert.equal(doc.json._source.source.ip, 'not-an-ip');
    } finally {
      await es.stop();
    }
  });

  it('use the logsdb variant of logs@settings on a 9.x cluster', async () => {
    const es = await startEsTestServer({ version: '9.1.0' });
    try {
      const c = client8(es.url);
      await bulk(
        c,
        ndjson([{ index: 'logs-app-default', id: 'a', doc: { '@timestamp': '2013-09-19T14:02:12Z' } }]),
      );
      const ds = (await raw(es.url, 'GET', '/_data_stream/logs-app-default')).json.data_streams[0];
      assert.equal(ds.index_mode, 'logsdb');
      assert.equal(ds.ilm_policy, 'logs', 'logs@settings-logsdb.json names the policy "logs"');
      assert.equal(ds.failure_store.enabled, false, 'the failure store of logs@settings arrives in 9.2.0');
    } finally {
      await es.stop();
    }
  });

  it('enable the failure store from 9.2.0: a document that cannot be indexed is kept there, and the item says so', async () => {
    for (const [version, expected] of [
      ['9.2.0', { status: 201, failure_store: 'used' }],
      ['9.1.0', { status: 400, failure_store: 'not_enabled' }],
    ] as const) {
      const es = await startEsTestServer({ version, logsdb: false });
      try {
        const c = client8(es.url);
        const r = await bulk(
          c,
          ndjson([
            {
              index: 'logs-fs-default',
              id: 'ok',
              doc: { '@timestamp': '2013-09-19T14:02:12Z', host: { name: 'cas01' } },
            },
            // An object where a keyword is mapped: ignore_malformed does not apply to objects.
            {
              index: 'logs-fs-default',
              id: 'bad',
              doc: { '@timestamp': '2013-09-19T14:02:12Z', host: { name: { first: 'cas01' } } },
            },
          ]),
        );
        assert.equal(r.items[0].create.status, 201, version);
        assert.equal(r.items[1].create.status, expected.status, `${version}: ${JSON.stringify(r.items[1])}`);
        assert.equal(r.items[1].create.failure_store, expected.failure_store, version);
        if (expected.status === 201) {
          assert.match(r.items[1].create._index, /^\.fs-logs-fs-default-\d{4}\.\d{2}\.\d{2}-000002$/);
          const ds = (await raw(es.url, 'GET', '/_data_stream/logs-fs-default')).json.data_streams[0];
          assert.equal(ds.failure_store.enabled, true);
          assert.equal(ds.failure_store.indices.length, 1);
          assert.equal(es.docs('logs-fs-default').size, 1, 'the failed document is not in the stream');
        } else assert.equal(r.items[1].create.error.type, 'document_parsing_exception');
      } finally {
        await es.stop();
      }
    }
  });

  it('can be left out (builtinLogsTemplate: false): a logs-*-* name then becomes a plain index', async () => {
    const es = await startEsTestServer({ builtinLogsTemplate: false });
    try {
      const r = await bulk(client8(es.url), ndjson([{ index: 'logs-a-b', id: '1', doc: { x: 1 } }]));
      assert.equal(r.items[0].create._index, 'logs-a-b');
      assert.equal(es.indices.get('logs-a-b')?.dataStream, false);
    } finally {
      await es.stop();
    }
  });
});
