// What the shared harness's job costs with casguard's documents, before any of casguard's own work: the IIS
// documents are built once (parse, normalize, enrich, as the agent does), then shipped the way the harness's
// floor (d) ships (`_bulk` bodies of about 5 MiB, two requests in flight, keep-alive) into the harness's own bulk
// sink, started here with the harness's timed-run settings (SINK_VALIDATE=sample, ids tracked). Each mode runs in a
// fresh sink and reports this process's CPU, the sink's CPU, and the two-core bound that follows from their sum:
// no shipper of these documents can finish 1M lines faster than (its CPU + the sink's CPU) / 2 cores.
//
// Modes (default: all):
//   bytes       pre-serialised documents with casguard's deterministic _id: shipping and the sink only
//   noid        the same without _id (what the harness's peers send): the sink's share of the ids
//   stringify   JSON.stringify of each pre-built document while shipping, with _id
//   no-original as stringify, without event.original (the raw line)
//
// Usage (after `npm run build` is not needed; tsx runs the sources):
//   node ../shared/bench/gen/gen.js iis --out /tmp/iis200k.log --lines 200000 --seed 7
//   node --import tsx bench/harness-bound.ts /tmp/iis200k.log [--lines 1000000] [--modes bytes,stringify]
// Skips with a printed reason when ../shared/bench/sink/server.js is absent.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultEnrichers } from '../src/enrich/index.js';
import { createFramer } from '../src/framing/index.js';
import { iisFormat } from '../src/normalize/formats/iis.format.js';
import { documentId } from '../src/pipeline/document-id.js';
import type { EcsDocument } from '../src/pipeline/document.types.js';
import type { RecordSource } from '../src/pipeline/record.types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sinkScript = path.resolve(here, '../../shared/bench/sink/server.js');
const file = process.argv[2];
if (!file) throw new Error('usage: bench/harness-bound.ts <iis.log> [--lines N] [--modes a,b]');
if (!existsSync(sinkScript)) {
  console.log(`skipped: ${sinkScript} not found (the shared harness's sink is needed)`);
  process.exit(0);
}
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const TOTAL = Number(arg('lines') ?? 1_000_000);
const MODES = (arg('modes') ?? 'bytes,noid,stringify,no-original').split(',');
const REPEAT = Number(arg('repeat') ?? 3);
const POOL = 5_000; // distinct documents, cycled with fresh ids (a small live set, as in the agent)
const BATCH_BYTES = 5 * 1024 * 1024; // harness-agent.yml's maxBatchBytes
const PORT = Number(arg('port') ?? 9298);
const INDEX = 'logs-exchange.activesync-default';

const source: RecordSource = { inputId: 'bench', path: file, fingerprint: 'fp' };
const ctx = { source, timezone: 'UTC', observerHostname: 'bench' };
const parser = iisFormat.createParser(ctx);
const framer = createFramer('lines', { startOffset: 0, encoding: 'utf8', maxRecordBytes: 1 << 20 });
const docs: EcsDocument[] = [];
const bytes = readFileSync(file);
fill: for (let off = 0; off < bytes.length; off += 65536) {
  for (const r of framer.push(bytes.subarray(off, off + 65536))) {
    const rec = { source, ...r };
    const res = parser.parse(rec);
    if (res.kind !== 'event') continue;
    for (const doc of iisFormat.normalize(res.event, rec, ctx)) {
      for (const e of defaultEnrichers) e(doc);
      docs.push(doc);
    }
    if (docs.length >= POOL) break fill;
  }
}
const jsons = docs.map((d) => JSON.stringify(d));
// Rebuilt from JSON so the objects have ordinary fast shapes (a `delete` would leave `event` in dictionary mode).
const withoutOriginal = jsons.map((j) =>
  JSON.parse(j, (key, value: unknown) =>
    key === 'original' && typeof value === 'string' && /^\d{4}-\d\d-\d\d /.test(value) ? undefined : value,
  ),
);

function startSink(): Promise<{ cpuSeconds: () => number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [sinkScript, '--port', String(PORT)], {
    env: { ...process.env, SINK_VALIDATE: 'sample' },
    stdio: 'ignore',
  });
  const cpuSeconds = (): number => {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks
  };
  const stop = (): Promise<void> =>
    new Promise((r) => {
      child.once('exit', () => r());
      child.kill();
    });
  return new Promise((resolve, reject) => {
    const poll = (n: number): void => {
      http
        .get({ host: '127.0.0.1', port: PORT, path: '/' }, (res) => {
          res.resume();
          resolve({ cpuSeconds, stop });
        })
        .on('error', () =>
          n > 50 ? reject(new Error('sink did not start')) : setTimeout(() => poll(n + 1), 100),
        );
    };
    poll(0);
  });
}

interface Run {
  lines: number;
  own: number;
  sink: number;
}

async function runMode(mode: string): Promise<Run> {
  const sink = await startSink();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const post = (body: Buffer): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: PORT,
          path: '/_bulk?filter_path=errors,items.*.status',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let n = 0;
  const batch = (): Buffer => {
    const parts: string[] = [];
    let size = 0;
    while (n < TOTAL && size < BATCH_BYTES) {
      const i = n % POOL;
      const action =
        mode === 'noid'
          ? `{"create":{"_index":"${INDEX}"}}`
          : `{"create":{"_index":"${INDEX}","_id":"${documentId('bench', 'fp', n, 0)}"}}`;
      const src =
        mode === 'stringify'
          ? JSON.stringify(docs[i])
          : mode === 'no-original'
            ? JSON.stringify(withoutOriginal[i])
            : jsons[i]!;
      const line = `${action}\n${src}\n`;
      parts.push(line);
      size += line.length;
      n++;
    }
    return Buffer.from(parts.join(''));
  };
  const sinkCpu0 = sink.cpuSeconds();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let inflight = 0;
  await new Promise<void>((done, fail) => {
    const pump = (): void => {
      while (inflight < 2 && n < TOTAL) {
        inflight++;
        post(batch()).then((r) => {
          if ((JSON.parse(r.toString()) as { errors?: boolean }).errors)
            return fail(new Error('item errors'));
          inflight--;
          if (n >= TOTAL && inflight === 0) done();
          else pump();
        }, fail);
      }
    };
    pump();
  });
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const own = (c.user + c.system) / 1e6;
  const sinkCpu = sink.cpuSeconds() - sinkCpu0;
  agent.destroy();
  await sink.stop();
  return { lines: TOTAL / wall, own, sink: sinkCpu };
}

console.log(
  `${TOTAL} lines, ${POOL} distinct documents of ${Math.round(jsons.reduce((a, s) => a + s.length, 0) / POOL)} B ` +
    `(${Math.round(withoutOriginal.reduce((a, d) => a + JSON.stringify(d).length, 0) / POOL)} B without event.original)`,
);
// Round-robin (every mode once per round), so drift on a shared machine hits all modes alike; medians printed.
const runs = new Map<string, Run[]>();
for (let round = 0; round < REPEAT; round++)
  for (const m of MODES) runs.set(m, [...(runs.get(m) ?? []), await runMode(m)]);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`medians of ${REPEAT}; two-core bound = lines / ((cpu + sink cpu) / 2)`);
for (const [mode, rs] of runs) {
  const own = median(rs.map((r) => r.own));
  const sinkCpu = median(rs.map((r) => r.sink));
  const both = median(rs.map((r) => r.own + r.sink));
  console.log(
    `${mode.padEnd(12)} ${String(Math.round(median(rs.map((r) => r.lines)))).padStart(8)} lines/s  ` +
      `cpu ${own.toFixed(2).padStart(6)} s  sink cpu ${sinkCpu.toFixed(2).padStart(5)} s  ` +
      `(${((both / TOTAL) * 1e6).toFixed(1)} µs/line together)  two-core bound ${Math.round(TOTAL / (both / 2))} lines/s`,
  );
}
