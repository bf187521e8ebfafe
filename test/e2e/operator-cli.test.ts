// The command line as an operator meets it (issue 17): nothing read into nowhere, duplicate input ids refused,
// `replay` exit codes for files it cannot read or recognise, and dead letters re-sent without doubling.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { repoRoot, runAgentCommand, startAgent, tsxLoader } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const iisSample = path.join(repoRoot, 'samples', 'u_ex130919.log');

function writeConfig(dir: string, lines: readonly string[]): string {
  const file = path.join(dir, 'casguard.yml');
  writeFileSync(file, [...lines, 'metrics:', '  enabled: false', ''].join('\n'));
  return file;
}

function ndjsonLines(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir))
    n += readFileSync(path.join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '').length;
  return n;
}

describe('no silent loss', () => {
  it('refuses a config whose outputs store nothing (stdout only prints alerts)', async () => {
    const dir = tempDir('cg-operator-');
    const config = writeConfig(dir, [
      'inputs:',
      '  - id: iis',
      '    paths: ["./logs/*.log"]',
      'outputs:',
      '  stdout: { alerts: true }',
    ]);
    for (const cmd of [['test', 'config'], ['run']]) {
      const r = await runAgentCommand([...cmd, '--config', config], { cwd: dir });
      assert.equal(r.code, 1, `${cmd.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /outputs\s+no output stores documents: add outputs\.elasticsearch/);
    }
  });

  it('names the file output it uses when the config has no outputs, and writes there', async () => {
    const dir = tempDir('cg-operator-');
    const config = writeConfig(dir, ['dataDir: ./state', 'inputs:', '  - id: iis', '    paths: ["./x/*"]']);
    const t = await runAgentCommand(['test', 'config', '--config', config], { cwd: dir });
    assert.equal(t.code, 0, t.stderr);
    assert.match(
      t.stdout,
      /no outputs in the config: documents and alerts go to the file output \.\/state\/out/,
    );
    const r = await runAgentCommand(['replay', '--no-progress', '--config', config, iisSample], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      ndjsonLines(path.join(dir, 'state', 'out')) > 200,
      "ndjsonLines(path.join(dir, 'state', 'out')) > 200",
    );
  });

  it('refuses two inputs with the same id', async () => {
    const dir = tempDir('cg-operator-');
    const config = writeConfig(dir, [
      'inputs:',
      '  - id: iis',
      '    paths: ["./a/*"]',
      '  - id: iis',
      '    paths: ["./b/*"]',
      'outputs:',
      '  file: { path: ./out }',
    ]);
    const r = await runAgentCommand(['test', 'config', '--config', config], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /:4:\d+\s+inputs\[1\]\.id\s+duplicate input id 'iis' \(also inputs\[0\]\.id\)/);
  });
});

describe('replay exit codes', () => {
  it('exits 5 for a missing file, a folder, an empty file and a binary no format recognises', async () => {
    const dir = tempDir('cg-operator-');
    writeFileSync(path.join(dir, 'empty.log'), '');
    writeFileSync(
      path.join(dir, 'binary.dat'),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)),
    );
    for (const [file, said] of [
      ['missing.log', /missing\.log: cannot read it \(no such file\)/],
      ['.', /is a folder; name the files in it/],
      ['empty.log', /empty\.log: is empty; nothing to read/],
      ['binary.dat', /binary\.dat: not recognised by any format/],
    ] as const) {
      const r = await runAgentCommand(['replay', '--no-progress', file], { cwd: dir });
      assert.equal(r.code, 5, `${file}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, said);
    }
  });

  it('reads the other files when one named file is missing, then exits 5', async () => {
    const dir = tempDir('cg-operator-');
    const r = await runAgentCommand(['replay', '--no-progress', iisSample, 'missing.log'], { cwd: dir });
    assert.equal(r.code, 5, r.stderr);
    assert.match(
      r.stdout,
      /replay done in [\d.]+ s: 1 file\(s\), 724 record\(s\) read, 720 document\(s\) made/,
    );
    assert.match(r.stderr, /missing\.log: cannot read it/);
  });

  it('exits 5 when a forced format reads nothing from a non-empty file, and 2 for an unknown format', async () => {
    const dir = tempDir('cg-operator-');
    const r = await runAgentCommand(['replay', '--no-progress', '--format', 'evtx', iisSample], { cwd: dir });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /--format evtx read no record from its 226,293 bytes/);
    const bad = await runAgentCommand(['replay', '--format', 'nope', iisSample], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /argument 'nope' is invalid. Allowed choices are auto, iis/);
  });
});

describe('replay --dead-letters', () => {
  it('keeps what is refused again once, removes what was delivered', async () => {
    const es = await startEsTestServer({ faults: { item400Rate: 0.3 } });
    try {
      const dir = tempDir('cg-operator-');
      copyFileSync(iisSample, path.join(dir, 'u_ex130919.log'));
      const config = writeConfig(dir, [
        'dataDir: ./data',
        'inputs:',
        '  - id: iis',
        '    paths: ["./*.log"]',
        'outputs:',
        '  elasticsearch:',
        `    hosts: ["${es.url}"]`,
        '  stdout: { alerts: false }',
      ]);
      const letters = path.join(dir, 'data', 'dead-letter');
      const first = await runAgentCommand(['replay', '--no-progress', '-c', config, 'u_ex130919.log'], {
        cwd: dir,
      });
      assert.equal(first.code, 4, first.stderr);
      const refused = ndjsonLines(letters);
      assert.ok(refused > 20, `${refused} dead letters`);
      assert.match(first.stdout, new RegExp(`${refused} document\\(s\\) refused by the output`));

      for (let i = 0; i < 2; i++) {
        const again = await runAgentCommand(['replay', '--dead-letters', '-c', config], { cwd: dir });
        assert.equal(again.code, 4, again.stderr);
        assert.match(
          again.stdout,
          new RegExp(`${refused} document\\(s\\) re-sent, 0 stored, ${refused} refused`),
        );
        assert.equal(ndjsonLines(letters), refused, 'refused again once, not doubled');
      }

      es.setFaults({});
      const fixed = await runAgentCommand(['replay', '--dead-letters', '-c', config], { cwd: dir });
      assert.equal(fixed.code, 0, fixed.stderr);
      assert.match(
        fixed.stdout,
        new RegExp(`${refused} document\\(s\\) re-sent, ${refused} stored, 0 refused`),
      );
      assert.equal(ndjsonLines(letters), 0);
      const nothing = await runAgentCommand(['replay', '--dead-letters', '-c', config], { cwd: dir });
      assert.equal(nothing.code, 0);
      assert.match(nothing.stdout, / 0 document\(s\) re-sent/);
    } finally {
      await es.stop();
    }
  });
});

describe('bounded local files', () => {
  it('keeps at most maxFiles file-output and dead-letter files, deleting the oldest and saying so', async () => {
    const dir = tempDir('cg-operator-');
    const sample = readFileSync(iisSample, 'utf8').split('\n');
    const header = sample.filter((l) => l.startsWith('#'));
    const rows = sample.filter((l) => l !== '' && !l.startsWith('#'));
    // 20 copies of the sample's rows, and as many lines no parser accepts (dead letters).
    const body: string[] = [];
    for (let i = 0; i < 20; i++)
      for (const r of rows) body.push(r, `garbage line ${i} that is not an IIS row`);
    writeFileSync(path.join(dir, 'big.log'), [...header, ...body, ''].join('\n'));
    const config = writeConfig(dir, [
      'dataDir: ./data',
      'inputs:',
      '  - id: iis',
      '    paths: ["./*.log"]',
      'deadLetter: { maxFileBytes: 20000, maxFiles: 2 }',
      'outputs:',
      '  file: { path: ./out, maxFileBytes: 200000, maxFiles: 3 }',
      '  stdout: { alerts: false }',
    ]);
    const r = await runAgentCommand(['replay', '--no-progress', '-c', config, 'big.log'], { cwd: dir });
    assert.equal(r.code, 4, r.stderr);
    const out = readdirSync(path.join(dir, 'out')).filter((n) => n.startsWith('activesync'));
    assert.ok(out.length <= 3 && out.length >= 2, out.join(', '));
    assert.match(r.stderr, /File output reached its bound \(outputs\.file\.maxFiles\)/);
    const letters = readdirSync(path.join(dir, 'data', 'dead-letter'));
    assert.ok(letters.length <= 2, letters.join(', '));
    assert.match(r.stderr, /Dead-letter files reached their bound.*records are lost/);
  });
});

/** Runs the CLI as the unprivileged user `nobody` (setpriv), or says why it cannot. */
function asNobody(args: readonly string[], cwd: string): { code: number | null; stderr: string } | string {
  if (process.getuid?.() !== 0) return 'not root: cannot switch to an unprivileged user';
  const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']);
  if (probe.error || probe.status !== 0) return 'setpriv cannot run a process as nobody here';
  const r = spawnSync(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      process.execPath,
      '--import',
      tsxLoader,
      path.join(repoRoot, 'src/cli/main.ts'),
      ...args,
    ],
    { cwd, encoding: 'utf8', timeout: 30_000, env: { ...process.env, CASGUARD_CONFIG: '' } },
  );
  return { code: r.status, stderr: r.stderr };
}

describe('rules export --out', () => {
  it('says why it cannot write, without a stack trace, and does not spin on /proc', async () => {
    const dir = tempDir('cg-operator-');
    writeFileSync(path.join(dir, 'afile'), '');
    for (const [out, said] of [
      ['/proc/casguard-x', /cannot write to \/proc\/casguard-x \(ENOENT/],
      [path.join(dir, 'afile', 'sub'), /\(ENOTDIR: a part of the path is a file, not a folder\)/],
    ] as const) {
      const r = await runAgentCommand(['rules', 'export', '--format', 'sigma', '--out', out], { cwd: dir });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, said);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });

  it('reports permission denied for a folder the user cannot write (as an unprivileged user)', (t) => {
    const dir = tempDir('cg-operator-');
    const locked = path.join(dir, 'locked');
    mkdirSync(locked, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const r = asNobody(['rules', 'export', '--format', 'toml', '--out', path.join(locked, 'rules')], dir);
    if (typeof r === 'string') {
      t.skip(r);
      return;
    }
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /\(EACCES: permission denied\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

describe('reading it', () => {
  it('prints plain progress lines when stderr is not a terminal', async () => {
    const dir = tempDir('cg-operator-');
    const sample = readFileSync(iisSample, 'utf8').split('\n');
    const rows = sample.filter((l) => l !== '' && !l.startsWith('#'));
    const body: string[] = sample.filter((l) => l.startsWith('#'));
    for (let i = 0; i < 15; i++) body.push(...rows);
    writeFileSync(path.join(dir, 'big.log'), body.join('\n') + '\n');
    const r = await runAgentCommand(['replay', '--progress-every', '0.2', 'big.log'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /replay progress: \d+% [\d.]+ (KiB|MiB) of [\d.]+ MiB, \d+ records, [\d.]+ (KiB|MiB)\/s, \d+ records\/s, ETA/,
    );
    // eslint-disable-next-line no-control-regex -- looking for escape codes is the point
    assert.doesNotMatch(r.stderr + r.stdout, /\x1b\[/, 'no escape codes in redirected output');
  });
});

describe('config and connection errors name the cause', () => {
  it('reports wrong types as wrong types, suggests paths for path, and every unset variable with the rest', async () => {
    const dir = tempDir('cg-operator-');
    const config = writeConfig(dir, [
      'inputs:',
      '  - id: a',
      '    path: ./x',
      '    maxRecordBytes: "big"',
      'outputs:',
      '  elasticsearch:',
      '    hosts: "http://127.0.0.1:9200"',
      '    apiKey: ${CASGUARD_TEST_UNSET_A}',
      '    username: ${CASGUARD_TEST_UNSET_B}',
    ]);
    const r = await runAgentCommand(['test', 'config', '-c', config], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config INVALID: 5 problems/);
    assert.match(
      r.stderr,
      /:8:\d+\s+outputs\.elasticsearch\.apiKey\s+environment variable CASGUARD_TEST_UNSET_A is not set/,
    );
    assert.match(
      r.stderr,
      /:9:\d+\s+outputs\.elasticsearch\.username\s+environment variable CASGUARD_TEST_UNSET_B/,
    );
    assert.match(
      r.stderr,
      /inputs\[0\]\.maxRecordBytes\s+wrong type: expected a number, found the text "big"/,
    );
    assert.match(r.stderr, /inputs\[0\]\.path\s+unknown key 'path' \(did you mean 'paths'\?\)/);
    assert.match(r.stderr, /inputs\[0\]\.paths\s+required value is missing/);
    assert.doesNotMatch(r.stderr, /outputs\.elasticsearch\.hosts/, 'one host as a string is accepted');
  });

  it('names the environment variable that set a URL without a scheme, and accepts an id:key API key', async () => {
    const dir = tempDir('cg-operator-');
    const r = await runAgentCommand(['test', 'config'], {
      cwd: dir,
      env: { CASGUARD_ES_HOSTS: 'localhost:9200' },
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /environment variable CASGUARD_ES_HOSTS\s+outputs\.elasticsearch\.hosts\[0\]\s+'localhost:9200' has no scheme: write http:\/\/localhost:9200/,
    );
    assert.doesNotMatch(r.stderr, /embedded default/);
  });

  it('run says which cluster it connected to; an id:key API key works', async () => {
    const es = await startEsTestServer({
      version: '9.1.0',
      auth: { apiKey: Buffer.from('myid:mykey').toString('base64') },
    });
    try {
      const dir = tempDir('cg-operator-');
      const config = writeConfig(dir, [
        'inputs:',
        '  - id: a',
        '    paths: ["./*.log"]',
        'outputs:',
        '  elasticsearch:',
        `    hosts: "${es.url}"`,
        '    apiKey: "myid:mykey"',
      ]);
      const agent = startAgent(['run', '-c', config], { cwd: dir });
      try {
        await agent.waitFor(/Elasticsearch output connected .*cluster=\S+ version=9\.1\.0/, 30_000);
      } finally {
        agent.child.kill('SIGTERM');
        await agent.exited;
      }
    } finally {
      await es.stop();
    }
  });

  it('replay says that it waits for an unreachable cluster, and why', async () => {
    const dir = tempDir('cg-operator-');
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    const config = writeConfig(dir, [
      'inputs:',
      '  - id: a',
      '    paths: ["./*.log"]',
      'outputs:',
      '  elasticsearch:',
      `    hosts: "http://127.0.0.1:${port}"`,
    ]);
    const agent = startAgent(['replay', '--no-progress', '-c', config, iisSample], { cwd: dir });
    try {
      await agent.waitFor(
        /waiting for elasticsearch \(refused: connection failed: .*ECONNREFUSED.*nothing listens there/,
        30_000,
      );
    } finally {
      agent.child.kill('SIGINT');
      await agent.exited;
    }
  });

  it('replay says that it waits while Elasticsearch refuses its documents item by item, and why', async () => {
    // A key that may write documents but not create the streams (no auto_configure, no setup run): every bulk
    // request succeeds and each item is refused with 403, so only the item-level condition explains the wait.
    const es = await startEsTestServer({ auth: { username: 'elastic', password: 'pw' } });
    try {
      const key = es.createApiKey({
        w: { indices: [{ names: ['logs-*', 'casguard-*'], privileges: ['create_doc', 'index', 'read'] }] },
      });
      const dir = tempDir('cg-operator-');
      const config = writeConfig(dir, [
        'inputs:',
        '  - id: a',
        '    paths: ["./*.log"]',
        'outputs:',
        '  elasticsearch:',
        `    hosts: "${es.url}"`,
        `    apiKey: "${key.encoded}"`,
      ]);
      const agent = startAgent(['replay', '--no-progress', '-c', config, iisSample], { cwd: dir });
      try {
        await agent.waitFor(
          /waiting for elasticsearch, which refuses documents for logs-exchange\.activesync-default \(unauthorised: .*\); they are kept and retried/,
          30_000,
        );
        assert.equal(es.docs('logs-exchange.activesync-default').size, 0);
      } finally {
        agent.child.kill('SIGINT');
        await agent.exited;
      }
    } finally {
      await es.stop();
    }
  });
});

describe('command line conventions', () => {
  it('prints help and exits 2 for casguard, casguard test and casguard rules without a subcommand', async () => {
    for (const args of [[], ['test'], ['rules']]) {
      const r = await runAgentCommand(args, { cwd: repoRoot });
      assert.equal(r.code, 2, `casguard ${args.join(' ')}`);
      assert.match(r.stderr + r.stdout, /Usage: casguard/);
    }
  });

  it('has examples in the help of the program and of every command', async () => {
    for (const args of [
      ['--help'],
      ['run', '--help'],
      ['replay', '--help'],
      ['test', '--help'],
      ['test', 'config', '--help'],
      ['test', 'output', '--help'],
      ['setup', '--help'],
      ['export', '--help'],
      ['export', 'dashboards', '--help'],
      ['report', '--help'],
      ['rules', 'export', '--help'],
      ['status', '--help'],
    ]) {
      const r = await runAgentCommand(args, { cwd: repoRoot });
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Examples:\n {2}casguard /, args.join(' '));
    }
  });

  it('test config --print shows the resolved values, masks secrets and names each source; --log-level applies', async () => {
    const dir = tempDir('cg-operator-');
    const config = writeConfig(dir, [
      'inputs:',
      '  - id: a',
      '    paths: ["./x/*"]',
      'outputs:',
      '  elasticsearch:',
      '    hosts: "http://127.0.0.1:9200"',
      '    apiKey: "myid:supersecretkey"',
    ]);
    const r = await runAgentCommand(['--log-level', 'debug', 'test', 'config', '--print', '-c', config], {
      cwd: dir,
      env: { CASGUARD_DATA_DIR: path.join(dir, 'state') },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dataDir: ".*state" {3}# env CASGUARD_DATA_DIR$/m);
    assert.match(r.stdout, /^inputs\[0\]\.paths: \["\.\/x\/\*"\] {3}# file$/m);
    assert.match(r.stdout, /^inputs\[0\]\.maxRecordBytes: 1048576 {3}# default$/m);
    assert.match(r.stdout, /^outputs\.elasticsearch\.apiKey: \[(MASKED|REDACTED)\] {3}# file$/m);
    assert.match(r.stdout, /^logging\.level: "debug" {3}# env CASGUARD_LOG_LEVEL$/m);
    assert.doesNotMatch(r.stdout, /supersecretkey|bXlpZDpzdXBlcnNlY3JldGtleQ/);
  });
});

describe('setup', () => {
  it('a plain setup keeps the retention an earlier setup --retention-days installed', async () => {
    const es = await startEsTestServer();
    try {
      const dir = tempDir('cg-operator-');
      const env = { CASGUARD_ES_HOSTS: es.url };
      const age = async (): Promise<unknown> => {
        const body = (await (await fetch(`${es.url}/_ilm/policy/casguard-logs`)).json()) as Record<
          string,
          { policy: { phases: { delete: { min_age: string } } } }
        >;
        return body['casguard-logs']?.policy.phases.delete.min_age;
      };
      const first = await runAgentCommand(['setup', '--retention-days', '30'], { cwd: dir, env });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(await age(), '30d');
      const again = await runAgentCommand(['setup'], { cwd: dir, env });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /retention: 30 days, as installed/);
      assert.equal(await age(), '30d');
      const changed = await runAgentCommand(['setup', '--retention-days', '90'], { cwd: dir, env });
      assert.equal(changed.code, 0, changed.stderr);
      assert.equal(await age(), '90d');
    } finally {
      await es.stop();
    }
  });
});
