// `casguard status` without a cluster (issue 14, fleet view): the local agent's own view from
// <dataDir>/status.json, when no Elasticsearch is configured, with --local, and when the cluster is unreachable
// (exit 3, saying why). The real CLI: one agent runs, then stops.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAgentCommand, startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const config = (es: boolean): string =>
  [
    'dataDir: ./data',
    'agent:',
    '  name: cas09',
    'inputs:',
    '  - id: logs',
    "    paths: ['./logs/*']",
    ...(es
      ? ['outputs:', '  elasticsearch:', "    hosts: ['http://127.0.0.1:1']", '    requestTimeoutMs: 2000']
      : []),
    'array:',
    '  statusIntervalMs: 1000',
    'metrics:',
    '  enabled: false',
    'logging:',
    '  file: false',
    '',
  ].join('\n');

describe('casguard status without a cluster', () => {
  let dir: string;
  let agent: AgentProcess | undefined;
  before(() => {
    dir = tempDir('cg-status-');
    mkdirSync(path.join(dir, 'logs'));
    writeFileSync(path.join(dir, 'es.yml'), config(true));
    writeFileSync(path.join(dir, 'local.yml'), config(false));
  });
  after(() => {
    if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows this host’s agent from its status file: cluster unreachable (exit 3), --local, none configured', async () => {
    const none = await runAgentCommand(['status', '-c', 'local.yml'], { cwd: dir });
    assert.equal(none.code, 3, none.stdout + none.stderr);
    assert.match(none.stdout, /no status yet: the agent has not run here/);

    agent = startAgent(['run', '-c', 'es.yml'], { cwd: dir });
    await agent.waitFor(/casguard started/, 90_000);
    await new Promise((r) => setTimeout(r, 1500)); // a status round

    const away = await runAgentCommand(['status', '-c', 'es.yml'], { cwd: dir });
    assert.equal(away.code, 3, away.stdout + away.stderr);
    assert.match(away.stderr, /cannot read the agents' status from Elasticsearch/);
    assert.match(away.stdout, /^cluster unreachable: this host's agent only \(.*status\.json\)$/m);
    assert.match(away.stdout, /^cas09\s+\S+\s+(starting|running|degraded)\s+\d+s ago\s/m);

    const local = await runAgentCommand(['status', '--local', '-c', 'es.yml'], { cwd: dir });
    assert.equal(local.code, 0, local.stdout + local.stderr);
    assert.match(local.stdout, /^--local: this host's agent only/m);

    agent.child.kill('SIGTERM');
    await agent.exited;
    const stopped = await runAgentCommand(['status', '--json', '-c', 'local.yml'], { cwd: dir });
    assert.equal(stopped.code, 0, stopped.stdout + stopped.stderr);
    const [me] = JSON.parse(stopped.stdout) as { name: string; state: string }[];
    assert.deepEqual([me?.name, me?.state], ['cas09', 'stopped']);
  });
});
