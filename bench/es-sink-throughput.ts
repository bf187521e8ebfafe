// Throughput of the Elasticsearch output alone: full ECS documents (a golden IIS document, ~2.7 KB) pushed
// through the DeliverySink into the test server running in a separate process (so the server does not share
// this event loop), over loopback with the real client, gzip on or off.
//   node --import tsx bench/es-sink-throughput.ts [--docs 200000] [--gzip true] [--batch 2000] [--inflight 2]
// Prints one JSON line: docs/s, MB/s of NDJSON, peak RSS, and the settings.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ShippableDocument } from '../src/pipeline/document.types.js';
import { openSink } from '../test/outputs/helpers.js';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '200000' },
    gzip: { type: 'string', default: 'true' },
    batch: { type: 'string', default: '2000' },
    inflight: { type: 'string', default: '2' },
    buffer: { type: 'string', default: String(16 * 1024 * 1024) },
  },
});
const N = Number(values.docs);

const golden = JSON.parse(
  readFileSync('test/golden/eas/iis/iis-cas-eas-ping-exchange2010.log.expected.json', 'utf8'),
) as { documents: ShippableDocument[] };
const template = golden.documents[0]!;
const t0ms = Date.parse(template.doc['@timestamp']);

function doc(i: number): ShippableDocument {
  // A shallow copy with the fields that vary per line; the nested objects are shared like a parser's output
  // would not be, but serialization cost (what this measures) is the same.
  return {
    id: `bench-${i}`,
    stream: 'activesync',
    op: 'create',
    doc: { ...template.doc, '@timestamp': new Date(t0ms + i).toISOString(), log: { offset: i * 300 } },
  };
}

const server = spawn(process.execPath, ['--import', 'tsx', 'test/es-server/serve.ts', '--fast'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve) => {
  server.stdout.once('data', (b: Buffer) => resolve(b.toString().trim().split('\n')[0]!));
});

const baseRss = process.memoryUsage().rss;
let peakRss = 0;
let atPeak: NodeJS.MemoryUsage | undefined;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss > peakRss) {
    peakRss = m.rss;
    atPeak = m;
  }
}, 50);

const { sink } = openSink(url, {
  compression: values.gzip === 'true',
  maxBatchDocs: Number(values.batch),
  maxInFlightRequests: Number(values.inflight),
  flushIntervalMs: 1000,
  requestTimeoutMs: 30000,
  maxBufferBytes: Number(values.buffer),
});
let settled = 0;
const start = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
for (let i = 0; i < N; i++) {
  if (!sink.push(doc(i), () => (settled += 1))) await sink.drain();
}
await sink.flush();
const secs = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const bytes = sink.counts.requests > 0 ? Buffer.byteLength(JSON.stringify(doc(0).doc)) * N : 0;
await sink.close();
server.kill('SIGTERM');
console.log(
  JSON.stringify({
    bench: 'es-sink-throughput',
    docs: N,
    settled,
    seconds: Number(secs.toFixed(2)),
    docsPerSecond: Math.round(N / secs),
    sourceMBPerSecond: Number((bytes / 1e6 / secs).toFixed(1)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    docsPerCpuSecond: Math.round(N / ((cpu.user + cpu.system) / 1e6)),
    baseRssMB: Math.round(baseRss / 1e6),
    peakRssMB: Math.round(peakRss / 1e6),
    atPeakMB: atPeak
      ? {
          heapTotal: Math.round(atPeak.heapTotal / 1e6),
          heapUsed: Math.round(atPeak.heapUsed / 1e6),
          external: Math.round(atPeak.external / 1e6),
          arrayBuffers: Math.round(atPeak.arrayBuffers / 1e6),
        }
      : undefined,
    requests: sink.counts.requests,
    gzip: values.gzip === 'true',
    batch: Number(values.batch),
    inflight: Number(values.inflight),
    maxBufferBytes: Number(values.buffer),
    node: process.version,
  }),
);
