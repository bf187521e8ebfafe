// Issue 19 findings 2 and 5 where a user meets them: the real agent process with its data on a small disk
// that fills up (a real tmpfs; skipped with the reason where it cannot be mounted; test/outputs and
// test/telemetry run the same logic against an injected full disk everywhere).
// - The file output's folder fills up: the old agent acknowledged a partial write and then crashed with an
//   uncaught ENOSPC, leaving a corrupt line. Now it keeps running, /health says which path is paused, a stop
//   during the outage exits 0, and once space returns every line is in the output exactly once, whole.
// - The data folder fills up with the cluster up: the old agent died of the log rotator's ENOSPC (exit 1) at
//   every start. Now it keeps shipping to Elasticsearch.

import assert from 'node:assert/strict';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { repoRoot, startAgent } from '../helpers/agent-process.js';
import type { AgentProcess } from '../helpers/agent-process.js';
import { mountTmpfs } from '../helpers/tmpfs.js';
import { tempDir } from '../helpers/temp-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const IIS_HEADER = readFileSync(path.join(repoRoot, 'samples', 'u_ex130919.log'), 'utf8')
  .split('\r\n')
  .filter((l) => l.startsWith('#'))
  .join('\r\n');
const IIS_LINE = readFileSync(path.join(repoRoot, 'samples', 'u_ex130919.log'), 'utf8')
  .split('\r\n')
  .find((l) => l !== '' && !l.startsWith('#'))!;

/** `n` IIS lines, each a distinct second (so each is its own document). */
function iisLines(from: number, n: number): string {
  let out = '';
  for (let i = from; i < from + n; i++) {
    const t = new Date(Date.UTC(2013, 8, 19, 14, 0, 0) + i * 1000).toISOString();
    out += `${IIS_LINE.replace(/^\S+ \S+/, `${t.slice(0, 10)} ${t.slice(11, 19)}`)}\r\n`;
  }
  return out;
}

/** Ids of every line of the output, and whether every line is a whole document. */
function outputIds(dir: string): string[] {
  const ids: string[] = [];
  if (!existsSync(dir)) return ids;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ndjson'))) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    assert.ok(text === '' || text.endsWith('\n'), `${f} ends on a whole line`);
    for (const line of text.split('\n').filter((l) => l !== ''))
      ids.push((JSON.parse(line) as { _id: string })._id);
  }
  return ids;
}

async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms: number,
  agent?: AgentProcess,
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (agent && agent.child.exitCode !== null)
      assert.fail(
        `the agent exited (${agent.child.exitCode}) while waiting for ${what}\n${agent.stderr.slice(-2000)}`,
      );
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}\n${agent?.stderr.slice(-2000) ?? ''}`);
    await sleep(200);
  }
}

async function health(agent: AgentProcess): Promise<{ status: number; body: Record<string, unknown> }> {
  const addr = /metrics endpoint listening.*?address=(\S+)/.exec(agent.stderr)?.[1];
  assert.ok(addr, 'the metrics endpoint is listening');
  const res = await fetch(`http://${addr}/health`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('a full disk under the real agent', () => {
  it('file output folder full: no crash, /health degraded, a stop exits 0, every line once and whole after space returns', async (t) => {
    const fs = mountTmpfs(8 * 1024 * 1024);
    if ('skip' in fs) return t.skip(fs.skip);
    t.after(() => fs.unmount());
    const cwd = tempDir('cg-full-out-');
    mkdirSync(path.join(cwd, 'inbox'));
    const out = path.join(fs.dir, 'out');
    writeFileSync(
      path.join(cwd, 'casguard.yml'),
      [
        'dataDir: ./data',
        'inputs:',
        '  - id: iis',
        '    format: iis',
        "    paths: ['./inbox/*.log']",
        '    pollIntervalMs: 200',
        '    checkpointFlushMs: 200',
        'outputs:',
        '  file:',
        `    path: ${JSON.stringify(out)}`,
        '  stdout:',
        '    alerts: false',
        'detect:',
        '  enabled: false',
        'metrics:',
        '  enabled: true',
        "  listen: '127.0.0.1:0'",
        '',
      ].join('\n'),
    );
    const log = path.join(cwd, 'inbox', 'u_ex130919.log');
    writeFileSync(log, `${IIS_HEADER}\r\n${iisLines(0, 500)}`);
    const args = ['run', '--config', path.join(cwd, 'casguard.yml')];

    // Phase 1: the disk fills while the agent runs; space returns; it resumes by itself.
    let agent = startAgent(args, { cwd });
    await waitUntil('500 documents', () => outputIds(out).length >= 500, 60_000, agent);
    fs.fill();
    appendFileSync(log, iisLines(500, 1500));
    await waitUntil('the outage', () => /disk_outage_started/.test(agent.stderr), 30_000, agent);
    const h = await health(agent);
    assert.equal(h.status, 503);
    assert.ok((h.body['conditions'] as Record<string, unknown>)['disk:file-output'], JSON.stringify(h.body));
    const during = outputIds(out).length; // every line whole even now
    assert.ok(during < 2000, 'during < 2000');
    fs.free();
    await waitUntil('2,000 documents', () => outputIds(out).length >= 2000, 60_000, agent);
    assert.equal((await health(agent)).status, 200);

    // Phase 2: full again; a stop during the outage; space returns; a restart finishes the job.
    fs.fill();
    appendFileSync(log, iisLines(2000, 1000));
    await waitUntil(
      'the second outage',
      () => agent.stderr.split('disk_outage_started').length >= 3,
      30_000,
      agent,
    );
    agent.child.kill('SIGTERM');
    assert.equal(await agent.exited, 0, agent.stderr.slice(-2000));
    fs.free();
    agent = startAgent(args, { cwd });
    await waitUntil('3,000 documents', () => outputIds(out).length >= 3000, 60_000, agent);
    await sleep(1000);
    agent.child.kill('SIGTERM');
    assert.equal(await agent.exited, 0);

    const ids = outputIds(out);
    assert.equal(ids.length, 3000, 'every line exactly once');
    assert.equal(new Set(ids).size, 3000);
    assert.doesNotMatch(agent.stderr, /ENOSPC.*\n\s+at /, 'no stack trace');
  });

  it('data folder full with the cluster up: the agent keeps shipping (its log degrades to stderr)', async (t) => {
    const fs = mountTmpfs(4 * 1024 * 1024);
    if ('skip' in fs) return t.skip(fs.skip);
    t.after(() => fs.unmount());
    const es = await startEsTestServer();
    t.after(() => es.stop());
    const cwd = tempDir('cg-full-data-');
    mkdirSync(path.join(cwd, 'inbox'));
    for (const f of readdirSync(path.join(repoRoot, 'samples')))
      copyFileSync(path.join(repoRoot, 'samples', f), path.join(cwd, 'inbox', f));
    const dataDir = path.join(fs.dir, 'data');
    mkdirSync(dataDir);
    fs.fill();
    const agent = startAgent(['run'], {
      cwd,
      env: { CASGUARD_ES_HOSTS: es.url, CASGUARD_DATA_DIR: dataDir },
    });
    await waitUntil('documents in Elasticsearch', () => es.totalDocs() >= 240, 60_000, agent);
    await sleep(1500);
    assert.equal(agent.child.exitCode, null, 'still running');
    assert.match(agent.stderr, /disk_outage_started|cannot write its log file/);
    agent.child.kill('SIGTERM');
    assert.equal(await agent.exited, 0, agent.stderr.slice(-2000));
  });
});
