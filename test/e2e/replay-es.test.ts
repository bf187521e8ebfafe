// The agent as a backfill tool against the Elasticsearch test server over loopback: `setup`, `replay` of the
// sample logs (documents in their data streams, the KB 2851708 alerts in the alerts index), items the cluster
// rejects going to the dead-letter file with their reason (exit 4), and `replay --dead-letters` re-sending them
// once the cause is gone, without duplicating anything.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEsTestServer, type EsTestServer } from '../es-server/es-test-server.js';
import { repoRoot, runAgentCommand } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const samples = [
  'u_ex130919.log',
  'Application-4999.xml',
  'EASMailboxLog_johndoe_iPad_ApplDMPGH8DWDFJ3.txt',
].map((f) => path.join(repoRoot, 'samples', f));

describe('replay into Elasticsearch', () => {
  let es: EsTestServer;
  let cwd: string;
  let env: Record<string, string>;
  before(async () => {
    es = await startEsTestServer();
    cwd = tempDir('cg-replay-');
    env = { CASGUARD_ES_HOSTS: es.url, CASGUARD_DATA_DIR: path.join(cwd, 'data') };
  });
  after(async () => {
    await es.stop();
  });

  it('sets up the cluster, then a second setup changes nothing', async () => {
    const first = await runAgentCommand(['setup'], { cwd, env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /created/);
    const writes = es.writes.length;
    const second = await runAgentCommand(['setup'], { cwd, env });
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /\b(created|updated)\b/);
    assert.equal(es.writes.length, writes, 'no write request the second time');
  });

  it('test output reports every check as ok', async () => {
    const r = await runAgentCommand(['test', 'output'], { cwd, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /FAILED/);
  });

  it('ships the samples, dead-letters rejected items with their reason, and re-sends them once fixed', async () => {
    es.setFaults({ item400Rate: 0.05 });
    const first = await runAgentCommand(['replay', ...samples], { cwd, env });
    assert.equal(first.code, 4, `exit 4 when something was dead-lettered\n${first.stdout}\n${first.stderr}`);
    const dlq = readFileSync(path.join(cwd, 'data/dead-letter/dead-letter.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(dlq.length > 0, 'dlq.length > 0');
    for (const letter of dlq) {
      assert.equal(letter.stage, 'output');
      assert.equal(letter.status, 400);
      assert.equal(letter.code, 'es.document_parsing_exception');
      assert.match(letter.reason, /failed to parse field/);
      assert.ok(letter.document?.id && letter.target, 'letter.document?.id && letter.target');
    }
    const storedBefore = es.totalDocs();

    es.setFaults({});
    const again = await runAgentCommand(['replay', '--dead-letters'], { cwd, env });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(
      again.stdout,
      new RegExp(`${dlq.length} document\\(s\\) re-sent, ${dlq.length} stored, 0 refused again`),
    );
    const eas = es.docs('logs-exchange.activesync-default');
    const app = es.docs('logs-exchange.application-default');
    assert.equal(eas.size, 720 + 2, 'every IIS line and mailbox-log entry exactly once');
    assert.equal(app.size, 2);
    assert.equal(es.totalDocs(), storedBefore + new Set(dlq.map((d) => d.document.id)).size);

    // A second full replay re-sends the same ids: answered 409, stored once.
    const third = await runAgentCommand(['replay', ...samples], { cwd, env });
    assert.equal(third.code, 0, third.stderr);
    assert.equal(es.docs('logs-exchange.activesync-default').size, 722);
    const alerts = [...es.docs('casguard-alerts-default').values()] as {
      rule?: { id?: string };
      event?: { kind?: string };
    }[];
    const rules = new Set(alerts.map((a) => a.rule?.id));
    assert.ok(rules.size >= 3, `alerts of several KB 2851708 rules: ${[...rules].join(', ')}`);
    assert.ok(
      alerts.every((a) => a.event?.kind === 'alert'),
      "alerts.every((a) => a.event?.kind === 'alert')",
    );
  });
});
