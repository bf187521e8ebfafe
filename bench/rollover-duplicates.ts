// What remains of "never twice" for `casguard run` across rollovers (issue 13, finding 5): documents pushed
// through the Elasticsearch output (the delivery sink, as `run` ships) into the test server, whose connections
// are reset AFTER a share of the bulk requests were applied (the answer is lost, the batch is re-sent), while the
// stream is rolled over on a timer. A re-sent document whose first copy is in an older backing index is stored
// twice; one whose first copy is in the current write index answers 409. Prints one JSON line per case.
//   node --import tsx bench/rollover-duplicates.ts [--docs 20000] [--reset-after 0.05] [--rollover-ms 100]
// Recorded (2026-12-06, this machine): see bench/README.md.

import { parseArgs } from 'node:util';
import type { ShippableDocument } from '../src/pipeline/document.types.js';
import { startEsTestServer } from '../test/es-server/es-test-server.js';
import { openSink, pushAll } from '../test/outputs/helpers.js';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '20000' },
    'reset-after': { type: 'string', default: '0.05' },
    'rollover-ms': { type: 'string', default: '100' },
  },
});
const N = Number(values.docs);
const STREAM = 'logs-exchange.activesync-default';

function doc(i: number): ShippableDocument {
  return {
    id: `rd-${i}`,
    stream: 'activesync',
    op: 'create',
    doc: {
      '@timestamp': new Date(Date.UTC(2013, 8, 19, 14) + i).toISOString(),
      event: { action: 'Sync' },
      message: `line ${i}`,
    },
  };
}

async function runCase(resetAfterRate: number, rolloverMs: number): Promise<Record<string, number>> {
  const es = await startEsTestServer({ storeSources: false });
  const { sink } = openSink(es.url, { maxBatchDocs: 500, requestTimeoutMs: 5000 });
  es.setFaults({ resetAfterRate });
  let rollovers = 0;
  const timer = setInterval(() => {
    if (!es.cluster.dataStreams.has(STREAM)) return;
    void fetch(`${es.url}/${STREAM}/_rollover`, { method: 'POST' })
      .then((r) => {
        if (r.ok) rollovers += 1;
      })
      .catch(() => undefined);
  }, rolloverMs);
  const t0 = Date.now();
  const settled = new Map<string, number>();
  await pushAll(
    sink,
    (function* () {
      for (let i = 0; i < N; i++) yield doc(i);
    })(),
    settled,
  );
  await sink.flush();
  await sink.idle();
  clearInterval(timer);
  await sink.close();
  const copies = es.documents(STREAM);
  const unique = new Set(copies.map((d) => d.id)).size;
  const out = {
    docs: N,
    resetAfterRate,
    rolloverMs,
    seconds: (Date.now() - t0) / 1000,
    bulkRequests: es.stats.bulkRequests,
    resets: es.stats.resets,
    rollovers,
    settled: settled.size,
    stored: copies.length,
    unique,
    storedTwice: copies.length - unique,
  };
  await es.stop();
  return out;
}

for (const [reset, roll] of [
  [0, Number(values['rollover-ms'])],
  [Number(values['reset-after']), 1_000_000],
  [Number(values['reset-after']), Number(values['rollover-ms'])],
] as const) {
  console.log(JSON.stringify(await runCase(reset, roll)));
}
