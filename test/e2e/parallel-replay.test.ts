// `casguard replay --workers N` (worker threads frame, parse, normalize, enrich and serialize; detection,
// outputs and acknowledgements stay on the main thread) against `--workers 1` (everything on the main thread),
// through the real CLI: every golden input of every format, EVTX files and the KB 2851708 scenario must give
// byte-identical output files (documents, ids, alert documents, in the same order) and the same dead letters;
// through the Elasticsearch test server, the same bulk bodies (but for event.ingested) and stored documents,
// with and without the stream constants (sendStreamConstants), and a second replay stores nothing twice.
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEsTestServer, type EsTestServer } from '../es-server/es-test-server.js';
import { bulkItems } from '../es-server/bulk.js';
import { repoRoot, runAgentCommand } from '../helpers/agent-process.js';
import { generateScenario } from '../detect/scenario.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Every golden input (not the expectations), plus EVTX files (binary framing). */
function goldenInputs(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else if (!/\.(expected\.json|md|py)$/.test(name.name)) out.push(p);
    }
  };
  walk(path.join(repoRoot, 'test/golden/eas'));
  walk(path.join(repoRoot, 'test/golden/windows'));
  for (const f of ['Application.evtx', 'MSExchange_Management_wec.evtx'])
    out.push(path.join(repoRoot, 'test/fixtures/evtx', f));
  return out.sort();
}

interface Run {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
  /** Output files' contents by stream (rotated files and the current one, in name order). */
  readonly out: Map<string, string>;
  /** Dead letters without their time (when they were written). */
  readonly deadLetters: string[];
}

/** One `casguard replay` with its own data folder (the same agent id for every run) and file output. */
async function replay(
  dir: string,
  name: string,
  files: readonly string[],
  workers: number,
  inputOptions: string[] = [],
): Promise<Run> {
  const home = path.join(dir, name);
  mkdirSync(path.join(home, 'data'), { recursive: true });
  // The same agent.id in every run (documents carry it).
  const meta = path.join(dir, 'meta.json');
  if (existsSync(meta)) copyFileSync(meta, path.join(home, 'data', 'meta.json'));
  const config = path.join(home, 'casguard.yml');
  writeFileSync(
    config,
    [
      `dataDir: ${JSON.stringify(path.join(home, 'data'))}`,
      'timezone: UTC',
      'inputs:',
      '  - id: golden',
      `    paths: [${JSON.stringify(path.join(home, 'unused.log'))}]`,
      ...inputOptions.map((o) => `    ${o}`),
      'outputs:',
      '  file:',
      `    path: ${JSON.stringify(path.join(home, 'out'))}`,
      '  stdout:',
      '    alerts: false',
      'metrics:',
      '  enabled: false',
      '',
    ].join('\n'),
  );
  const r = await runAgentCommand(
    ['replay', '--no-progress', '--config', config, '--workers', String(workers), ...files],
    { cwd: home },
  );
  if (!existsSync(meta)) copyFileSync(path.join(home, 'data', 'meta.json'), meta);
  const out = new Map<string, string>();
  const outDir = path.join(home, 'out');
  for (const f of existsSync(outDir) ? readdirSync(outDir).sort() : []) {
    const stream = f.split(/[-.]/)[0]!;
    out.set(stream, (out.get(stream) ?? '') + readFileSync(path.join(outDir, f), 'utf8'));
  }
  const dlq = path.join(home, 'data', 'dead-letter', 'dead-letter.ndjson');
  const deadLetters = existsSync(dlq)
    ? readFileSync(dlq, 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const { time: _time, ...rest } = JSON.parse(l) as Record<string, unknown>;
          return JSON.stringify(rest);
        })
    : [];
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, out, deadLetters };
}

function assertSame(one: Run, many: Run): void {
  assert.equal(
    many.code,
    one.code,
    `exit codes\n${one.stdout}${one.stderr}\n---\n${many.stdout}${many.stderr}`,
  );
  assert.match(many.stdout, /; 2 worker threads/, 'the records went through the worker threads');
  assert.doesNotMatch(one.stdout, /worker threads/);
  assert.deepEqual([...many.out.keys()], [...one.out.keys()]);
  for (const [stream, text] of one.out) {
    const other = many.out.get(stream)!;
    // A readable first difference before the byte comparison.
    const a = text.split('\n');
    const b = other.split('\n');
    const i = a.findIndex((l, k) => l !== b[k]);
    assert.equal(i, -1, `${stream}: line ${i + 1} differs\n${a[i]}\n${b[i]}`);
    assert.ok(Buffer.from(other).equals(Buffer.from(text)), `${stream}: byte-identical`);
  }
  assert.deepEqual(many.deadLetters, one.deadLetters);
}

describe('replay with worker threads', () => {
  it('writes the same documents, ids and dead letters as one thread for every golden input', async () => {
    const dir = tempDir('cg-parallel-golden-');
    try {
      const files = goldenInputs();
      const one = await replay(dir, 'one', files, 1);
      const many = await replay(dir, 'many', files, 2);
      assertSame(one, many);
      const events = [...one.out].filter(([s]) => s !== 'alerts').map(([, t]) => t.split('\n').length - 1);
      const made = events.reduce((a, b) => a + b, 0);
      assert.ok(made > 100, `the golden inputs made documents (${made}; ${[...one.out.keys()].join(', ')})`);
      assert.ok(one.deadLetters.length > 0, 'the malformed samples made dead letters');
      // Input options the workers must honour as the main thread does.
      const options = ['easLogTokens: true', 'preserveOriginalEvent: true'];
      const oneOpts = await replay(dir, 'one-options', files, 1, options);
      const manyOpts = await replay(dir, 'many-options', files, 2, options);
      assertSame(oneOpts, manyOpts);
      assert.notEqual(
        oneOpts.out.get('activesync'),
        one.out.get('activesync'),
        'the options changed documents',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('raises the same alerts from the same documents for the KB 2851708 scenario', async () => {
    const dir = tempDir('cg-parallel-kb-');
    try {
      const scn = generateScenario(300);
      mkdirSync(path.join(dir, 'logs'));
      const files = scn.files.map((f) => {
        const p = path.join(dir, 'logs', f.name);
        writeFileSync(p, f.text);
        return p;
      });
      const one = await replay(dir, 'one', files, 1);
      const many = await replay(dir, 'many', files, 2);
      assertSame(one, many);
      const alerts = (one.out.get('alerts') ?? '').trim().split('\n');
      assert.ok(alerts.length >= 3, `the scenario raises alerts (got ${alerts.length})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a --workers value that is not a number from 1 to 64 or auto', async () => {
    const r = await runAgentCommand(
      ['replay', '--workers', '0', path.join(repoRoot, 'samples/u_ex130919.log')],
      {
        cwd: tmpdir(),
        env: { CASGUARD_DATA_DIR: tempDir('cg-parallel-usage-') },
      },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--workers must be 'auto' or a number from 1 to 64/);
  });
});

describe('replay with worker threads into Elasticsearch', () => {
  const servers: EsTestServer[] = [];
  let dir: string;
  before(async () => {
    for (let i = 0; i < 4; i++) servers.push(await startEsTestServer({ keepBulkBodies: true }));
    dir = tempDir('cg-parallel-es-');
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the same documents and alerts as one thread, and a second replay stores nothing twice', async () => {
    const scn = generateScenario(120);
    mkdirSync(path.join(dir, 'logs'));
    const files = scn.files.map((f) => {
      const p = path.join(dir, 'logs', f.name);
      writeFileSync(p, f.text);
      return p;
    });
    const data = path.join(dir, 'data');
    // The stream constants sent (sendStreamConstants: true): the workers' whole-document shape goes to Elasticsearch.
    const withConstants = path.join(dir, 'constants.yml');
    writeFileSync(
      withConstants,
      [
        'inputs:',
        '  - id: logs',
        `    paths: [${JSON.stringify(path.join(dir, 'unused.log'))}]`,
        'outputs:',
        '  elasticsearch:',
        '    sendStreamConstants: true',
        '',
      ].join('\n'),
    );
    const run = async (es: EsTestServer, workers: number, constants = false): Promise<string> => {
      const env = {
        CASGUARD_ES_HOSTS: es.url,
        CASGUARD_DATA_DIR: data,
        ...(constants ? { CASGUARD_CONFIG: withConstants } : {}),
      };
      const setup = await runAgentCommand(['setup'], { cwd: dir, env });
      assert.equal(setup.code, 0, setup.stderr);
      const r = await runAgentCommand(['replay', '--no-progress', '--workers', String(workers), ...files], {
        cwd: dir,
        env,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      return r.stdout;
    };
    // The same data folder: the same agent id for both runs.
    await run(servers[0]!, 1);
    assert.match(await run(servers[1]!, 2), /; 2 worker threads/);
    const names = ['logs-exchange.activesync-default', 'logs-exchange.application-default'];
    const alertsIndex = [...servers[0]!.indices.keys()].find((n) => n.includes('alerts'));
    assert.ok(alertsIndex, 'an alerts index');
    const stored = (es: EsTestServer, name: string): Map<string, string> => {
      const m = new Map<string, string>();
      for (const [id, src] of es.docs(name)) {
        const s = structuredClone(src) as {
          event?: Record<string, unknown>;
          casguard?: { alert?: Record<string, unknown> };
        } | null;
        delete s?.event?.['ingested']; // when the output handed it over
        // How many array merges wrote the alert: depends on how the batches fell in time, not on detection
        // (two single-threaded runs differ in it too).
        delete s?.casguard?.alert?.['merge_seq'];
        m.set(id, JSON.stringify(s));
      }
      return m;
    };
    for (const name of [...names, alertsIndex]) {
      const a = stored(servers[0]!, name);
      const b = stored(servers[1]!, name);
      assert.ok(a.size > 0, `${name} holds documents`);
      assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), `${name}: the same ids`);
      for (const [id, src] of a) assert.equal(b.get(id), src, `${name} ${id}`);
    }
    // The bytes sent: each event document's index (named by its action line or by the request's URL), action
    // and source lines, event.ingested (when the output handed it over) taken out. Sorted: two requests in
    // flight may arrive in either order, and batches may be cut at other documents.
    const sent = (es: EsTestServer): string[] => {
      const pairs: string[] = [];
      for (const it of bulkItems(es.bulkRequests)) {
        if (!/^logs-exchange\.(activesync|application)-/.test(it.index)) continue;
        assert.match(it.source, /"ingested":"\d{4}-\d\d-\d\dT[^"]*"/, 'event.ingested is set');
        pairs.push(`${it.index} ${it.op} ${it.id}\n${it.source.replace(/,?"ingested":"[^"]*"/, '')}`);
      }
      return pairs.sort();
    };
    const oneSent = sent(servers[0]!);
    assert.ok(oneSent.length > 100, `event documents were sent (${oneSent.length})`);
    assert.deepEqual(sent(servers[1]!), oneSent, 'the same bulk lines as one thread');
    // By default the stream constants are left out of both (mapped as constant_keyword).
    for (const pair of oneSent) assert.doesNotMatch(pair, /"dataset":"exchange\./);
    await run(servers[2]!, 1, true);
    assert.match(await run(servers[3]!, 2, true), /; 2 worker threads/);
    const constantsSent = sent(servers[2]!);
    assert.equal(constantsSent.length, oneSent.length);
    for (const pair of constantsSent)
      assert.match(pair, /"data_stream":\{"type":"logs","dataset":"exchange\./);
    assert.deepEqual(sent(servers[3]!), constantsSent, 'the same bulk lines as one thread, constants sent');
    // event.ingested was set on the parallel path's documents too.
    const some = [...servers[1]!.docs(names[0]!).values()][0] as { event: Record<string, unknown> };
    assert.match(String(some.event['ingested']), /^\d{4}-\d\d-\d\dT/);
    // Exactly once: a second parallel replay finds every id stored and stores nothing again.
    const before = servers[1]!.totalDocs();
    const again = await run(servers[1]!, 2);
    assert.match(again, /; 2 worker threads/);
    assert.equal(servers[1]!.totalDocs(), before);
  });
});
