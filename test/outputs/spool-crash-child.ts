// Child process for the SIGKILL test: pushes documents d0..d<N-1> through the Elasticsearch output while the
// cluster is down, printing `ACK <id>` as each is settled (durably spooled). The parent kills it mid-way.
// Usage: node --import tsx test/outputs/spool-crash-child.ts <url> <dataDir> <N>

import { openSink, range } from './helpers.js';

const [url, dataDir, n] = process.argv.slice(2);
const N = Number(n);
const { sink } = openSink(
  url!,
  {
    maxBufferBytes: 64 * 1024,
    maxBatchDocs: 50,
    requestTimeoutMs: 300,
    retry: { initialDelayMs: 10, maxDelayMs: 50 },
  },
  { dataDir: dataDir! },
);
let acked: string[] = [];
const flushAcks = (): void => {
  if (acked.length > 0) process.stdout.write(acked.map((id) => `ACK ${id}\n`).join(''));
  acked = [];
};
const timer = setInterval(flushAcks, 5);
for (const d of range(0, N)) {
  const ok = sink.push(d, () => acked.push(d.id));
  if (!ok) await sink.drain();
  // Pace the producer a little so the kill lands while batches are being spooled.
  if (Number(d.id.slice(1)) % 100 === 0) await new Promise((r) => setTimeout(r, 2));
}
await sink.flush();
flushAcks();
clearInterval(timer);
process.stdout.write('ALL\n');
await sink.close();
