// No secret leaves the host (issue 19). Secrets are generated in every carrier and encoding (secret-carriers.ts:
// IIS query, cookies, Authorization and user agent columns; HttpProxy CSV columns; mailbox-log headers and XML
// bodies; Windows event data in wevtutil XML, Event Viewer CSV and UTF-16 TXT, PowerShell JSON and EVTX; records
// malformed on purpose so they become dead letters), the real agent runs through its CLI (`setup`, `replay`,
// `run` with the cluster first down and then up, `test output`), with the file output, the dead-letter file,
// its own log at debug level, stdout/stderr and the Elasticsearch output to the project's test server, which
// rejects a share of documents so that output dead letters exist too. Then every byte under the data folders,
// every request body the cluster received (through a recording proxy), every stored document and every printed
// line is searched for every secret in every form a leak would take (as written, percent-encoded, inside base64
// at any alignment). The Elasticsearch password and API key are among the secrets.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { startEsTestServer, type EsTestServer } from '../es-server/es-test-server.js';
import { runAgentCommand, startAgent } from '../helpers/agent-process.js';
import { generateInputs, leakForms, Secrets } from './secret-carriers.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Documents and parse/framing dead letters each input file must give (so no carrier is skipped unseen). */
const EXPECTED: Record<string, { docs: number; deadLetters: number }> = {
  'u_ex130919.log': { docs: 8, deadLetters: 3 },
  'HttpProxy_2013091914-1.LOG': { docs: 1, deadLetters: 1 },
  'EASMailboxLog_johndoe_iPad.txt': { docs: 1, deadLetters: 1 },
  'Application-wevtutil.xml': { docs: 2, deadLetters: 1 },
  'Application-eventviewer.csv': { docs: 1, deadLetters: 1 },
  'Application-eventviewer.txt': { docs: 1, deadLetters: 0 },
  'Application-powershell.json': { docs: 1, deadLetters: 1 },
  'Application.evtx': { docs: 1, deadLetters: 0 },
};

/** A loopback proxy in front of the test server that keeps every request body (gunzipped). */
async function recordingProxy(
  target: string,
): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      bodies.push((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('latin1'));
      const fwd = http.request(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', () => {
        res.destroy();
      });
      fwd.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every file under `dir`, as latin1 text (secrets are ASCII, so any byte-level occurrence shows). */
function filesUnder(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push({ file: p, text: readFileSync(p).toString('latin1') });
    }
  };
  walk(dir);
  return out;
}

function ndjson(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function config(opts: { esUrl: string; inbox: string; data: string }): string {
  return [
    `dataDir: ${JSON.stringify(opts.data)}`,
    'inputs:',
    '  - id: inbox',
    '    format: auto',
    `    paths: [${JSON.stringify(`${opts.inbox}/**/*`)}]`,
    '    exportSettleMs: 300',
    '    pollIntervalMs: 100',
    '    rescanIntervalMs: 300',
    'outputs:',
    '  elasticsearch:',
    `    hosts: [${JSON.stringify(opts.esUrl)}]`,
    '    flushIntervalMs: 100',
    '    requestTimeoutMs: 5000',
    '    retry: { initialDelayMs: 100, maxDelayMs: 500 }',
    '  file:',
    `    path: ${JSON.stringify(path.join(opts.data, 'out'))}`,
    'logging:',
    '  level: debug',
    '  console: pretty',
    '  file: true',
    'metrics:',
    '  enabled: false',
    'redaction:',
    '  names: [X-Corp-Session]',
    "  patterns: ['CORPSECRET-[A-Za-z0-9]{12}']",
    '',
  ].join('\n');
}

describe('no secret leaves the host', () => {
  const secrets = new Secrets(1908);
  const esPassword = secrets.add('Elasticsearch password (hosts user info)', 'EsPw0rd7Kq2LmZ9xVt4RbW1');
  const apiKeySecret = secrets.add('Elasticsearch API key secret', 'ApiK3ySecretN8vLq5TzPw2Xc');
  const apiKey = secrets.add(
    'Elasticsearch API key (encoded)',
    Buffer.from(`kid01:${apiKeySecret}`).toString('base64'),
  );
  const inputs = generateInputs(secrets);
  let es: EsTestServer;
  let esKeyed: EsTestServer;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let root: string;
  /** Everything printed, by command. */
  const printed: { what: string; text: string }[] = [];

  before(async () => {
    es = await startEsTestServer({ auth: { username: 'elastic', password: esPassword } });
    esKeyed = await startEsTestServer({ auth: { apiKey } });
    proxy = await recordingProxy(es.url);
    root = tempDir('cg-secrets-');
  });
  after(async () => {
    await proxy.close();
    await es.stop();
    await esKeyed.stop();
  });

  function esUrlWithUserInfo(url: string): string {
    return url.replace('http://', `http://elastic:${esPassword}@`);
  }

  async function cli(
    what: string,
    args: string[],
    cwd: string,
  ): Promise<{ code: number | string; out: string }> {
    const r = await runAgentCommand(args, { cwd });
    printed.push({ what, text: r.stdout + r.stderr });
    return { code: r.code, out: r.stdout + r.stderr };
  }

  function setUp(name: string): { dir: string; inbox: string; data: string; cfg: string } {
    const dir = path.join(root, name);
    const inbox = path.join(dir, 'inbox');
    const data = path.join(dir, 'data');
    mkdirSync(inbox, { recursive: true });
    const cfg = path.join(dir, 'casguard.yml');
    writeFileSync(cfg, config({ esUrl: esUrlWithUserInfo(proxy.url), inbox, data }));
    return { dir, inbox, data, cfg };
  }

  function checkCounts(data: string, label: string): void {
    const out = path.join(data, 'out');
    const docs = readdirSync(out)
      .filter((f) => f.endsWith('.ndjson') && !f.startsWith('alerts'))
      .flatMap((f) => ndjson(path.join(out, f)))
      .map((line) => line['_source'] as Record<string, unknown>);
    const letters = ndjson(path.join(data, 'dead-letter', 'dead-letter.ndjson'));
    for (const [file, want] of Object.entries(EXPECTED)) {
      const got = docs.filter((d) =>
        String((d['log'] as { file?: { path?: string } })?.file?.path).endsWith(file),
      );
      assert.equal(got.length, want.docs, `${label}: documents from ${file}`);
      const dl = letters.filter((l) => l['stage'] !== 'output' && String(l['path']).endsWith(file));
      assert.equal(dl.length, want.deadLetters, `${label}: dead letters from ${file}\n${JSON.stringify(dl)}`);
      for (const l of dl) assert.equal(typeof l['record'], 'string', 'a parse dead letter keeps its record');
    }
  }

  it('replay (with setup and output dead letters), then run with the cluster down and back', async () => {
    // --- replay ------------------------------------------------------------------------------------------
    const a = setUp('replay');
    for (const [name, content] of Object.entries(inputs.files))
      writeFileSync(path.join(a.inbox, name), content);
    const setup = await cli('setup', ['setup', '--config', a.cfg], a.dir);
    assert.equal(setup.code, 0, setup.out);
    es.setFaults({ item400Rate: 0.3 });
    const files = Object.keys(inputs.files).map((f) => path.join(a.inbox, f));
    const replay = await cli('replay', ['replay', '--config', a.cfg, ...files], a.dir);
    assert.equal(replay.code, 4, `dead letters expected (exit 4)\n${replay.out}`);
    checkCounts(a.data, 'replay');
    const outputLetters = ndjson(path.join(a.data, 'dead-letter', 'dead-letter.ndjson')).filter(
      (l) => l['stage'] === 'output',
    );
    assert.ok(outputLetters.length > 0, 'the cluster rejected documents: output dead letters exist');
    es.setFaults({});

    // --- run: the cluster is down first (connection errors are logged), then up ---------------------------
    const b = setUp('run');
    await es.down();
    const agent = startAgent(['run', '--config', b.cfg], { cwd: b.dir });
    try {
      await agent.waitFor(/casguard started/, 60_000);
      for (const [name, content] of Object.entries(inputs.files))
        writeFileSync(path.join(b.inbox, name), content);
      await agent.waitFor(/elasticsearch|connect|ECONNREFUSED|retry/i, 30_000);
      await new Promise((r) => setTimeout(r, 1500));
      await es.up();
      // Wait until every document of every file is in the file output and the cluster took the rest.
      const want = Object.values(EXPECTED).reduce((n, e) => n + e.docs, 0);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const out = path.join(b.data, 'out');
        let n = 0;
        try {
          for (const f of readdirSync(out))
            if (f.endsWith('.ndjson') && !f.startsWith('alerts')) n += ndjson(path.join(out, f)).length;
        } catch {
          // not there yet
        }
        if (n >= want) break;
        if (Date.now() > deadline)
          assert.fail(`run: ${n} of ${want} documents\n${agent.stdout}\n${agent.stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
      printed.push({ what: 'run', text: agent.stdout + agent.stderr });
    }
    checkCounts(b.data, 'run');

    // --- test output: user info in the host, a closed port, an API key, a wrong API key -------------------
    const ok = await cli('test output (user info)', ['test', 'output', '--config', a.cfg], a.dir);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /elastic:\[REDACTED\]@127\.0\.0\.1/, 'the host is printed with its password masked');
    const closed = setUp('closed');
    writeFileSync(
      closed.cfg,
      config({ esUrl: `http://elastic:${esPassword}@127.0.0.1:9`, inbox: closed.inbox, data: closed.data }),
    );
    const refused = await cli(
      'test output (closed port)',
      ['test', 'output', '--config', closed.cfg],
      closed.dir,
    );
    assert.notEqual(refused.code, 0);
    const keyed = setUp('keyed');
    const keyedCfg = (key: string): string =>
      config({ esUrl: esKeyed.url, inbox: keyed.inbox, data: keyed.data }).replace(
        '    flushIntervalMs',
        `    apiKey: ${JSON.stringify(key)}\n    flushIntervalMs`,
      );
    writeFileSync(keyed.cfg, keyedCfg(apiKey));
    const keyedSetup = await cli('setup (API key)', ['setup', '--config', keyed.cfg], keyed.dir);
    assert.equal(keyedSetup.code, 0, keyedSetup.out);
    const withKey = await cli('test output (API key)', ['test', 'output', '--config', keyed.cfg], keyed.dir);
    assert.equal(withKey.code, 0, withKey.out);
    writeFileSync(keyed.cfg, keyedCfg(Buffer.from(`kid01:${apiKeySecret}x`).toString('base64')));
    const badKey = await cli(
      'test output (wrong API key)',
      ['test', 'output', '--config', keyed.cfg],
      keyed.dir,
    );
    assert.notEqual(badKey.code, 0);

    // --- the search ---------------------------------------------------------------------------------------
    const haystacks: { where: string; text: string }[] = [
      ...filesUnder(a.data).map((f) => ({
        where: `replay data folder: ${path.relative(a.dir, f.file)}`,
        text: f.text,
      })),
      ...filesUnder(b.data).map((f) => ({
        where: `run data folder: ${path.relative(b.dir, f.file)}`,
        text: f.text,
      })),
      ...proxy.bodies.map((text, i) => ({ where: `request body #${i} sent to the cluster`, text })),
      ...[...es.indices.values()].map((ix) => ({
        where: `documents stored in ${ix.name}`,
        text: JSON.stringify([...ix.docs.values()]),
      })),
      ...printed.map((p) => ({ where: `printed by ${p.what}`, text: p.text })),
    ];
    assert.ok(
      haystacks.some((h) => h.where.includes('.log')),
      'the agent wrote its own log',
    );
    assert.ok(
      proxy.bodies.some((b) => b.includes('"create"')),
      'documents went to the cluster',
    );
    assert.ok(
      haystacks.some((h) => h.text.includes('[REDACTED]')),
      'something was redacted',
    );

    const leaks: string[] = [];
    for (const s of secrets.list) {
      const forms = leakForms(s.value);
      let shown = 0;
      for (const h of haystacks) {
        const form = forms.find((f) => h.text.includes(f));
        if (form !== undefined && shown++ < 2) {
          const at = h.text.indexOf(form);
          leaks.push(
            `${s.carrier}: '${form}' in ${h.where}: …${h.text.slice(Math.max(0, at - 80), at + 40).replace(/\s+/g, ' ')}…`,
          );
        }
      }
    }
    const leaked = new Set(leaks.map((l) => l.slice(0, l.indexOf(": '"))));
    assert.deepEqual(
      leaks,
      [],
      `${leaked.size} of ${secrets.list.length} secrets leaked (at most two places shown each):\n${leaks.join('\n')}`,
    );
    assert.ok(secrets.list.length > 90, `${secrets.list.length} secrets generated`);
  });
});
