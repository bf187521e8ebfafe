// Issue 13, finding 2, end to end: the real agent (`casguard run`) ships to a 9.x test server before anyone ran
// `setup`, so its streams are auto-created from Elasticsearch's built-in `logs` template (logsdb, the `logs` ILM
// policy, ignore_malformed true). `casguard setup`, run while the agent keeps running, reports each stream it
// rolled over, and the lines the agent reads afterwards land in a new backing index made from casguard's
// template (standard mode, casguard-logs, explicit mappings).

import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import type { EsTestServer } from '../es-server/es-test-server.js';
import { repoRoot, runAgentCommand, startAgent } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The IIS sample's request lines (not its `#` header lines): one document each. */
const SAMPLE_LINES = readFileSync(path.join(repoRoot, 'samples', 'u_ex130919.log'), 'utf8')
  .split(/\r?\n/)
  .filter((l) => l !== '' && !l.startsWith('#')).length;

const EAS = 'logs-exchange.activesync-default';
const APP = 'logs-exchange.application-default';

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function writeIndex(es: EsTestServer, stream: string): ReturnType<EsTestServer['cluster']['writeIndexOf']> {
  return es.cluster.writeIndexOf(es.cluster.dataStreams.get(stream)!);
}

describe('run before setup, then setup', () => {
  it('rolls the streams over while the agent runs; later documents land in a backing index with casguard mappings', async () => {
    const es = await startEsTestServer({ version: '9.1.0' });
    const cwd = tempDir('cg-run-before-setup-');
    mkdirSync(path.join(cwd, 'inbox'));
    const iis = path.join(cwd, 'inbox', 'u_ex130919.log');
    copyFileSync(path.join(repoRoot, 'samples', 'u_ex130919.log'), iis);
    copyFileSync(
      path.join(repoRoot, 'samples', 'Application-4999.xml'),
      path.join(cwd, 'inbox', 'Application-4999.xml'),
    );
    const env = { CASGUARD_ES_HOSTS: es.url };
    const agent = startAgent(['run'], { cwd, env });
    try {
      await agent.waitFor(/casguard started/, 60_000);
      await until(
        'the sample lines in Elasticsearch',
        () => es.docs(EAS).size >= SAMPLE_LINES && es.docs(APP).size >= 1,
      );
      const first = writeIndex(es, EAS);
      assert.equal(first.settings['index.lifecycle.name'], 'logs', 'auto-created from the built-in logs');
      assert.equal(first.settings['index.mode'], 'logsdb');

      const setup = await runAgentCommand(['setup'], { cwd, env });
      // The agent also wrote its KB 2851708 alerts: the alerts index, a regular index, was auto-created with
      // dynamic mappings and cannot roll over, so setup exits 3 and prints how to rebuild it (and only that).
      assert.equal(setup.code, 3, setup.stdout + setup.stderr);
      assert.deepEqual(
        setup.stderr
          .split('\n')
          .filter((l) => l.startsWith('NEEDS ACTION'))
          .map((l) => l.split(':')[0]),
        ['NEEDS ACTION index casguard-alerts-default'],
      );
      for (const s of [EAS, APP])
        assert.match(
          setup.stdout,
          new RegExp(
            `rolled over data stream ${s.replace(/\./g, '\\.')}: it was created from another template`,
          ),
        );
      const second = writeIndex(es, EAS);
      assert.notEqual(second.name, first.name);
      assert.equal(second.settings['index.lifecycle.name'], 'casguard-logs');
      assert.equal(second.settings['index.mode'], 'standard');

      // New lines in the log the agent tails: the agent, still running, ships them into the new write index.
      const last = readFileSync(iis, 'utf8').trimEnd().split('\n').at(-1)!;
      const more = [1, 2, 3].map((i) => last.replace('14:10:01', `14:1${i}:00`)).join('\r\n');
      appendFileSync(iis, `${more}\r\n`);
      await until('the new lines in the new write index', () =>
        es.documents(EAS).some((d) => d.index === second.name),
      );
      const landed = es.documents(EAS).filter((d) => d.index === second.name);
      assert.equal(landed.length, 3);
      // casguard's explicit mapping, not the dynamic or built-in one: status code long, command keyword.
      assert.equal(second.mapping.fields.get('http.response.status_code')?.type, 'long');
      assert.equal(second.mapping.fields.get('microsoft.exchange.activesync.command')?.type, 'keyword');
      assert.equal(es.documents(EAS).filter((d) => d.index === first.name).length, SAMPLE_LINES);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
      await es.stop();
    }
  });
});
