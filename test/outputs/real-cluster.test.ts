// Integration suite against a real Elasticsearch (8.x or 9.x). Runs only when CASGUARD_TEST_ES_URL is set:
//   CASGUARD_TEST_ES_URL=https://localhost:9200 CASGUARD_TEST_ES_API_KEY=... [CASGUARD_TEST_ES_CA=ca.pem]
//   (or CASGUARD_TEST_ES_USERNAME / CASGUARD_TEST_ES_PASSWORD; CASGUARD_TEST_ES_INSECURE=1 skips TLS checks)
//   node scripts/run-tests.mjs test/outputs/real-cluster
// CONTRIBUTING.md says how to start an 8.x and a 9.x cluster with default settings for it. Use a DISPOSABLE
// cluster and a superuser (`elastic`): the suite deletes and installs casguard's templates and ILM policy (the
// names `casguard setup` uses), creates roles and API keys named casguard_test_*, and writes to data streams of
// random namespaces, which it deletes at the end; finding 6 sets action.auto_create_index: false for a moment
// and resets it (null). One test per finding of issue 13 (the first needs the cluster without casguard's
// templates, so it removes them first). The same file runs against the test
// server (`node --import tsx test/es-server/serve.ts --version 9.2.0`) to check the suite itself.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { after, describe, it } from 'node:test';
import { Client, errors } from '@elastic/elasticsearch';
import { ElasticsearchOutputConfig } from '../../src/outputs/elasticsearch/elasticsearch.config.js';
import { clientOptions } from '../../src/outputs/elasticsearch/es-client.js';
import { targetName } from '../../src/outputs/elasticsearch/targets.js';
import { KnownIdsFilter } from '../../src/outputs/elasticsearch/known-ids-filter.js';
import { setupCluster, defaultOwnFields } from '../../src/cli/commands/setup-command.js';
import { testOutput } from '../../src/cli/commands/test-output-command.js';
import { SETUP_ROLE, WRITER_ROLE } from '../../src/setup/roles.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { ECS_VERSION } from '../../src/setup/ecs-fields.generated.js';
import { TEST_AGENT, testAgentStamp } from '../helpers/agent-metadata.js';
import { makeDoc, openSink, pushAll, range, readLetters } from './helpers.js';

const url = process.env.CASGUARD_TEST_ES_URL;

function cfg(namespace: string, creds?: { apiKey: string }): ElasticsearchOutputConfig {
  const e = process.env;
  return ElasticsearchOutputConfig.parse({
    hosts: [url],
    namespace,
    ...(creds
      ? creds
      : {
          ...(e.CASGUARD_TEST_ES_API_KEY ? { apiKey: e.CASGUARD_TEST_ES_API_KEY } : {}),
          ...(e.CASGUARD_TEST_ES_USERNAME
            ? { username: e.CASGUARD_TEST_ES_USERNAME, password: e.CASGUARD_TEST_ES_PASSWORD ?? '' }
            : {}),
        }),
    tls: {
      ...(e.CASGUARD_TEST_ES_CA ? { caFile: e.CASGUARD_TEST_ES_CA } : {}),
      verify: e.CASGUARD_TEST_ES_INSECURE !== '1',
    },
    maxBatchDocs: 200,
    flushIntervalMs: 50,
    retry: { initialDelayMs: 50, maxDelayMs: 2000 },
  });
}

const io = () => {
  const lines: string[] = [];
  return {
    lines,
    out: (l: string) => lines.push(l),
    err: (l: string) => lines.push(l),
    setExitCode: () => undefined,
    env: {},
  };
};

const ts = '2013-09-19T14:02:12Z';

describe('against a real Elasticsearch cluster', () => {
  if (!url) {
    it('is skipped', (t) => {
      console.log('real-cluster suite skipped: set CASGUARD_TEST_ES_URL (and credentials) to run it');
      t.skip('CASGUARD_TEST_ES_URL not set');
    });
    return;
  }
  const run = Date.now().toString(36);
  const namespaces: string[] = [];
  const ns = (name: string): string => {
    const n = `cgt${name}${run}`;
    namespaces.push(n);
    return n;
  };
  const admin = new Client(clientOptions(cfg('default')));
  const apiKeys: string[] = [];
  let version = '0.0.0';
  const atLeast = (major: number, minor: number): boolean => {
    const [a, b] = version.split('.').map(Number) as [number, number];
    return a > major || (a === major && b >= minor);
  };

  after(async () => {
    for (const n of namespaces) {
      await admin.indices
        .deleteDataStream({ name: [targetName('activesync', n), targetName('application', n)] })
        .catch(() => undefined);
      await admin.indices.delete({ index: targetName('alerts', n) }).catch(() => undefined);
    }
    if (apiKeys.length > 0) await admin.security.invalidateApiKey({ ids: apiKeys }).catch(() => undefined);
    await admin.close();
  });

  async function apiKey(name: string, role: object): Promise<string> {
    const k = await admin.security.createApiKey({
      name: `casguard_test_${name}_${run}`,
      role_descriptors: { [name]: role as never },
      expiration: '1d',
    });
    apiKeys.push(k.id);
    return k.encoded;
  }

  async function securityEnabled(): Promise<boolean> {
    try {
      await admin.security.authenticate();
      return true;
    } catch (e) {
      if (
        e instanceof errors.ResponseError &&
        /security.*(not enabled|disabled)/i.test(JSON.stringify(e.body))
      )
        return false;
      throw e;
    }
  }

  it('finding 2: setup rolls over streams the agent created from the built-in logs template', async () => {
    version = (await admin.info()).version.number;
    // A fresh cluster has none of casguard's templates; a reused one may: remove the two stream templates.
    for (const t of ['logs-exchange.activesync', 'logs-exchange.application'])
      await admin.indices.deleteIndexTemplate({ name: t }).catch(() => undefined);
    const n = ns('before');
    const c = cfg(n);
    const { sink } = openSink(url!, { ...c, hosts: [url] });
    const docs = [...range(0, 20, `${n}-`)].filter((d) => d.stream !== 'alerts');
    await pushAll(sink, docs, new Map());
    await sink.flush();
    await sink.close();
    const before = await admin.indices.getDataStream({ name: targetName('activesync', n) });
    const first = before.data_streams[0]!.indices.at(-1)!.index_name;

    const s = io();
    assert.equal(await setupCluster(c, s, nullLogger, defaultOwnFields()), 0, s.lines.join('\n'));
    for (const st of ['activesync', 'application'] as const)
      assert.ok(
        s.lines.some((l) => l.startsWith(`rolled over data stream ${targetName(st, n)}:`)),
        s.lines.join('\n'),
      );
    const afterDs = await admin.indices.getDataStream({ name: targetName('activesync', n) });
    const write = afterDs.data_streams[0]!.indices.at(-1)!.index_name;
    assert.notEqual(write, first);
    const settings = await admin.indices.getSettings({ index: write, flat_settings: true });
    assert.equal(settings[write]!.settings!['index.lifecycle.name' as never], 'casguard-logs');
    // The agent left the stream's constant fields out (issue 16); setup mapped them on the old index too.
    const stream = targetName('activesync', n);
    await admin.indices.refresh({ index: stream });
    const shipped = docs.filter((d) => d.stream === 'activesync').length;
    for (const [field, value] of [
      ['event.dataset', 'exchange.activesync'],
      ['event.kind', 'event'],
      ['data_stream.type', 'logs'],
    ] as const) {
      const r = await admin.count({ index: stream, query: { term: { [field]: value } } });
      assert.equal(r.count, shipped, `${field} answers for every document, written before setup or not`);
    }
  });

  it('findings 1, 3 and 7: set up twice, ship, dedup, dead-letter a wrong type, date-looking strings index', async () => {
    const n = ns('ship');
    const c = cfg(n);
    const s1 = io();
    assert.equal(await setupCluster(c, s1, nullLogger, defaultOwnFields()), 0, s1.lines.join('\n'));
    const s2 = io();
    assert.equal(await setupCluster(c, s2, nullLogger, defaultOwnFields()), 0, s2.lines.join('\n'));
    assert.equal(s2.lines.at(-1), 'setup OK: everything was already in place', s2.lines.join('\n'));
    const t = io();
    assert.equal(await testOutput(c, t, nullLogger), 0, t.lines.join('\n'));
    if (atLeast(8, 17)) {
      const ds = await admin.indices.getDataStream({ name: targetName('activesync', n) });
      const info = ds.data_streams[0] as unknown as { indices: { index_mode?: string }[] };
      assert.equal(info.indices.at(-1)!.index_mode, 'standard', 'not logsdb (finding 1)');
    }

    const { sink, deadLetterDir } = openSink(url!, { ...c, hosts: [url] });
    const settled = new Map<string, number>();
    // Finding 7: the documents carry what the agent stamps on every document (src/enrich/agent-metadata.ts).
    const stamped = (from: number, to: number) =>
      [...range(from, to, `${n}-`)].map((d) => {
        testAgentStamp(d.doc);
        return d;
      });
    await pushAll(sink, stamped(0, 1000), settled);
    const bad = makeDoc(5000, `${n}-`);
    bad.doc.http = { response: { status_code: 'not-a-number' } };
    sink.push({ ...bad, stream: 'activesync', op: 'create' }, () => settled.set(bad.id, 1));
    // Finding 3: a date-looking event_data value, then a plain string in the same field: both index.
    const dated = { ...makeDoc(5001, `${n}-`), stream: 'application' as const, op: 'create' as const };
    // (ISO 8601 with a T, strict_date_optional_time: the default dynamic date format date detection would take)
    dated.doc.winlog = { event_data: { Param1: '2013-09-19T14:00:05' } };
    const plain = { ...makeDoc(5003, `${n}-`), stream: 'application' as const, op: 'create' as const };
    plain.doc.winlog = { event_data: { Param1: 'not a date' } };
    for (const d of [dated, plain]) sink.push(d, () => settled.set(d.id, 1));
    await sink.flush();
    await pushAll(sink, stamped(0, 1000), new Map());
    await sink.flush();
    await sink.idle();
    await sink.close();

    const letters = await readLetters(deadLetterDir);
    assert.deepEqual(
      letters.map((l) => [l.document?.id, l.status]),
      [[bad.id, 400]],
    );
    assert.match(letters[0]!.code, /^es\.(document_parsing_exception|mapper_parsing_exception)$/);
    await admin.indices.refresh({
      index: [targetName('activesync', n), targetName('application', n), targetName('alerts', n)],
    });
    let total = 0;
    for (const st of ['activesync', 'application', 'alerts'] as const)
      total += (await admin.count({ index: targetName(st, n) })).count;
    assert.equal(total, 1000 + 2);
    const m = await admin.indices.getMapping({ index: targetName('activesync', n) });
    const anyIndex = Object.values(m)[0]!.mappings as { date_detection?: boolean };
    assert.equal(anyIndex.date_detection, false);
    // Finding 3 (and 1 on 9.x): both stored as sent, neither with a field dropped into _ignored.
    const pair = await admin.search({
      index: targetName('application', n),
      query: { ids: { values: [dated.id, plain.id] } },
    });
    assert.deepEqual(
      pair.hits.hits.map((h) => [h._id, (h as { _ignored?: string[] })._ignored ?? []]).sort(),
      [
        [dated.id, []],
        [plain.id, []],
      ],
    );
    // Finding 7: ecs.version, agent.* and event.ingested (set by the output) are stored and mapped as ECS says.
    const found = await admin.search({
      index: targetName('activesync', n),
      query: { ids: { values: [`${n}-0`] } },
    });
    assert.equal(found.hits.hits.length, 1);
    const hit = found.hits.hits[0]!._source as {
      ecs?: unknown;
      agent?: unknown;
      event?: { ingested?: string };
    };
    assert.deepEqual(hit.ecs, { version: ECS_VERSION });
    assert.deepEqual(hit.agent, {
      type: 'casguard',
      version: TEST_AGENT.version,
      id: TEST_AGENT.id,
      name: TEST_AGENT.name,
    });
    assert.ok(
      hit.event?.ingested && !Number.isNaN(Date.parse(hit.event.ingested)),
      JSON.stringify(hit.event),
    );
    const types: Record<string, string> = {};
    const props = (anyIndex as { properties?: Record<string, { properties?: unknown; type?: string }> })
      .properties;
    for (const f of [
      'ecs.version',
      'agent.type',
      'agent.version',
      'agent.id',
      'agent.name',
      'event.ingested',
    ]) {
      const [obj, leaf] = f.split('.') as [string, string];
      const sub = props?.[obj]?.properties as Record<string, { type?: string }> | undefined;
      types[f] = sub?.[leaf]?.type ?? 'unmapped';
    }
    assert.deepEqual(types, {
      'ecs.version': 'keyword',
      'agent.type': 'keyword',
      'agent.version': 'keyword',
      'agent.id': 'keyword',
      'agent.name': 'keyword',
      'event.ingested': 'date',
    });
  });

  it('finding 4: test output with the README roles predicts what run and setup do', async (t) => {
    if (!(await securityEnabled())) {
      t.skip('security is not enabled on this cluster');
      return;
    }
    const n = ns('roles');
    const writer = cfg(n, { apiKey: await apiKey('writer', WRITER_ROLE) });
    const w = io();
    assert.equal(await testOutput(writer, w, nullLogger), 0, w.lines.join('\n'));
    assert.ok(!w.lines.some((l) => l.startsWith('FAILED')), w.lines.join('\n'));
    assert.ok(
      w.lines.some((l) => /^note {4}privileges for setup: casguard setup would fail/.test(l)),
      'w.lines.some((l) => /^note {4}privileges for setup: casguard setup would fail/.test(l))',
    );
    const ws = io();
    assert.equal(await setupCluster(writer, ws, nullLogger, defaultOwnFields()), 3, ws.lines.join('\n'));

    const setupKey = cfg(n, { apiKey: await apiKey('setup', SETUP_ROLE) });
    const s = io();
    assert.equal(await setupCluster(setupKey, s, nullLogger, defaultOwnFields()), 0, s.lines.join('\n'));

    const noCreate = structuredClone(SETUP_ROLE) as unknown as { indices: { privileges: string[] }[] };
    noCreate.indices[0]!.privileges = ['view_index_metadata'];
    const n2 = ns('nocreate');
    const nc = cfg(n2, { apiKey: await apiKey('nocreate', noCreate) });
    const p = io();
    await testOutput(nc, p, nullLogger);
    assert.ok(
      p.lines.some((l) => /casguard setup would fail .*create_index/.test(l)),
      p.lines.join('\n'),
    );
    const f = io();
    assert.equal(await setupCluster(nc, f, nullLogger, defaultOwnFields()), 3, f.lines.join('\n'));

    // The writer key ships documents, alerts and new fields without a single refusal.
    const { sink, deadLetterDir } = openSink(url!, { ...writer, hosts: [url] });
    const settled = new Map<string, number>();
    await pushAll(sink, range(0, 200, `${n}-`), settled);
    await sink.flush();
    await sink.idle();
    await sink.close();
    assert.equal(settled.size, 200);
    assert.deepEqual(await readLetters(deadLetterDir), []);
  });

  it('finding 5: a replay across a rollover stores nothing twice', async () => {
    const n = ns('replay');
    const c = cfg(n);
    assert.equal(await setupCluster(c, io(), nullLogger, defaultOwnFields()), 0);
    const docs = [...range(0, 300, `${n}-`)].filter((d) => d.stream !== 'alerts');
    const first = openSink(url!, { ...c, hosts: [url] });
    await pushAll(first.sink, docs, new Map());
    await first.sink.flush();
    await first.sink.close();
    for (const st of ['activesync', 'application'] as const)
      await admin.indices.rollover({ alias: targetName(st, n) });
    await admin.indices.refresh({ index: [targetName('activesync', n), targetName('application', n)] });
    const second = openSink(url!, { ...c, hosts: [url] });
    const filter = new KnownIdsFilter(second.sink, {
      client: new Client(clientOptions(c)),
      targetFor: (d) => targetName(d.stream, n),
      logger: nullLogger,
    });
    for (const d of docs) if (!filter.push(d, () => undefined)) await filter.drain();
    await filter.flush();
    await filter.close();
    assert.equal(filter.skipped, docs.length);
    await admin.indices.refresh({ index: [targetName('activesync', n), targetName('application', n)] });
    let total = 0;
    for (const st of ['activesync', 'application'] as const)
      total += (await admin.count({ index: targetName(st, n) })).count;
    assert.equal(total, docs.length);
  });

  it('issue 16: requests naming their index in the URL (one stream, mixed, an alert first) store each document in its own target', async () => {
    const n = ns('urlindex');
    const c = cfg(n);
    assert.equal(await setupCluster(c, io(), nullLogger, defaultOwnFields()), 0);
    // 30 per batch: batches of activesync only (even documents), then mixed batches starting with each stream,
    // and one starting with an alert (sent by `index` to the alerts index, the events naming their streams).
    const single = [...range(0, 120, `${n}-s`)].filter((d) => d.stream === 'activesync');
    const mixed = [...range(0, 120, `${n}-m`)];
    const alertFirst = [makeDoc(9, `${n}-a`), ...range(10, 40, `${n}-a`)];
    const docs = [...single, ...mixed, ...alertFirst];
    const { sink, deadLetterDir } = openSink(url!, { ...c, hosts: [url], maxBatchDocs: 30 });
    const settled = new Map<string, number>();
    for (const batch of [single, mixed, alertFirst]) {
      await pushAll(sink, batch, settled);
      await sink.flush();
    }
    await sink.close();
    assert.deepEqual(await readLetters(deadLetterDir), []);
    assert.equal(settled.size, docs.length);
    const targets = (['activesync', 'application', 'alerts'] as const).map((s) => targetName(s, n));
    await admin.indices.refresh({ index: targets });
    for (const st of ['activesync', 'application', 'alerts'] as const) {
      const want = docs.filter((d) => d.stream === st).map((d) => d.id);
      const r = await admin.search({
        index: targetName(st, n),
        size: 1000,
        _source: false,
        query: { match_all: {} },
      });
      assert.deepEqual(r.hits.hits.map((h) => h._id).sort(), want.sort(), st);
    }
  });

  it('finding 6: with action.auto_create_index false, casguard templates still let a new stream and alerts index be created', async () => {
    // setup for one namespace installs the templates; the agent of another namespace writes first. Without
    // `allow_auto_create: true` in casguard's templates (they outrank the built-in `logs`), every item is a 404.
    const installed = ns('autosetup');
    assert.equal(await setupCluster(cfg(installed), io(), nullLogger, defaultOwnFields()), 0);
    const n = ns('autocreate');
    await admin.cluster.putSettings({ persistent: { 'action.auto_create_index': false } });
    try {
      const { sink, deadLetterDir } = openSink(url!, { ...cfg(n), hosts: [url] });
      const settled = new Map<string, number>();
      await pushAll(sink, range(0, 100, `${n}-`), settled);
      await sink.flush();
      await sink.idle();
      await sink.close();
      assert.deepEqual(await readLetters(deadLetterDir), []);
      assert.equal(settled.size, 100);
    } finally {
      await admin.cluster.putSettings({ persistent: { 'action.auto_create_index': null } });
    }
    await admin.indices.refresh({
      index: [targetName('activesync', n), targetName('application', n), targetName('alerts', n)],
    });
    let total = 0;
    for (const st of ['activesync', 'application', 'alerts'] as const)
      total += (await admin.count({ index: targetName(st, n) })).count;
    assert.equal(total, 100);
  });

  it('finding 8: a request over http.max_content_length is answered 413 from its headers alone', async (t) => {
    // What casguard's 413 handling (split the batch, bulk-refusals.test.ts) relies on and the test server models
    // (too-large.test.ts): the answer comes before the body, and the connection is then closed. Only the headers
    // and 64 KiB of a 100 MiB + 1 body (the default limit) are sent.
    const e = process.env;
    const target = new URL('/_bulk', url);
    const auth = e.CASGUARD_TEST_ES_API_KEY
      ? `ApiKey ${e.CASGUARD_TEST_ES_API_KEY}`
      : e.CASGUARD_TEST_ES_USERNAME
        ? `Basic ${Buffer.from(`${e.CASGUARD_TEST_ES_USERNAME}:${e.CASGUARD_TEST_ES_PASSWORD ?? ''}`).toString('base64')}`
        : undefined;
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const res = await new Promise<{
      status: number;
      headers: IncomingMessage['headers'];
      body: string;
      closed: boolean;
    }>((resolve, reject) => {
      const req = send(target, {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-ndjson',
          'content-length': String(100 * 1024 * 1024 + 1),
          // as casguard's client sends it (a kept-alive connection, no Expect: 100-continue)
          connection: 'keep-alive',
          ...(auth ? { authorization: auth } : {}),
        },
        ...(e.CASGUARD_TEST_ES_CA ? { ca: readFileSync(e.CASGUARD_TEST_ES_CA) } : {}),
        rejectUnauthorized: e.CASGUARD_TEST_ES_INSECURE !== '1',
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error('no answer within 20 s with the body unsent: the cluster waited for the body'));
      }, 20_000);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          clearTimeout(timer);
          // Closed by the server within 2 s of the answer, or left open?
          const sock = r.socket;
          if (sock.destroyed || sock.readableEnded)
            return resolve({
              status: r.statusCode!,
              headers: r.headers,
              body: Buffer.concat(chunks).toString(),
              closed: true,
            });
          const wait = setTimeout(() => {
            req.destroy();
            resolve({
              status: r.statusCode!,
              headers: r.headers,
              body: Buffer.concat(chunks).toString(),
              closed: false,
            });
          }, 2000);
          sock.once('close', () => {
            clearTimeout(wait);
            resolve({
              status: r.statusCode!,
              headers: r.headers,
              body: Buffer.concat(chunks).toString(),
              closed: true,
            });
          });
        });
      });
      req.write(Buffer.alloc(64 * 1024, 0x20));
    });
    t.diagnostic(
      `413 answer: connection ${res.headers.connection ?? '(no header)'}, closed by the server: ${res.closed}`,
    );
    assert.equal(res.status, 413, res.body);
    assert.equal(res.body, '');
    assert.equal(res.headers.connection, 'close');
    assert.equal(res.closed, true);
  });

  it('9.1+: the cluster answers a document it keeps in the failure store as casguard dead-letters it', async (t) => {
    if (!atLeast(9, 1)) {
      t.skip(`Elasticsearch ${version}: the failure store is GA from 9.1`);
      return;
    }
    // A stream of a template of its own with the failure store on (from 9.2 the built-in `logs` template turns it
    // on for logs-*-* streams made before setup). casguard's classification of this answer (201 + failure_store:
    // used → dead letter es.failure_store_used) is tested against the test server in bulk-refusals.test.ts; here
    // the answer's shape is checked on a real cluster.
    const tpl = `casguard_test_fs_${run}`;
    const stream = `casguardtest-fs-${run}`;
    try {
      await admin.indices.putIndexTemplate({
        name: tpl,
        index_patterns: [`casguardtest-fs-${run}*`],
        data_stream: {},
        priority: 500,
        template: {
          mappings: { properties: { host: { properties: { name: { type: 'keyword' } } } } },
          data_stream_options: { failure_store: { enabled: true } },
        } as never,
      });
      const r = await admin.bulk({
        operations: [
          { create: { _index: stream, _id: 'ok' } },
          { '@timestamp': ts, host: { name: 'cas01' } },
          { create: { _index: stream, _id: 'bad' } },
          { '@timestamp': ts, host: { name: { first: 'cas01' } } },
        ],
      });
      const item = r.items[1]!.create as {
        status: number;
        failure_store?: string;
        _index: string;
        error?: unknown;
      };
      assert.equal(item.status, 201, JSON.stringify(item));
      assert.equal(item.failure_store, 'used');
      assert.match(item._index, /^\.fs-/);
      assert.equal(item.error, undefined, 'no error in the item: the reason is in the failure document');
      assert.equal((r.items[0]!.create as { failure_store?: string }).failure_store, undefined);
    } finally {
      await admin.indices.deleteDataStream({ name: stream }).catch(() => undefined);
      await admin.indices.deleteIndexTemplate({ name: tpl }).catch(() => undefined);
    }
  });
});
