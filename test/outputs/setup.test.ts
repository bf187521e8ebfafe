// `casguard setup` against the test server: installs everything, a second run changes nothing, a changed
// own-field table is an update, and every golden document of the formats is accepted by the mappings.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { startEsTestServer } from '../es-server/es-test-server.js';
import type { EsTestServer } from '../es-server/es-test-server.js';
import { clusterAssets } from '../../src/setup/cluster-assets.js';
import { runSetup } from '../../src/setup/run-setup.js';
import { JSON_COMPAT } from '../../src/outputs/elasticsearch/es-client.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { defaultOwnFields } from '../../src/cli/commands/setup-command.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import { openSink, readLetters } from './helpers.js';

// What `casguard setup` installs: the formats' fields and the alert documents' fields.
const OWN = defaultOwnFields();

function client(url: string): Client {
  return new Client({
    node: url,
    maxRetries: 0,
    headers: { accept: JSON_COMPAT, 'content-type': JSON_COMPAT },
  });
}

function goldenDocuments(): ShippableDocument[] {
  const out: ShippableDocument[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.expected.json')) {
        const g = JSON.parse(readFileSync(p, 'utf8')) as { documents?: ShippableDocument[] };
        out.push(...(g.documents ?? []));
      }
    }
  };
  walk('test/golden');
  return out;
}

/** An 8.x cluster and a 9.x one (logsdb by default for logs-*-* streams). */
const VERSIONS = ['8.15.0', '9.1.0'] as const;

/**
 * `index/id: field` for every stored value in `_ignored` except a keyword longer than its `ignore_above` (kept in
 * `_source`, by design not indexed): what remains is a malformed value a logsdb index would have swallowed.
 */
function malformedIgnored(es: EsTestServer): string[] {
  const out: string[] = [];
  for (const [name, index] of es.cluster.indices)
    for (const d of es.documents(name))
      for (const field of d.ignored ?? []) {
        const m = index.mapping.fields.get(field);
        const value = field
          .split('.')
          .reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], d.source);
        const tooLong =
          m?.type === 'keyword' &&
          typeof m.params['ignore_above'] === 'number' &&
          typeof value === 'string' &&
          value.length > m.params['ignore_above'];
        if (!tooLong) out.push(`${name}/${d.id}: ${field}`);
      }
  return out;
}

describe('casguard setup', () => {
  it('installs policy, templates, data streams and the alerts index, and changes nothing the second time', async () => {
    const es = await startEsTestServer({ version: '8.15.0' });
    try {
      const c = client(es.url);
      const assets = clusterAssets({ namespace: 'default', ownFields: OWN });
      const first = await runSetup(c, assets, nullLogger);
      assert.deepEqual(
        first.map((r) => `${r.action} ${r.kind} ${r.name}`),
        [
          'created ilm_policy casguard-logs',
          'created component_template casguard@settings',
          'created component_template casguard-ecs@mappings',
          'created component_template casguard-winlog@mappings',
          'created component_template casguard-exchange@mappings',
          'created index_template logs-exchange.activesync',
          'created index_template logs-exchange.application',
          'created index_template casguard-alerts',
          'created index_template casguard-agents',
          'created index_template casguard-alert-shares',
          'created data_stream logs-exchange.activesync-default',
          'created data_stream logs-exchange.application-default',
          'created index casguard-alerts-default',
        ],
      );
      const writesAfterFirst = es.writes.length;
      const second = await runSetup(c, clusterAssets({ namespace: 'default', ownFields: OWN }), nullLogger);
      assert.ok(
        second.every((r) => r.action === 'unchanged'),
        JSON.stringify(second),
      );
      assert.equal(es.writes.length, writesAfterFirst, 'no write request on the second run');

      // the data streams got our explicit mapping (the template outranks the built-in logs template)
      const ds = es.indices.get('logs-exchange.activesync-default')!;
      assert.equal(ds.dataStream, true);
      assert.equal(ds.template, 'logs-exchange.activesync');
      assert.equal(ds.mapping.fields.get('microsoft.exchange.activesync.status')?.type, 'long');
      assert.equal(ds.mapping.fields.get('source.ip')?.type, 'ip');
      assert.equal(ds.mapping.fields.get('winlog.event_id')?.type, 'keyword');
      assert.equal(ds.settings['index.lifecycle.name'], 'casguard-logs');

      // a changed own-field table is an update of that one template only
      const third = await runSetup(
        c,
        clusterAssets({ namespace: 'default', ownFields: { ...OWN, 'casguard.extra': 'keyword' } }),
        nullLogger,
      );
      assert.deepEqual(
        third.filter((r) => r.action !== 'unchanged').map((r) => `${r.action} ${r.name}`),
        ['updated casguard-exchange@mappings'],
      );
    } finally {
      await es.stop();
    }
  });

  it('refuses an own field that contradicts ECS', () => {
    assert.throws(
      () => clusterAssets({ namespace: 'default', ownFields: { 'source.ip': 'keyword' } }),
      /source\.ip is declared keyword but ECS\/winlog defines it as ip/,
    );
  });

  // 8.x refuses a later plain string in a field date detection made `date`; 9.x (logsdb, ignore_malformed true)
  // would answer 201 and drop it into `_ignored`, so on 9.x nothing may be in `_ignored` either.
  for (const version of VERSIONS)
    it(`indexes a date-looking winlog.event_data value and a later plain string in the same field (${version})`, async () => {
      const app = goldenDocuments().find((d) => d.stream === 'application')!;
      const es = await startEsTestServer({ version });
      const { sink, deadLetterDir } = openSink(es.url);
      try {
        await runSetup(client(es.url), clusterAssets({ namespace: 'default', ownFields: OWN }), nullLogger);
        const winlog = app.doc['winlog'] as Record<string, unknown>;
        const withValue = (id: string, value: string): ShippableDocument => ({
          ...app,
          id,
          doc: { ...app.doc, winlog: { ...winlog, event_data: { LastSeen: value } } },
        });
        sink.push(withValue('date-first', '2013-09-19T14:00:05.000Z'), () => undefined);
        await sink.flush();
        sink.push(withValue('string-after', 'not a date'), () => undefined);
        await sink.flush();
        await sink.idle();
        assert.deepEqual(await readLetters(deadLetterDir), []);
        assert.equal(es.totalDocs(), 2);
        assert.deepEqual(malformedIgnored(es), [], 'no malformed value in _ignored');
      } finally {
        await sink.close();
        await es.stop();
      }
    });

  // On 9.x a logs-*-* stream would be logsdb with ignore_malformed true: the control below would be stored
  // (201) with its field in `_ignored` instead of reaching the dead-letter file, unless the template prevents it.
  for (const version of VERSIONS)
    it(`accepts every golden document of the formats with the installed mappings; a wrong type is dead-lettered with the reason (${version})`, async () => {
      const docs = goldenDocuments();
      if (docs.length === 0) {
        console.log('no golden documents found under test/golden');
        return;
      }
      const es = await startEsTestServer({ version });
      const { sink, deadLetterDir } = openSink(es.url);
      try {
        await runSetup(client(es.url), clusterAssets({ namespace: 'default', ownFields: OWN }), nullLogger);
        for (const d of docs) sink.push(d, () => undefined);
        // a control: the same mapping rejects a document whose types are wrong
        const bad = docs.find((d) => d.stream === 'activesync')!;
        sink.push(
          { ...bad, id: 'control', doc: { ...bad.doc, http: { response: { status_code: 'OK' } } } },
          () => undefined,
        );
        await sink.flush();
        await sink.idle();
        const letters = await readLetters(deadLetterDir);
        assert.deepEqual(
          letters.map((l) => `${l.document?.id}: ${l.code}`),
          ['control: es.document_parsing_exception'],
          'golden documents rejected by the mapping',
        );
        assert.ok(es.totalDocs() > 0, 'es.totalDocs() > 0');
        assert.equal(es.totalDocs(), new Set(docs.map((d) => `${d.stream}/${d.id}`)).size);
        assert.equal(letters[0]!.status, 400);
        assert.match(
          letters[0]!.reason,
          /failed to parse field \[http.response.status_code\] of type \[long\]/,
        );
        assert.deepEqual(malformedIgnored(es), [], 'no malformed value in _ignored');
      } finally {
        await sink.close();
        await es.stop();
      }
    });
});
