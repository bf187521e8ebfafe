// The 9.x defaults: LogsdbIndexModeSettingsProvider gives every logs-*-* data stream `index.mode: logsdb` unless
// its template sets index.mode, and logsdb defaults index.mapping.ignore_malformed to true, so a wrong-typed
// value is stored in `_ignored` instead of refusing the document; date detection fixes a field as `date` from the
// first date-looking string. 8.x keeps standard mode and refuses.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEsTestServer } from './es-test-server.js';
import type { EsTestServer } from './es-test-server.js';
import { bulk, client8, ndjson, raw } from './test-helpers.js';

/** A casguard-like setup: a template at priority 150 that sets neither index.mode nor ignore_malformed. */
async function casguardLikeTemplate(
  es: EsTestServer,
  settings: Record<string, unknown> = {},
  mappings: Record<string, unknown> = {},
): Promise<void> {
  const c = client8(es.url);
  await c.cluster.putComponentTemplate({
    name: 'cg@mappings',
    template: {
      mappings: {
        dynamic_templates: [
          {
            strings_as_keyword: {
              match_mapping_type: 'string',
              mapping: { type: 'keyword', ignore_above: 1024 },
            },
          },
        ],
        properties: {
          http: { properties: { response: { properties: { status_code: { type: 'long' } } } } },
          winlog: { properties: { event_data: { type: 'object' } } },
        },
        ...mappings,
      },
      settings,
    },
  });
  await c.indices.putIndexTemplate({
    name: 'logs-exchange.activesync',
    index_patterns: ['logs-exchange.activesync-*'],
    data_stream: {},
    priority: 150,
    composed_of: ['cg@mappings'],
  });
}

const STREAM = 'logs-exchange.activesync-default';
const ts = '2013-09-19T14:02:12Z';

async function statuses(
  es: EsTestServer,
  docs: { id: string; doc: Record<string, unknown> }[],
): Promise<number[]> {
  const r = await bulk(client8(es.url), ndjson(docs.map((d) => ({ index: STREAM, ...d }))));
  return r.items.map((i: { create: { status: number } }) => i.create.status);
}

describe('9.x logsdb and date detection', () => {
  it('9.x: a logs-*-* stream is logsdb and a wrong-typed field goes to _ignored (201), where 8.x answers 400', async () => {
    for (const [version, mode, status] of [
      ['9.1.0', 'logsdb', 201],
      ['8.15.0', 'standard', 400],
    ] as const) {
      const es = await startEsTestServer({ version });
      try {
        await casguardLikeTemplate(es);
        const s = await statuses(es, [
          { id: 'bad', doc: { '@timestamp': ts, http: { response: { status_code: 'OK' } } } },
        ]);
        assert.deepEqual(s, [status], version);
        const ds = (await raw(es.url, 'GET', `/_data_stream/${STREAM}`)).json.data_streams[0];
        assert.equal(es.indices.get(STREAM)!.settings['index.mode'] ?? 'standard', mode, version);
        if (version.startsWith('9')) {
          assert.equal(ds.index_mode, 'logsdb');
          const doc = await raw(es.url, 'GET', `/${ds.indices[0].index_name}/_doc/bad`);
          assert.deepEqual(doc.json._ignored, ['http.response.status_code']);
          // logsdb adds host.name (keyword) for its index sort.
          assert.equal(es.indices.get(STREAM)!.mapping.fields.get('host.name')?.type, 'keyword');
        }
      } finally {
        await es.stop();
      }
    }
  });

  it('9.x: a template that sets index.mode standard, or ignore_malformed false, keeps the 400', async () => {
    for (const settings of [{ 'index.mode': 'standard' }, { 'index.mapping.ignore_malformed': false }]) {
      const es = await startEsTestServer({ version: '9.1.0' });
      try {
        await casguardLikeTemplate(es, settings);
        const s = await statuses(es, [
          { id: 'bad', doc: { '@timestamp': ts, http: { response: { status_code: 'OK' } } } },
        ]);
        assert.deepEqual(s, [400], JSON.stringify(settings));
      } finally {
        await es.stop();
      }
    }
  });

  it('9.x on a cluster upgraded from 8.x (cluster.logsdb.enabled false) stays standard', async () => {
    const es = await startEsTestServer({ version: '9.1.0', logsdb: false });
    try {
      await casguardLikeTemplate(es);
      assert.deepEqual(
        await statuses(es, [
          { id: 'bad', doc: { '@timestamp': ts, http: { response: { status_code: 'OK' } } } },
        ]),
        [400],
      );
      assert.equal(
        (await raw(es.url, 'GET', `/_data_stream/${STREAM}`)).json.data_streams[0].index_mode,
        'standard',
      );
    } finally {
      await es.stop();
    }
  });

  it('the cluster setting can be changed at runtime, for streams created afterwards', async () => {
    const es = await startEsTestServer({ version: '8.17.0' });
    try {
      const set = await raw(es.url, 'PUT', '/_cluster/settings', {
        persistent: { 'cluster.logsdb.enabled': true },
      });
      assert.equal(set.status, 200, set.text);
      await casguardLikeTemplate(es);
      await statuses(es, [{ id: 'a', doc: { '@timestamp': ts } }]);
      assert.equal(
        (await raw(es.url, 'GET', `/_data_stream/${STREAM}`)).json.data_streams[0].index_mode,
        'logsdb',
      );
      const bad = await raw(es.url, 'PUT', '/_cluster/settings', {
        persistent: { 'cluster.logsdb.enabld': true },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.type, 'illegal_argument_exception');
    } finally {
      await es.stop();
    }
  });

  it('date detection: the first date-looking string maps the field as date; a later plain string is refused (8.x) or ignored (9.x)', async () => {
    for (const [version, second] of [
      ['8.15.0', 400],
      ['9.1.0', 201],
    ] as const) {
      const es = await startEsTestServer({ version });
      try {
        await casguardLikeTemplate(es);
        const s = await statuses(es, [
          { id: '1', doc: { '@timestamp': ts, winlog: { event_data: { Param1: '2013-09-19T14:02:12' } } } },
          { id: '2', doc: { '@timestamp': ts, winlog: { event_data: { Param1: 'iPhone 5' } } } },
          // A pure number is never taken for a date (DynamicFieldsBuilder), even though yyyy would parse it.
          { id: '3', doc: { '@timestamp': ts, winlog: { event_data: { Param2: '2013' } } } },
        ]);
        assert.deepEqual(s, [201, second, 201], version);
        const fields = es.indices.get(STREAM)!.mapping.fields;
        assert.equal(fields.get('winlog.event_data.Param1')?.type, 'date', version);
        assert.equal(fields.get('winlog.event_data.Param2')?.type, 'keyword', version);
      } finally {
        await es.stop();
      }
    }
  });

  it('date_detection: false keeps such values as strings: both documents index', async () => {
    const es = await startEsTestServer({ version: '8.15.0' });
    try {
      await casguardLikeTemplate(es, {}, { date_detection: false });
      const s = await statuses(es, [
        { id: '1', doc: { '@timestamp': ts, winlog: { event_data: { Param1: '2013-09-19T14:02:12' } } } },
        { id: '2', doc: { '@timestamp': ts, winlog: { event_data: { Param1: 'iPhone 5' } } } },
      ]);
      assert.deepEqual(s, [201, 201]);
      assert.equal(es.indices.get(STREAM)!.mapping.fields.get('winlog.event_data.Param1')?.type, 'keyword');
    } finally {
      await es.stop();
    }
  });

  it('a slash-formatted date is detected with the second dynamic date format', async () => {
    const es = await startEsTestServer();
    try {
      const r = await bulk(
        client8(es.url),
        ndjson([{ op: 'index', index: 'plain-dates', id: '1', doc: { d: '2015/09/02', iso: '2015-09-02' } }]),
      );
      assert.equal(r.items[0].index.status, 201);
      const m = (await raw(es.url, 'GET', '/plain-dates/_mapping')).json['plain-dates'].mappings.properties;
      assert.deepEqual(m.d, { type: 'date', format: 'yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis' });
      assert.deepEqual(m.iso, { type: 'date' });
    } finally {
      await es.stop();
    }
  });
});
