// Issue 19, finding 11: the detection state under many failing devices. Generates one hour of Exchange IIS
// ActiveSync traffic (every user one successful Sync; a share of the users each failing Provision 1-3 times,
// below the storm rule's threshold; a few real storm devices failing hundreds of times), then runs the built agent
// on it twice, shipping to an in-process stand-in for Elasticsearch that acknowledges every item:
// - `casguard replay FILE` (a backfill): documents/s and peak RSS;
// - `casguard run` (tailing, with the detection state saved to the registry as in service): documents/s until
//   the last document is acknowledged, peak RSS, and the bytes written under the data folder's `registry/`
//   (counted by bench/count-file-writes.mjs), after a graceful stop.
// Both runs check that every storm device's storm alert arrived.
//
// Run by hand (after `npm run build`):
//   node --import tsx bench/detect-state.ts [--users 200000] [--failing-share 0.5] [--storms 20]
//        [--kb-share 0] [--modes replay,run] [--max-keys N] [--no-detect] [--write]
// --kb-share: share of the failing users whose failures carry the KB 2851708 signature (Status 110 with
//   ArgumentOutOfRangeException), so the per-device match rule opens an alert for each of them too (default 0:
//   the failures are Status 142 / HTTP 449, which only the storm rule counts).
// --no-detect runs the agent with detection off: the floor the detection state adds to.
// --generate-only DIR writes the input file into DIR and exits (for profiling by other means).
// --write records the figures in bench/detect-state-baseline.json under the given --label (default `current`).
// CASGUARD_DIST=<folder with cli/main.js> runs another build.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { mulberry32 } from '../test/helpers/prng.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const users = Number(opt('users', '200000'));
const failingShare = Number(opt('failing-share', '0.5'));
const stormCount = Number(opt('storms', '20'));
const kbShare = Number(opt('kb-share', '0'));
const modes = opt('modes', 'replay,run').split(',');
const maxKeys = opt('max-keys', '');
const detectOff = args.includes('--no-detect');
const label = opt('label', 'current');
const dist = process.env['CASGUARD_DIST'] ?? path.join(here, '..', 'dist');
const mainJs = path.join(dist, 'cli', 'main.js');
if (!existsSync(mainJs)) {
  console.error(`no build at ${mainJs}: run npm run build first (or set CASGUARD_DIST)`);
  process.exit(2);
}

// ---- input ----------------------------------------------------------------------------------------------

const HOUR = Date.parse('2013-09-19T14:00:00Z');
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const iisTime = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};
const OK_LOG = 'V141_LdapC1_RpcC10_RpcL15_S1_Mbx:MBX01.contoso.com_Throttle0_';
const KB_LOG =
  'V141_LdapC1_LdapL0_RpcC4_RpcL0_S110_Error:System.ArgumentOutOfRangeException_Mbx:MBX01.contoso.com_Throttle0_';
const OTHER_LOG = 'V141_LdapC1_RpcC4_RpcL0_S142_Error:DeviceNotProvisioned_Mbx:MBX01.contoso.com_Throttle0_';

interface Gen {
  file: string;
  lines: number;
  failingDevices: number;
  stormDevices: string[];
}

function generate(dir: string): Gen {
  const rnd = mulberry32(19);
  const lines: { t: number; s: string }[] = [];
  const line = (
    t: number,
    user: string,
    device: string,
    cmd: string,
    log: string,
    ua: string,
    status: number,
  ) =>
    lines.push({
      t,
      s:
        `${iisTime(t)} 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas ` +
        `User=${user}&DeviceId=${device}&DeviceType=iPhone&Cmd=${cmd}&Log=${log} 443 CONTOSO\\${user} ` +
        `198.51.${(device.length * 7) % 250}.${device.charCodeAt(device.length - 1) % 250} ${ua} ${status} 0 0 45`,
    });
  let failing = 0;
  for (let i = 0; i < users; i++) {
    const user = `user${i}`;
    const device = `Appl${(0x10000000 + i * 7919).toString(16).toUpperCase()}`;
    line(HOUR + Math.floor(rnd() * 3_600_000), user, device, 'Sync', OK_LOG, 'Apple-iPhone5C2/1101.465', 200);
    if (rnd() < failingShare) {
      failing++;
      const kb = rnd() < kbShare;
      const n = 1 + Math.floor(rnd() * 3);
      for (let k = 0; k < n; k++)
        line(
          HOUR + Math.floor(rnd() * 3_600_000),
          user,
          device,
          'Provision',
          kb ? KB_LOG : OTHER_LOG,
          'Apple-iPhone5C2/1101.465',
          kb ? 200 : 449,
        );
    }
  }
  const stormDevices: string[] = [];
  for (let s = 0; s < stormCount; s++) {
    const device = `ApplSTORM${pad(s, 4)}`;
    stormDevices.push(device);
    const start = HOUR + Math.floor(rnd() * 20 * 60_000);
    const every = 2000 + Math.floor(rnd() * 4000);
    for (let t = start; t < HOUR + 3_600_000; t += every)
      line(t, `storm${s}`, device, 'Provision', KB_LOG, 'Apple-iPad2C2/1101.465', 200);
  }
  lines.sort((a, b) => a.t - b.t);
  const file = path.join(dir, 'u_ex130919.log');
  const head =
    '#Software: Microsoft Internet Information Services 7.5\r\n#Version: 1.0\r\n#Date: 2013-09-19 14:00:00\r\n' +
    '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\r\n';
  const chunks = [head];
  for (const l of lines) chunks.push(`${l.s}\r\n`);
  writeFileSync(file, chunks.join(''));
  return { file, lines: lines.length, failingDevices: failing + stormCount, stormDevices };
}

// ---- the stand-in cluster ----------------------------------------------------------------------------------

class Sink {
  docs = 0;
  lastDocAt = 0;
  readonly stormAlerts = new Set<string>();
  server: Server;
  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }
  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };
    if (req.method === 'GET' || req.method === 'HEAD') {
      res.writeHead(200, head);
      res.end(JSON.stringify({ version: { number: '8.15.0' }, tagline: 'You Know, for Search' }));
      return;
    }
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const body = Buffer.concat(parts).toString('utf8');
    const lines = body.split('\n');
    const items: string[] = [];
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const action = lines[i]!;
      if (action === '') break;
      const op = action.startsWith('{"index"') ? 'index' : 'create';
      items.push(`{"${op}":{"status":201}}`);
      if (action.includes('casguard-alerts')) {
        const doc = JSON.parse(lines[i + 1]!) as { rule?: { id?: string }; device?: { id?: string } };
        if (doc.rule?.id === 'kb2851708-provision-storm' && doc.device?.id)
          this.stormAlerts.add(doc.device.id);
      }
    }
    this.docs += items.length;
    this.lastDocAt = performance.now();
    res.writeHead(200, head);
    res.end(`{"took":1,"errors":false,"items":[${items.join(',')}]}`);
  }
}

// ---- one run ---------------------------------------------------------------------------------------------

interface RunResult {
  mode: string;
  documents: number;
  seconds: number;
  docsPerSecond: number;
  /** The agent's user + system CPU time: on a shared machine, documents per CPU second compare better. */
  cpuSeconds: number;
  docsPerCpuSecond: number;
  peakRssMiB: number;
  registryBytesWritten: number;
  registryWrites: number;
  registryFileBytes: number;
  stormAlerts: number;
  stormDevices: number;
}

const TICKS_PER_SECOND = 100; // Linux USER_HZ
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return 0;
  }
}

function peakRssKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function runOnce(mode: 'replay' | 'run', gen: Gen, root: string): Promise<RunResult> {
  const sink = new Sink();
  const port = await sink.listen();
  const dataDir = path.join(root, `data-${mode}`);
  rmSync(dataDir, { recursive: true, force: true });
  const config = path.join(root, `casguard-${mode}.yml`);
  writeFileSync(
    config,
    [
      `dataDir: ${JSON.stringify(dataDir)}`,
      'inputs:',
      '  - id: bench',
      '    format: iis',
      `    paths: [${JSON.stringify(gen.file)}]`,
      '    startAt: beginning',
      'outputs:',
      '  elasticsearch:',
      `    hosts: ['http://127.0.0.1:${port}']`,
      '    compression: false',
      '  stdout:',
      '    alerts: false',
      ...(detectOff
        ? ['detect:', '  enabled: false']
        : maxKeys
          ? ['detect:', `  maxKeysPerRule: ${maxKeys}`]
          : []),
      'logging:',
      '  level: warn',
      '  console: off',
      '  file: true',
      'metrics:',
      '  enabled: false',
      '',
    ].join('\n'),
  );
  const writesOut = path.join(root, `writes-${mode}.json`);
  const nodeArgs = [
    '--max-semi-space-size=8',
    '--import',
    path.join(here, 'count-file-writes.mjs'),
    mainJs,
    ...(mode === 'replay' ? ['replay', gen.file] : ['run']),
  ];
  const started = performance.now();
  const child = spawn(process.execPath, nodeArgs, {
    env: { ...process.env, CASGUARD_CONFIG: config, CASGUARD_DATA_DIR: dataDir, COUNT_WRITES_OUT: writesOut },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(path.join(root, `agent-${mode}.out`));
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let peak = 0;
  let cpu = 0;
  const poll = setInterval(() => {
    peak = Math.max(peak, peakRssKiB(child.pid!));
    cpu = Math.max(cpu, cpuSecondsOf(child.pid!));
  }, 50);
  const exited = once(child, 'exit');
  if (mode === 'run') {
    // Every line is a document (alerts come on top): wait for them all, then stop the agent.
    while (sink.docs < gen.lines && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    // Let the pending alert versions go out (they follow the documents) before stopping.
    await new Promise((r) => setTimeout(r, 1500));
    peak = Math.max(peak, peakRssKiB(child.pid!));
    child.kill('SIGTERM');
  }
  await exited;
  clearInterval(poll);
  const seconds = (sink.lastDocAt - started) / 1000;
  const writes = existsSync(writesOut)
    ? (JSON.parse(readFileSync(writesOut, 'utf8')) as Record<string, { bytes: number; writes: number }>)
    : {};
  const reg = writes['registry'] ?? { bytes: 0, writes: 0 };
  const regFile = path.join(dataDir, 'registry');
  let registryFileBytes = 0;
  if (existsSync(regFile))
    for (const f of ['registry.json', 'detect-state.base', 'detect-state.journal'])
      if (existsSync(path.join(regFile, f))) registryFileBytes += readFileSync(path.join(regFile, f)).length;
  sink.server.close();
  return {
    mode,
    documents: sink.docs,
    seconds: Math.round(seconds * 10) / 10,
    docsPerSecond: Math.round(sink.docs / seconds),
    cpuSeconds: Math.round(cpu * 10) / 10,
    docsPerCpuSecond: Math.round(sink.docs / cpu),
    peakRssMiB: Math.round((peak / 1024) * 10) / 10,
    registryBytesWritten: reg.bytes,
    registryWrites: reg.writes,
    registryFileBytes,
    stormAlerts: gen.stormDevices.filter((d) => sink.stormAlerts.has(d)).length,
    stormDevices: gen.stormDevices.length,
  };
}

// ---- main ------------------------------------------------------------------------------------------------

const generateOnly = opt('generate-only', '');
if (generateOnly) {
  const gen = generate(generateOnly);
  console.log(`${gen.file}: ${gen.lines} lines, ${gen.failingDevices} failing devices`);
  process.exit(0);
}
const root = mkdtempSync(path.join(tmpdir(), 'casguard-detect-state-'));
try {
  const gen = generate(root);
  console.log(
    `input: ${users} users, ${gen.failingDevices} failing devices (${stormCount} storms), ${gen.lines} lines, ` +
      `${(readFileSync(gen.file).length / 1048576).toFixed(1)} MiB`,
  );
  const results: RunResult[] = [];
  for (const mode of modes as ('replay' | 'run')[]) {
    const r = await runOnce(mode, gen, root);
    results.push(r);
    console.log(
      `${mode.padEnd(6)} ${r.documents} docs in ${r.seconds} s = ${r.docsPerSecond} docs/s ` +
        `(${r.cpuSeconds} CPU s = ${r.docsPerCpuSecond} docs per CPU s), peak RSS ${r.peakRssMiB} MiB, ` +
        `registry ${(r.registryBytesWritten / 1048576).toFixed(2)} MiB written in ${r.registryWrites} writes ` +
        `(${(r.registryFileBytes / 1024).toFixed(0)} KiB on disk at the end), storm alerts ${r.stormAlerts}/${r.stormDevices}`,
    );
  }
  const baselineFile = path.join(here, 'detect-state-baseline.json');
  const baseline = existsSync(baselineFile)
    ? (JSON.parse(readFileSync(baselineFile, 'utf8')) as Record<string, unknown>)
    : {};
  const key = `users=${users} failing=${failingShare} kb=${kbShare} storms=${stormCount}${maxKeys ? ` maxKeys=${maxKeys}` : ''}${detectOff ? ' detect=off' : ''}`;
  for (const [name, recorded] of Object.entries(baseline)) {
    const rec = (recorded as Record<string, unknown>)[key] as { results?: RunResult[] } | undefined;
    for (const r of rec?.results ?? [])
      console.log(
        `  recorded ${name.padEnd(10)} ${r.mode.padEnd(6)} ${r.docsPerSecond} docs/s (${r.docsPerCpuSecond ?? '?'} per CPU s), peak RSS ${r.peakRssMiB} MiB, ` +
          `registry ${(r.registryBytesWritten / 1048576).toFixed(2)} MiB written`,
      );
  }
  if (args.includes('--write')) {
    const entry = (baseline[label] ??= {}) as Record<string, unknown>;
    entry[key] = { date: new Date().toISOString().slice(0, 10), results };
    writeFileSync(baselineFile, `${JSON.stringify(baseline, null, 2)}\n`);
    console.log(`recorded as "${label}" in ${path.relative(process.cwd(), baselineFile)}`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
