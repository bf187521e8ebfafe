// Shared helpers for the output tests: documents, a sink against the test server, reading dead letters back.

import path from 'node:path';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import { DeadLetterFile } from '../../src/outputs/dead-letter/dead-letter-file.js';
import { readDeadLetters } from '../../src/outputs/dead-letter/dead-letter-reader.js';
import type { DeadLetter } from '../../src/pipeline/dead-letter.types.js';
import { ElasticsearchOutputConfig } from '../../src/outputs/elasticsearch/elasticsearch.config.js';
import type { ElasticsearchOutputConfig as EsCfg } from '../../src/outputs/elasticsearch/elasticsearch.config.js';
import { createElasticsearchOutput } from '../../src/outputs/elasticsearch/elasticsearch-output.js';
import type { DeliverySink } from '../../src/outputs/delivery/delivery-sink.js';
import type { DiskIo } from '../../src/outputs/disk/disk-io.js';
import type { Logger } from '../../src/telemetry/logger.types.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { tempDir as removedAtExit } from '../helpers/temp-dir.js';

/** A temporary folder, removed when the test process exits (test/helpers/temp-dir.ts). */
export function tempDir(prefix = 'casguard-es-'): string {
  return removedAtExit(prefix);
}

const streams = ['activesync', 'application', 'alerts'] as const;

/** Document `i`: events go to both data streams by `create`, every 10th is an alert sent by `index`. */
export function makeDoc(i: number, prefix = 'd'): ShippableDocument {
  const stream = i % 10 === 9 ? streams[2] : streams[i % 2];
  const ts = new Date(Date.UTC(2013, 8, 19, 14, 0, 0) + i * 1000).toISOString();
  return {
    id: `${prefix}${i}`,
    stream,
    op: stream === 'alerts' ? 'index' : 'create',
    doc: {
      '@timestamp': ts,
      event: { kind: stream === 'alerts' ? 'alert' : 'event', action: 'Sync', sequence: i },
      host: { name: 'cas01' },
      message: `document ${i} ${'x'.repeat(i % 50)}`,
    },
  };
}

export interface SinkHandle {
  sink: DeliverySink;
  dataDir: string;
  deadLetterDir: string;
  deadLetters: DeadLetterFile;
  cfg: EsCfg;
}

export function openSink(
  url: string,
  overrides: Record<string, unknown> = {},
  opts: { dataDir?: string; logger?: Logger; spoolIo?: DiskIo } = {},
): SinkHandle {
  const dataDir = opts.dataDir ?? tempDir();
  const cfg = ElasticsearchOutputConfig.parse({
    hosts: [url],
    maxBatchDocs: 200,
    flushIntervalMs: 20,
    maxInFlightRequests: 2,
    requestTimeoutMs: 2000,
    retry: { initialDelayMs: 5, maxDelayMs: 200 },
    ...overrides,
  });
  const deadLetterDir = path.join(dataDir, 'dead-letter');
  const deadLetters = new DeadLetterFile({ dir: deadLetterDir });
  const sink = createElasticsearchOutput(cfg, {
    dataDir,
    deadLetters,
    logger: opts.logger ?? nullLogger,
    ...(opts.spoolIo ? { spoolIo: opts.spoolIo } : {}),
  });
  return { sink, dataDir, deadLetterDir, deadLetters, cfg };
}

export async function readLetters(dir: string): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  for await (const r of readDeadLetters(dir)) {
    if (r.letter) out.push(r.letter);
    else throw new Error(`unreadable dead letter at ${r.file}:${r.line}`);
  }
  return out;
}

/** Push documents honouring backpressure; returns how often each id was settled. */
export async function pushAll(
  sink: DeliverySink,
  docs: Iterable<ShippableDocument>,
  settled: Map<string, number>,
  onPushed?: (n: number) => Promise<void> | void,
): Promise<void> {
  let n = 0;
  for (const d of docs) {
    const ok = sink.push(d, () => settled.set(d.id, (settled.get(d.id) ?? 0) + 1));
    n += 1;
    if (onPushed) await onPushed(n);
    if (!ok) await sink.drain();
  }
}

export function* range(from: number, to: number, prefix = 'd'): Generator<ShippableDocument> {
  for (let i = from; i < to; i++) yield makeDoc(i, prefix);
}
