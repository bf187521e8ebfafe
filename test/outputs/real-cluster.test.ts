// Integration suite against a real Elasticsearch (8.x or 9.x). Runs only when CASGUARD_TEST_ES_URL is set:
//   CASGUARD_TEST_ES_URL=https://localhost:9200 CASGUARD_TEST_ES_API_KEY=... [CASGUARD_TEST_ES_CA=ca.pem]
//   (or CASGUARD_TEST_ES_USERNAME / CASGUARD_TEST_ES_PASSWORD; CASGUARD_TEST_ES_INSECURE=1 skips TLS checks)
//   node scripts/run-tests.mjs test/outputs/real-cluster
// Use a disposable cluster: it installs casguard's templates and ILM policy (the same names `casguard setup`
// uses) and writes to data streams of a random namespace, which it deletes at the end.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchOutputConfig } from '../../src/outputs/elasticsearch/elasticsearch.config.js';
import { clientOptions } from '../../src/outputs/elasticsearch/es-client.js';
import { targetName } from '../../src/outputs/elasticsearch/targets.js';
import { setupCluster, defaultOwnFields } from '../../src/cli/commands/setup-command.js';
import { testOutput } from '../../src/cli/commands/test-output-command.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { makeDoc, openSink, pushAll, range, readLetters } from './helpers.js';

const url = process.env.CASGUARD_TEST_ES_URL;

function cfg(namespace: string): ElasticsearchOutputConfig {
  const e = process.env;
  return ElasticsearchOutputConfig.parse({
    hosts: [url],
    namespace,
    ...(e.CASGUARD_TEST_ES_API_KEY ? { apiKey: e.CASGUARD_TEST_ES_API_KEY } : {}),
    ...(e.CASGUARD_TEST_ES_USERNAME
      ? { username: e.CASGUARD_TEST_ES_USERNAME, password: e.CASGUARD_TEST_ES_PASSWORD ?? '' }
      : {}),
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

describe('against a real Elasticsearch cluster', () => {
  if (!url) {
    it('is skipped', (t) => {
      console.log('real-cluster suite skipped: set CASGUARD_TEST_ES_URL (and credentials) to run it');
      t.skip('CASGUARD_TEST_ES_URL not set');
    });
    return;
  }
  const ns = `casguardtest${Date.now().toString(36)}`;
  const c = cfg(ns);

  it('sets up twice (nothing changes the second time), ships, dedups and dead-letters like the test server', async () => {
    const admin = new Client(clientOptions(c));
    try {
      const s1 = io();
      assert.equal(await setupCluster(c, s1, nullLogger, defaultOwnFields()), 0, s1.lines.join('\n'));
      const s2 = io();
      assert.equal(await setupCluster(c, s2, nullLogger, defaultOwnFields()), 0, s2.lines.join('\n'));
      assert.equal(s2.lines.at(-1), 'setup OK: everything was already in place', s2.lines.join('\n'));
      const t = io();
      assert.equal(await testOutput(c, t, nullLogger), 0, t.lines.join('\n'));

      const { sink, deadLetterDir } = openSink(url!, { ...c, hosts: [url] });
      const settled = new Map<string, number>();
      await pushAll(sink, range(0, 1000, `${ns}-`), settled);
      const bad = makeDoc(5000, `${ns}-`);
      bad.doc.http = { response: { status_code: 'not-a-number' } };
      sink.push({ ...bad, stream: 'activesync', op: 'create' }, () => settled.set(bad.id, 1));
      await sink.flush();
      // the same documents again: 409 on create = delivered, alerts replaced by id
      await pushAll(sink, range(0, 1000, `${ns}-`), new Map());
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
        index: [targetName('activesync', ns), targetName('application', ns), targetName('alerts', ns)],
      });
      let total = 0;
      for (const s of ['activesync', 'application', 'alerts'] as const) {
        total += (await admin.count({ index: targetName(s, ns) })).count;
      }
      assert.equal(total, 1000);
    } finally {
      await admin.indices
        .deleteDataStream({ name: [targetName('activesync', ns), targetName('application', ns)] })
        .catch(() => undefined);
      await admin.indices.delete({ index: targetName('alerts', ns) }).catch(() => undefined);
      await admin.close();
    }
  });
});
