// End to end without the file input: an IIS log file read line by line → the IIS format's FileProcessor
// (parse, full ECS normalization, enrichment) → the Elasticsearch output → the test server in a separate
// process. The input stage is a plain line splitter here. The whole agent runs in the shared harness through
// bench/harness-agent.sh (see bench/README.md). This script:
//   node ../shared/bench/gen/gen.js iis --lines 200000 --seed 42 --out /tmp/iis-200k.log
//   node --import tsx bench/e2e-iis-to-es.ts /tmp/iis-200k.log [--gzip true]
// Prints one JSON line: lines/s, documents, CPU seconds, peak RSS.

import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultEnrichers } from '../src/enrich/index.js';
import { ALL_FORMATS } from '../src/normalize/formats/index.js';
import { createFileHandlerFactory } from '../src/normalize/formats/handler-factory.js';
import { openSink } from '../test/outputs/helpers.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    gzip: { type: 'string', default: 'true' },
    format: { type: 'string', default: 'iis' },
    buffer: { type: 'string' },
  },
});
const file = positionals[0];
if (!file) {
  console.error('usage: e2e-iis-to-es.ts <iis.log> [--gzip true|false]');
  process.exit(2);
}

const server = spawn(process.execPath, ['--import', 'tsx', 'test/es-server/serve.ts', '--fast'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve) => {
  server.stdout.once('data', (b: Buffer) => resolve(b.toString().trim().split('\n')[0]!));
});

const factory = createFileHandlerFactory({
  formats: ALL_FORMATS,
  format: values.format,
  timezone: 'UTC',
  observerHostname: 'bench',
  deps: { enrichers: defaultEnrichers },
});
const source = { inputId: 'bench', path: path.resolve(file), fingerprint: 'bench' };
const handler = factory(source, '')!;
const { sink } = openSink(url, {
  compression: values.gzip === 'true',
  flushIntervalMs: 1000,
  maxBatchDocs: 2000,
  ...(values.buffer ? { maxBufferBytes: Number(values.buffer) } : {}),
});

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
const start = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let lines = 0;
let documents = 0;
let deadLetters = 0;
let offset = 0;
let rest = '';
for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
  const parts = (rest + (chunk as string)).split('\n');
  rest = parts.pop()!;
  for (const text of parts) {
    const end = offset + Buffer.byteLength(text) + 1;
    const r = handler.process({
      source,
      offset,
      endOffset: end,
      text: text.replace(/\r$/, ''),
      line: lines + 1,
    });
    offset = end;
    lines += 1;
    if (r.deadLetter) deadLetters += 1;
    for (const d of r.documents) {
      documents += 1;
      if (!sink.push(d, () => undefined)) await sink.drain();
    }
  }
}
await sink.flush();
const secs = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
await sink.close();
server.kill('SIGTERM');
console.log(
  JSON.stringify({
    bench: 'e2e-iis-to-es',
    file,
    lines,
    documents,
    deadLetters,
    seconds: Number(secs.toFixed(2)),
    linesPerSecond: Math.round(lines / secs),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    linesPerCpuSecond: Math.round(lines / ((cpu.user + cpu.system) / 1e6)),
    peakRssMB: Math.round(peakRss / 1e6),
    delivered: sink.counts.delivered,
    gzip: values.gzip === 'true',
  }),
);
