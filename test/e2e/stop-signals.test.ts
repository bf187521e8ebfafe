// Repeated stop signals (issue 17): a second SIGINT/SIGTERM during a graceful stop does not kill the agent, it
// says that the stop is under way; a third within a few seconds exits at once, saying so. The stop is made
// slow by an Elasticsearch that accepts connections and never answers (the stop waits ~2 s, then spools).
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

async function blackHole(): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

async function runningAgent(esUrl: string): Promise<AgentProcess> {
  const dir = tempDir('cg-signals-');
  copyFileSync(path.join(repoRoot, 'samples', 'u_ex130919.log'), path.join(dir, 'u_ex130919.log'));
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
      'metrics: { enabled: false }',
      '',
    ].join('\n'),
  );
  const agent = startAgent(['run', '-c', config], { cwd: dir });
  await agent.waitFor(/casguard started/, 30_000);
  await new Promise((r) => setTimeout(r, 500)); // documents in flight to the silent cluster
  return agent;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('stop signals', () => {
  it('a second signal during the stop does not kill it; the stop ends cleanly (exit 0)', async () => {
    const es = await blackHole();
    try {
      const agent = await runningAgent(es.url);
      agent.child.kill('SIGINT');
      agent.child.kill('SIGINT'); // the same keypress seen twice (process group + a forwarding wrapper)
      await sleep(1200);
      assert.equal(agent.child.exitCode, null, 'still stopping');
      agent.child.kill('SIGTERM');
      await agent.waitFor(/already stopping .*send SIGTERM again within 5 s to exit at once/, 5000);
      const code = await agent.exited;
      assert.equal(code, 0, agent.stderr);
      assert.match(agent.stderr, /casguard stopped/);
      assert.equal((agent.stderr.match(/already stopping/g) ?? []).length, 1);
    } finally {
      await es.close();
    }
  });

  it('a third signal soon after the second exits at once, saying so', async () => {
    const es = await blackHole();
    try {
      const agent = await runningAgent(es.url);
      agent.child.kill('SIGTERM');
      await sleep(1100);
      agent.child.kill('SIGTERM');
      await agent.waitFor(/already stopping/, 5000);
      agent.child.kill('SIGTERM');
      const code = await agent.exited;
      assert.equal(code, 3, agent.stderr);
      assert.match(agent.stderr, /SIGTERM again: exiting now without finishing the stop/);
    } finally {
      await es.close();
    }
  });
});
