// The long outage run of issue #5: 500,000 documents, the cluster down for 60 s in the middle, then back.
// Checks that nothing is lost or duplicated and reports memory (the unit suite runs a short version).
//   node --import tsx bench/es-outage-long.ts [--docs 500000] [--outage-seconds 60] [--down-at 0.4]
// Prints one JSON line; exits 1 when a document is missing, stored twice or settled other than once.

import { parseArgs } from 'node:util';
import { startEsTestServer } from '../test/es-server/es-test-server.js';
import { makeDoc, openSink, readLetters } from '../test/outputs/helpers.js';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '500000' },
    'outage-seconds': { type: 'string', default: '60' },
    'down-at': { type: 'string', default: '0.4' },
    buffer: { type: 'string', default: String(16 * 1024 * 1024) },
  },
});
const N = Number(values.docs);
const outageMs = Number(values['outage-seconds']) * 1000;
const downAt = Math.floor(N * Number(values['down-at']));

// The server keeps ids only, so its memory does not count against the agent's in this one process.
const es = await startEsTestServer({ storeSources: false, checkMappings: false });
const { sink, deadLetterDir, dataDir } = openSink(es.url, {
  maxBufferBytes: Number(values.buffer),
  maxBatchDocs: 2000,
  flushIntervalMs: 1000,
  requestTimeoutMs: 5000,
  retry: { initialDelayMs: 200, maxDelayMs: 5000 },
});

let peakRss = 0;
let peakMem = 0;
let peakSpool = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  peakMem = Math.max(peakMem, sink.state.memBytes);
  peakSpool = Math.max(peakSpool, sink.state.spoolBytes);
}, 100);

const settled = new Uint8Array(N);
const start = Date.now();
let upAt = 0;
for (let i = 0; i < N; i++) {
  if (i === downAt) {
    await es.down();
    setTimeout(() => {
      upAt = Date.now();
      void es.up();
    }, outageMs);
  }
  const ok = sink.push(makeDoc(i, 'o'), () => {
    settled[i] = (settled[i] ?? 0) + 1;
  });
  if (!ok) await sink.drain();
}
await sink.flush();
await sink.idle();
clearInterval(sampler);
const seconds = (Date.now() - start) / 1000;
const letters = await readLetters(deadLetterDir);

let missing = 0;
let badSettle = 0;
const stored = new Set<string>();
for (const name of es.indices.keys()) for (const id of es.docs(name).keys()) stored.add(id);
for (let i = 0; i < N; i++) {
  if (!stored.has(`o${i}`)) missing += 1;
  if (settled[i] !== 1) badSettle += 1;
}
const result = {
  bench: 'es-outage-long',
  docs: N,
  stored: es.totalDocs(),
  distinctStored: stored.size,
  missing,
  duplicates: es.totalDocs() - stored.size,
  deadLettered: letters.length,
  settledOtherThanOnce: badSettle,
  spooledDocs: sink.counts.spooled,
  deliveredFromSpool: sink.counts.fromSpoolDelivered,
  outageSeconds: outageMs / 1000,
  recoveredAfterUpSeconds: upAt > 0 ? Number(((Date.now() - upAt) / 1000).toFixed(1)) : null,
  seconds: Number(seconds.toFixed(1)),
  peakRssMB: Math.round(peakRss / 1e6),
  peakBufferedMB: Number((peakMem / 1e6).toFixed(1)),
  peakSpoolMB: Number((peakSpool / 1e6).toFixed(1)),
  maxBufferBytes: Number(values.buffer),
  dataDir,
};
await sink.close();
await es.stop();
console.log(JSON.stringify(result));
process.exitCode =
  missing === 0 && badSettle === 0 && letters.length === 0 && result.duplicates === 0 ? 0 : 1;
