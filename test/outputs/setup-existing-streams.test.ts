// `casguard setup` on a cluster the agent wrote to first (issue 13, finding 2): streams auto-created from
// Elasticsearch's built-in `logs` template are rolled over and reported; where setup may not (the key lacks
// `manage` on the stream, another template outranks casguard's, the alerts index has dynamic mappings) it exits
// non-zero and prints the requests to run; a cluster of an unsupported version is refused before any change.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import type { EsTestServer } from '../es-server/es-test-server.js';
import { bulk, client8, ndjson, raw } from '../es-server/test-helpers.js';
import { setupCluster, defaultOwnFields } from '../../src/cli/commands/setup-command.js';
import type { CliIo } from '../../src/cli/io.js';
import { ElasticsearchOutputConfig } from '../../src/outputs/elasticsearch/elasticsearch.config.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';

const EAS = 'logs-exchange.activesync-default';
const APP = 'logs-exchange.application-default';
const ts = '2013-09-19T14:02:12Z';

function captureIo(): CliIo & { lines: string[]; errLines: string[] } {
  const lines: string[] = [];
  const errLines: string[] = [];
  return {
    lines,
    errLines,
    out: (l) => lines.push(l),
    err: (l) => {
      lines.push(l);
      errLines.push(l);
    },
    setExitCode: () => undefined,
    env: {},
  };
}

/** What the agent does before setup: one document into each stream, auto-creating them from `logs`. */
async function writeBeforeSetup(es: EsTestServer): Promise<void> {
  const r = await bulk(
    client8(es.url),
    ndjson([
      { index: EAS, id: 'a1', doc: { '@timestamp': ts, http: { response: { status_code: 200 } } } },
      { index: APP, id: 'b1', doc: { '@timestamp': ts, winlog: { event_id: '4999' } } },
    ]),
  );
  assert.equal(r.errors, false, JSON.stringify(r));
}

function writeIndex(es: EsTestServer, stream: string): { name: string; settings: Record<string, unknown> } {
  const ds = es.cluster.dataStreams.get(stream)!;
  return es.cluster.writeIndexOf(ds);
}

describe('setup over streams the agent created first', () => {
  it('rolls over the streams created from the built-in logs template and reports them; new documents get casguard mappings', async () => {
    const es = await startEsTestServer({ version: '9.1.0' });
    try {
      await writeBeforeSetup(es);
      const before = writeIndex(es, EAS);
      assert.equal(before.settings['index.lifecycle.name'], 'logs', 'auto-created from the built-in logs');
      assert.equal(before.settings['index.mode'], 'logsdb');

      const cfg = ElasticsearchOutputConfig.parse({ hosts: [es.url] });
      const io = captureIo();
      assert.equal(await setupCluster(cfg, io, nullLogger, defaultOwnFields()), 0, io.lines.join('\n'));
      for (const s of [EAS, APP]) {
        const line = io.lines.find((l) => l.startsWith(`rolled over data stream ${s}:`));
        assert.ok(line, io.lines.join('\n'));
        assert.match(line, /created from another template \(write index \.ds-\S+-000001, ILM policy logs\)/);
        assert.match(line, /DELETE \/\.ds-\S+-000001/);
      }
      assert.match(io.lines.at(-1)!, /^setup OK: 13 changes/);

      const after = writeIndex(es, EAS);
      assert.notEqual(after.name, before.name);
      assert.equal(after.settings['index.lifecycle.name'], 'casguard-logs');
      assert.equal(after.settings['index.mode'], 'standard');
      // A wrong-typed value is refused in the new write index (casguard's mapping, ignore_malformed false),
      // where the logsdb index made from `logs` would have dropped it into _ignored.
      const r = await bulk(
        client8(es.url),
        ndjson([
          { index: EAS, id: 'a2', doc: { '@timestamp': ts, http: { response: { status_code: 201 } } } },
          { index: EAS, id: 'a3', doc: { '@timestamp': ts, http: { response: { status_code: 'x' } } } },
        ]),
      );
      assert.equal(r.items[0].create.status, 201);
      assert.equal(r.items[0].create._index, after.name);
      assert.equal(r.items[1].create.status, 400);
      assert.equal(r.items[1].create.error.type, 'document_parsing_exception');

      // The agent leaves the stream's constant fields out (issue 16): the old index, where the document written
      // before setup has none of them, now maps them with their values too, so it answers for them.
      const c = client8(es.url);
      await c.indices.refresh({ index: EAS });
      for (const [field, value] of [
        ['event.dataset', 'exchange.activesync'],
        ['event.kind', 'event'],
        ['data_stream.type', 'logs'],
      ]) {
        const n = await c.count({ index: EAS, query: { term: { [field!]: value } } });
        assert.equal(n.count, 2, `${field} answered for the documents of both backing indices`);
      }
      assert.ok(!io.lines.join('\n').includes('do not answer for them'), io.lines.join('\n'));

      const again = captureIo();
      assert.equal(await setupCluster(cfg, again, nullLogger, defaultOwnFields()), 0);
      assert.equal(again.lines.at(-1), 'setup OK: everything was already in place', again.lines.join('\n'));
    } finally {
      await es.stop();
    }
  });

  it('rolls over a stream made from an older casguard template that does not map the constant fields', async () => {
    const es = await startEsTestServer({ version: '8.15.0' });
    try {
      const cfg = ElasticsearchOutputConfig.parse({ hosts: [es.url] });
      assert.equal(await setupCluster(cfg, captureIo(), nullLogger, defaultOwnFields()), 0);
      // The template as casguard installed it before issue 16: data_stream.* only, event.* keyword (ECS).
      const c = client8(es.url);
      const got = await c.indices.getIndexTemplate({ name: 'logs-exchange.activesync' });
      const body = got.index_templates[0]!.index_template as unknown as {
        template: { mappings: { properties: unknown } };
        _meta: unknown;
      };
      body.template.mappings.properties = {
        data_stream: {
          properties: {
            type: { type: 'constant_keyword', value: 'logs' },
            dataset: { type: 'constant_keyword', value: 'exchange.activesync' },
            namespace: { type: 'constant_keyword' },
          },
        },
      };
      body._meta = { managed_by: 'casguard', casguard_hash: 'older' };
      assert.equal((await raw(es.url, 'PUT', '/_index_template/logs-exchange.activesync', body)).status, 200);
      await c.indices.rollover({ alias: EAS });
      const older = writeIndex(es, EAS).name;
      // An older agent's document, constants included: event.kind becomes a keyword in that index.
      const w = await bulk(
        c,
        ndjson([
          {
            index: EAS,
            id: 'o1',
            doc: { '@timestamp': ts, event: { kind: 'event', dataset: 'exchange.activesync' } },
          },
        ]),
      );
      assert.equal(w.errors, false, JSON.stringify(w));

      const io = captureIo();
      assert.equal(await setupCluster(cfg, io, nullLogger, defaultOwnFields()), 0, io.lines.join('\n'));
      const line = io.lines.find((l) => l.startsWith(`rolled over data stream ${EAS}:`));
      assert.ok(line, io.lines.join('\n'));
      assert.match(line, /older casguard template/);
      assert.match(line, /do not answer for them/, 'the keyword event.kind there cannot become a constant');
      assert.notEqual(writeIndex(es, EAS).name, older);
      assert.ok(
        !io.lines.some((l) => l.startsWith(`rolled over data stream ${APP}`)),
        'the other stream is current',
      );
    } finally {
      await es.stop();
    }
  });

  it('exits non-zero with the rollover to run when the key may not roll the streams over', async () => {
    const es = await startEsTestServer({ auth: { username: 'elastic', password: 'pw-elastic' } });
    try {
      const admin = client8(es.url, { auth: { username: 'elastic', password: 'pw-elastic' } });
      const w = await bulk(
        admin,
        ndjson([
          { index: EAS, id: 'a1', doc: { '@timestamp': ts } },
          { index: APP, id: 'b1', doc: { '@timestamp': ts } },
        ]),
      );
      assert.equal(w.errors, false);
      // Everything setup needs but `manage` (rollover) on the streams.
      const key = es.createApiKey({
        no_rollover: {
          cluster: ['monitor', 'manage_ilm', 'manage_index_templates'],
          indices: [
            { names: ['logs-exchange.*'], privileges: ['create_index', 'view_index_metadata'] },
            { names: ['casguard-alerts-*'], privileges: ['create_index', 'view_index_metadata'] },
          ],
        },
      });
      const cfg = ElasticsearchOutputConfig.parse({ hosts: [es.url], apiKey: key.encoded });
      const io = captureIo();
      assert.equal(await setupCluster(cfg, io, nullLogger, defaultOwnFields()), 3, io.lines.join('\n'));
      const err = io.errLines.join('\n');
      assert.match(err, new RegExp(`NEEDS ACTION data stream ${EAS}: .*may not roll it over`));
      assert.ok(io.errLines.includes(`    POST /${EAS}/_rollover`), err);
      assert.ok(
        io.errLines.includes(
          `    curl -X POST -H "Authorization: ApiKey $ES_API_KEY" '${es.url}/${EAS}/_rollover'`,
        ),
        err,
      );
      assert.match(io.lines.at(-1)!, /^setup INCOMPLETE: 2 items need the operator/);
      assert.ok(!err.includes(key.encoded), 'the key is never printed');

      // The operator runs the printed request; setup then finds everything in place.
      for (const s of [EAS, APP]) await admin.indices.rollover({ alias: s });
      const io2 = captureIo();
      assert.equal(await setupCluster(cfg, io2, nullLogger, defaultOwnFields()), 0, io2.lines.join('\n'));
      assert.equal(writeIndex(es, EAS).settings['index.lifecycle.name'], 'casguard-logs');
    } finally {
      await es.stop();
    }
  });

  it('does not take over a stream another template outranks casguard for', async () => {
    const es = await startEsTestServer();
    try {
      const t = await raw(es.url, 'PUT', '/_index_template/fleet-like', {
        index_patterns: ['logs-exchange.activesync-*'],
        data_stream: {},
        priority: 200,
        _meta: { managed_by: 'fleet', managed: true },
      });
      assert.equal(t.status, 200, t.text);
      await writeBeforeSetup(es);
      const before = writeIndex(es, EAS).name;
      const cfg = ElasticsearchOutputConfig.parse({ hosts: [es.url] });
      const io = captureIo();
      assert.equal(await setupCluster(cfg, io, nullLogger, defaultOwnFields()), 3, io.lines.join('\n'));
      const err = io.errLines.join('\n');
      assert.match(err, /NEEDS ACTION data stream logs-exchange.activesync-default: .*managed by fleet/);
      assert.equal(writeIndex(es, EAS).name, before, 'not rolled over');
      assert.ok(
        io.lines.some((l) => l.startsWith(`rolled over data stream ${APP}`)),
        'the other stream is still rolled over',
      );
    } finally {
      await es.stop();
    }
  });

  it('reports an alerts index created without casguard template with the commands to rebuild it', async () => {
    const es = await startEsTestServer();
    try {
      const r = await bulk(
        client8(es.url),
        ndjson([{ op: 'index', index: 'casguard-alerts-default', id: 'x', doc: { '@timestamp': ts } }]),
      );
      assert.equal(r.errors, false);
      const cfg = ElasticsearchOutputConfig.parse({ hosts: [es.url] });
      const io = captureIo();
      assert.equal(await setupCluster(cfg, io, nullLogger, defaultOwnFields()), 3);
      const err = io.errLines.join('\n');
      assert.match(err, /NEEDS ACTION index casguard-alerts-default: .*mapped dynamically/);
      assert.match(err, /POST \/_reindex \{"source":\{"index":"casguard-alerts-default"\}/);
      assert.match(err, /curl -X DELETE '.*\/casguard-alerts-default'/);
    } finally {
      await es.stop();
    }
  });

  it('refuses a cluster of an unsupported major version before changing anything', async () => {
    for (const version of ['7.17.0', '10.0.0']) {
      const es = await startEsTestServer({ version });
      try {
        const cfg = ElasticsearchOutputConfig.parse({ hosts: [es.url] });
        const io = captureIo();
        assert.equal(await setupCluster(cfg, io, nullLogger, defaultOwnFields()), 3, io.lines.join('\n'));
        assert.match(
          io.lines.join('\n'),
          /setup FAILED: .*casguard needs Elasticsearch 8\.x or 9\.x/,
          version,
        );
        assert.deepEqual(es.writes, [], version);
      } finally {
        await es.stop();
      }
    }
  });
});
