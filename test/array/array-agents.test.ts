// Issue 14, end to end: 4 real agent processes (the CLI, one per CAS host of a load-balanced array) tail their
// host's share of one hour of round-robin traffic while it is being written, all shipping at once to the test
// server. The alerts index must hold exactly one document per storm and rule, whose count, first and last seen
// equal what a single agent reading every host's files computes, naming every host the storm touched, with no
// benign device in any alert; the same final documents when one agent is SIGKILLed mid-run and restarted and the
// cluster is down for a while mid-run; replaying one host's files changes no count; `casguard status` lists the 4
// agents with their lag and shows a stopped agent as stale after three status intervals.
//
// The cluster is down for the 30 s (CASGUARD_TEST_DOWN_MS shortens it for a quick local run: with the
// retry backoff capped at 1 s in this test's configuration, 8 s already spans several failed rounds of bulk,
// merge and status writes).
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { finalAlerts, runPipeline } from '../detect/pipeline-runner.js';
import { startEsTestServer, type EsTestServer } from '../es-server/es-test-server.js';
import { runAgentCommand, startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { generateArrayScenario, HOSTS, type ArrayScenario } from './array-scenario.js';
import { tempDir } from '../helpers/temp-dir.js';

const DOWN_MS = Number(process.env['CASGUARD_TEST_DOWN_MS'] ?? 30_000);
const CHUNKS = 8;
const STATUS_INTERVAL_MS = 1000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

interface AlertSummary {
  count: number;
  first: string;
  last: string;
  devices: string[];
  hosts: string[];
  byHost: Record<string, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: () => string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await sleep(200);
  }
}

/** One agent's folder: config, logs folder (the tailed files), data folder. */
function hostDir(root: string, host: string, esUrl: string): { dir: string; config: string; logs: string } {
  const dir = path.join(root, host);
  const logs = path.join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const config = path.join(dir, 'casguard.yml');
  writeFileSync(
    config,
    [
      'dataDir: ./data',
      'agent:',
      `  name: ${host}`,
      'timezone: UTC',
      'inputs:',
      '  - id: logs',
      '    format: auto',
      `    paths: ['${logs.replace(/\\/g, '/')}/*']`,
      '    startAt: beginning',
      '    pollIntervalMs: 200',
      '    rescanIntervalMs: 500',
      '    exportSettleMs: 500',
      '    checkpointFlushMs: 300',
      'outputs:',
      '  elasticsearch:',
      `    hosts: ['${esUrl}']`,
      '    flushIntervalMs: 200',
      '    retry: { initialDelayMs: 200, maxDelayMs: 1000 }',
      '  stdout:',
      '    alerts: false',
      'array:',
      `  statusIntervalMs: ${STATUS_INTERVAL_MS}`,
      'metrics:',
      '  enabled: false',
      'logging:',
      '  console: pretty',
      '  file: false',
      '',
    ].join('\n'),
  );
  return { dir, config, logs };
}

/** The alerts index, one summary per (rule, key); fails on a second document for the same rule and key. */
function alertsOf(es: EsTestServer): Map<string, AlertSummary> {
  const out = new Map<string, AlertSummary>();
  for (const src of es.docs('casguard-alerts-default').values()) {
    const d = src as Loose;
    const a = d['casguard'].alert;
    const name = `${d['rule'].id} ${a.key}`;
    assert.ok(!out.has(name), `a second alert document for ${name}`);
    const byHost: Record<string, number> = {};
    for (const b of a.by_host ?? []) byHost[b.agent_name] = b.count;
    out.set(name, {
      count: a.count,
      first: a.first_seen,
      last: a.last_seen,
      devices: a.devices,
      hosts: a.hosts,
      byHost,
    });
  }
  return out;
}

function singleHostReference(scn: ArrayScenario): Map<string, Loose> {
  const r = runPipeline(scn.files, builtinRules(), { order: 'live' });
  assert.equal(r.deadLetters, 0);
  const m = new Map<string, Loose>();
  for (const a of finalAlerts(r.alerts).values()) {
    const d = a.doc as Loose;
    m.set(`${d['rule'].id} ${d['casguard'].alert.key}`, d['casguard'].alert);
  }
  return m;
}

interface Fleet {
  es: EsTestServer;
  dirs: ReturnType<typeof hostDir>[];
  agents: (AgentProcess | undefined)[];
}

async function startFleet(root: string, scn: ArrayScenario): Promise<Fleet> {
  const es = await startEsTestServer();
  const dirs = HOSTS.map((h) => hostDir(root, h, es.url));
  scn.hosts.forEach((hf, i) => {
    writeFileSync(path.join(dirs[i]!.logs, hf.eventsName), hf.eventsXml);
    writeFileSync(path.join(dirs[i]!.logs, hf.iisName), hf.iisHeader.map((l) => `${l}\r\n`).join(''));
  });
  const agents = dirs.map((d) => startAgent(['run', '-c', d.config], { cwd: d.dir }));
  await Promise.all(agents.map((a) => a.waitFor(/casguard started/, 90_000)));
  return { es, dirs, agents };
}

function appendChunk(scn: ArrayScenario, fleet: Fleet, k: number): void {
  scn.hosts.forEach((hf, i) => {
    const per = Math.ceil(hf.iisLines.length / CHUNKS);
    const part = hf.iisLines.slice(k * per, (k + 1) * per);
    if (part.length > 0)
      appendFileSync(path.join(fleet.dirs[i]!.logs, hf.iisName), part.map((l) => `${l}\r\n`).join(''));
  });
}

/**
 * For a failure message: records stored more than once (the same agent, file and offset under several ids), with
 * the agent ids and offsets involved, so a failed run says where the extra documents came from.
 */
function storedTwice(es: EsTestServer): string {
  const byRecord = new Map<string, { ids: string[]; agentIds: Set<string> }>();
  for (const [id, doc] of es.docs('logs-exchange.activesync-default')) {
    const d = (doc ?? {}) as {
      agent?: { name?: string; id?: string };
      log?: { file?: { path?: string }; offset?: number };
    };
    const k = `${d.agent?.name} ${path.basename(d.log?.file?.path ?? '?')}@${d.log?.offset}`;
    const e = byRecord.get(k) ?? { ids: [], agentIds: new Set<string>() };
    e.ids.push(id);
    if (d.agent?.id) e.agentIds.add(d.agent.id);
    byRecord.set(k, e);
  }
  const twice = [...byRecord].filter(([, e]) => e.ids.length > 1);
  if (twice.length === 0) return 'no record stored twice';
  const offsets = twice.map(([k]) => k);
  return (
    `${twice.length} records stored under several ids, e.g. ${offsets.slice(0, 3).join(', ')} … ${offsets.at(-1)}; ` +
    `agent ids of the first: ${[...twice[0]![1].agentIds].join(', ')}`
  );
}

async function everythingShipped(scn: ArrayScenario, es: EsTestServer): Promise<void> {
  await until(
    () =>
      `${scn.easDocs} ActiveSync and ${scn.appDocs} application documents (have ${es.docs('logs-exchange.activesync-default').size} and ${es.docs('logs-exchange.application-default').size}; ${storedTwice(es)})`,
    () =>
      es.docs('logs-exchange.activesync-default').size === scn.easDocs &&
      es.docs('logs-exchange.application-default').size === scn.appDocs,
    180_000,
  );
}

async function stopAgent(a: AgentProcess | undefined): Promise<void> {
  if (!a || a.child.exitCode !== null) return;
  a.child.kill('SIGTERM');
  const code = await a.exited;
  assert.equal(code, 0, `agent exit ${code}\n${a.stderr.slice(-2000)}`);
}

describe('array of 4 agents, one alert per storm', () => {
  let scn: ArrayScenario;
  let reference: Map<string, Loose>;
  let root: string;
  let clean: Fleet | undefined;
  let faulty: Fleet | undefined;
  let cleanAlerts: Map<string, AlertSummary>;

  before(() => {
    scn = generateArrayScenario();
    reference = singleHostReference(scn);
    root = tempDir('cg-array-');
  });

  after(async () => {
    for (const f of [clean, faulty]) {
      if (!f) continue;
      for (const a of f.agents) if (a && a.child.exitCode === null) a.child.kill('SIGKILL');
      await f.es.stop();
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('4 agents ship their hosts’ traffic as it is written; status lists the 4 with their lag', async () => {
    clean = await startFleet(path.join(root, 'clean'), scn);
    for (let k = 0; k < CHUNKS; k++) {
      appendChunk(scn, clean, k);
      await sleep(400);
    }
    await everythingShipped(scn, clean.es);
    await sleep(2 * STATUS_INTERVAL_MS); // a status round after the last record
    const r = await runAgentCommand(['status', '-c', clean.dirs[0]!.config], { cwd: clean.dirs[0]!.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /array default: 4 agents \(casguard-agents-default\)/);
    assert.match(r.stdout, /AGENT\s+ID\s+STATE\s+LAST SEEN\s+FILES\s+LAG\s+LAG S/);
    for (const h of HOSTS)
      assert.match(
        r.stdout,
        new RegExp(`^${h}\\s+\\S+\\s+running\\s+\\d+s ago\\s+2\\s+\\d+ B\\s+\\d+\\s`, 'm'),
      );
    assert.doesNotMatch(r.stdout, /STALE/);
    // Everything read: what is left is at most the line end after the last event of the XML export (its framer
    // commits up to the end of the last <Event>).
    const j = await runAgentCommand(['status', '--json', '-c', clean.dirs[0]!.config], {
      cwd: clean.dirs[0]!.dir,
    });
    const agents = JSON.parse(j.stdout) as { name: string; lagBytes: number; files: number }[];
    assert.deepEqual(
      agents.map((a) => a.name),
      [...HOSTS],
    );
    for (const a of agents) assert.ok(a.lagBytes <= 2 && a.files === 2, `${a.name}: lag ${a.lagBytes} B`);
  });

  it('a stopped agent is shown stale after three status intervals, the others not', async () => {
    await stopAgent(clean!.agents[3]);
    await sleep(3 * STATUS_INTERVAL_MS + 1500);
    const r = await runAgentCommand(['status', '-c', clean!.dirs[0]!.config], { cwd: clean!.dirs[0]!.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /array default: 4 agents, 1 stale/);
    assert.match(r.stdout, /^cas04\s+\S+\s+stopped\s.*STALE \(silent \d+s > 3 × 1s\)$/m);
    for (const h of HOSTS.slice(0, 3))
      assert.match(r.stdout, new RegExp(`^${h}\\s+\\S+\\s+running\\s.*ok$`, 'm'));
    for (const a of clean!.agents) await stopAgent(a);
  });

  it('one alert document per storm and rule, with the single-host count, naming all 4 hosts', () => {
    cleanAlerts = alertsOf(clean!.es);
    assert.deepEqual([...cleanAlerts.keys()].sort(), [...reference.keys()].sort());
    for (const [name, want] of reference) {
      const got = cleanAlerts.get(name)!;
      assert.equal(got.count, want['count'], `${name}: count`);
      assert.equal(got.first, want['first_seen'], `${name}: first seen`);
      assert.equal(got.last, want['last_seen'], `${name}: last seen`);
    }
    // Every storm reaches the device rules with all 4 hosts and a share from each agent; the storm rule raises
    // all but the storm below the threshold even in sum (60), including the 160 that only the sum raises.
    for (const s of scn.storms) {
      for (const rule of ['kb2851708-provision-storm', 'kb2851708-provision-exception']) {
        const name = `${rule} device.id=${s.device}`;
        const got = cleanAlerts.get(name);
        if (rule === 'kb2851708-provision-storm' && s.requests < 100) {
          assert.equal(got, undefined, `${name} is below the threshold even in sum`);
          continue;
        }
        if (rule === 'kb2851708-provision-exception' && !s.withException) {
          assert.equal(got, undefined, `${name}: no exception logged`);
          continue;
        }
        assert.ok(got, `${name} alerted`);
        assert.equal(got.count, s.requests, name);
        assert.deepEqual(got.hosts, [...HOSTS], `${name}: hosts`);
        assert.deepEqual(Object.keys(got.byHost).sort(), [...HOSTS], `${name}: per-host breakdown`);
        assert.equal(
          Object.values(got.byHost).reduce((n, c) => n + c, 0),
          s.requests,
          `${name}: the breakdown adds up`,
        );
      }
    }
    assert.ok(cleanAlerts.has('kb2851708-provision-storm device.id=ApplSTORM0160DDD4'), '160 in 40 minutes');
    for (const [name, a] of cleanAlerts)
      for (const b of scn.benignDevices) assert.ok(!a.devices.includes(b), `${name} names benign ${b}`);
  });

  it('replaying one host’s files again changes no count', async () => {
    const d = clean!.dirs[0]!;
    const r = await runAgentCommand(
      [
        'replay',
        '-c',
        d.config,
        path.join(d.logs, scn.hosts[0]!.iisName),
        path.join(d.logs, scn.hosts[0]!.eventsName),
      ],
      { cwd: d.dir },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const again = alertsOf(clean!.es);
    assert.deepEqual(again, cleanAlerts);
  });

  it('the same final alert documents with an agent SIGKILLed and restarted and the cluster down mid-run', async () => {
    faulty = await startFleet(path.join(root, 'faulty'), scn);
    const f = faulty;
    let restarted: Promise<void> | undefined;
    for (let k = 0; k < CHUNKS; k++) {
      appendChunk(scn, f, k);
      if (k === 2) {
        await sleep(300); // mid-chunk: some of it read, some not
        f.agents[1]!.child.kill('SIGKILL');
        assert.equal(await f.agents[1]!.exited, 'SIGKILL');
      }
      if (k === 3) await f.es.down();
      if (k === 4) {
        // restarted while the cluster is away: it must start and detect alone
        f.agents[1] = startAgent(['run', '-c', f.dirs[1]!.config], { cwd: f.dirs[1]!.dir });
        restarted = f.agents[1].waitFor(/casguard started/, 90_000);
        await restarted;
        await sleep(Math.max(0, DOWN_MS - 2 * 400));
        await f.es.up();
      }
      await sleep(400);
    }
    await restarted;
    await everythingShipped(scn, f.es);
    await sleep(1500); // the merges retried after the outage settle
    for (const a of f.agents) await stopAgent(a);
    const got = alertsOf(f.es);
    assert.deepEqual([...got.keys()].sort(), [...cleanAlerts.keys()].sort());
    for (const [name, want] of cleanAlerts) {
      const g = got.get(name)!;
      assert.equal(g.count, want.count, `${name}: count`);
      assert.equal(g.first, want.first, `${name}: first seen`);
      assert.equal(g.last, want.last, `${name}: last seen`);
      assert.deepEqual(g.hosts, want.hosts, `${name}: hosts`);
      assert.deepEqual(g.byHost, want.byHost, `${name}: per-host breakdown`);
      assert.deepEqual(g.devices, want.devices, `${name}: devices`);
    }
  });
});
