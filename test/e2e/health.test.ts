// GET /health through the real agent (issue 17): degraded (503) with a reason per condition while the cluster
// refuses connections or answers 401, and while dead letters are being written; each condition is also a
// named log event and casguard_health_condition{condition} on /metrics.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { repoRoot, startAgent } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

interface Health {
  status: string;
  conditions?: Record<string, Record<string, unknown>>;
}

async function healthOf(
  esUrl: string,
  want: (h: Health) => boolean,
): Promise<{ health: Health; code: number; metrics: string; stderr: string }> {
  const dir = tempDir('cg-health-');
  copyFileSync(path.join(repoRoot, 'samples', 'u_ex130919.log'), path.join(dir, 'u_ex130919.log'));
  const sample = path.join(repoRoot, 'samples', 'u_ex130919.log');
  const head = readFileSync(sample, 'utf8').split('\n').slice(0, 4).join('\n');
  writeFileSync(path.join(dir, 'bad.log'), `${head}\nnot an IIS row\nnor this one\n`);
  const config = path.join(dir, 'casguard.yml');
  writeFileSync(
    config,
    [
      'dataDir: ./data',
      'inputs:',
      '  - id: iis',
      '    paths: ["./*.log"]',
      'outputs:',
      '  elasticsearch:',
      `    hosts: ["${esUrl}"]`,
      '  stdout: { alerts: false }',
      'metrics: { listen: "127.0.0.1:0" }',
      '',
    ].join('\n'),
  );
  const agent = startAgent(['run', '-c', config], { cwd: dir });
  try {
    await agent.waitFor(/metrics endpoint listening address=127\.0\.0\.1:\d+/, 30_000);
    const port = /metrics endpoint listening address=127\.0\.0\.1:(\d+)/.exec(agent.stderr)![1];
    const until = Date.now() + 20_000;
    for (;;) {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      const health = (await r.json()) as Health;
      if (want(health) || Date.now() > until) {
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return { health, code: r.status, metrics, stderr: agent.stderr };
      }
      await new Promise((res) => setTimeout(res, 300));
    }
  } finally {
    agent.child.kill('SIGTERM');
    await agent.exited;
  }
}

describe('/health', () => {
  it('is degraded while the cluster refuses connections and dead letters are written', async () => {
    const port = await closedPort();
    const r = await healthOf(
      `http://127.0.0.1:${port}`,
      (h) =>
        h.conditions?.['output:elasticsearch'] !== undefined && h.conditions['dead-letters'] !== undefined,
    );
    assert.equal(r.code, 503, JSON.stringify(r.health));
    assert.equal(r.health.status, 'degraded');
    assert.equal(r.health.conditions!['output:elasticsearch']!['state'], 'refused');
    assert.match(String(r.health.conditions!['output:elasticsearch']!['reason']), /ECONNREFUSED|refused/i);
    assert.ok(
      Number(r.health.conditions!['dead-letters']!['written']) >= 1,
      "Number(r.health.conditions!['dead-letters']!['written']) >= 1",
    );
    assert.match(r.metrics, /casguard_health_condition\{condition="output:elasticsearch"\} 1/);
    assert.match(r.metrics, /casguard_health_condition\{condition="dead-letters"\} 1/);
    assert.match(r.stderr, /event=output_refused/);
    assert.match(r.stderr, /event=dead_letters_growing/);
  });

  it('names a 401 loop as unauthorised', async () => {
    const es = await startEsTestServer({ auth: { username: 'elastic', password: 'right' } });
    try {
      const r = await healthOf(es.url, (h) => h.conditions?.['output:elasticsearch'] !== undefined);
      assert.equal(r.code, 503, JSON.stringify(r.health));
      assert.equal(r.health.conditions!['output:elasticsearch']!['state'], 'unauthorised');
      assert.equal(r.health.conditions!['output:elasticsearch']!['status'], 401);
      assert.match(r.stderr, /event=output_unauthorised/);
    } finally {
      await es.stop();
    }
  });
});
