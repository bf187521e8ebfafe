// Assembles the Elasticsearch output: client (8.x dialect, see es-client.ts) → bulk transport → delivery sink
// with its disk spool under `<dataDir>/spool/elasticsearch` and the injected dead-letter sink. Documents get
// their namespace and `event.ingested`, and lose their stream's constant fields, on the way in
// (prepare-document.ts).

import path from 'node:path';
import type { ShippableDocument } from '../../pipeline/document.types.js';
import { withNamespace } from '../../pipeline/namespace.js';
import type { DeadLetterSink } from '../../pipeline/stages.types.js';
import type { Logger } from '../../telemetry/logger.types.js';
import { DeliverySink } from '../delivery/delivery-sink.js';
import type { BulkTransport } from '../delivery/bulk-transport.types.js';
import type { DiskIo } from '../disk/disk-io.js';
import { Spool } from '../delivery/spool.js';
import { createEsClient, EsBulkTransport } from './es-client.js';
import type { ElasticsearchOutputConfig } from './elasticsearch.config.js';
import { enterWireShape, isoClock, leaveWireShape } from './prepare-document.js';
import { targetName } from './targets.js';
import type { OnSettled } from '../../pipeline/settle.js';

export interface ElasticsearchOutputDeps {
  readonly dataDir: string;
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
  /** Tests and benches may inject a transport; the agent builds the real one. */
  readonly transport?: BulkTransport;
  /** Tests may inject a failing disk under the spool. */
  readonly spoolIo?: DiskIo;
  readonly name?: string;
  /** Clock for `event.ingested` (ms since the epoch); tests inject one. */
  readonly now?: () => number;
}

/** The delivery sink with documents in their wire shape: `event.ingested` = the time of hand-over, the stream's
 * constant fields left out (see prepare-document.ts). */
class ElasticsearchSink extends DeliverySink {
  constructor(
    private readonly ingestedAt: () => string,
    private readonly sendConstants: boolean,
    opts: ConstructorParameters<typeof DeliverySink>[0],
  ) {
    super(opts);
  }

  override push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    // A pre-serialized document (parallel replay) is in its wire shape already (its `wire` bytes when the
    // constants are left out); the batch builder inserts `event.ingested` into it (ingestedAt below).
    if (doc.serialized) return super.push(doc, onSettled);
    const mark = enterWireShape(doc.doc, doc.stream, this.ingestedAt(), this.sendConstants);
    try {
      return super.push(doc, onSettled);
    } finally {
      leaveWireShape(mark);
    }
  }
}

export function spoolDir(dataDir: string, name = 'elasticsearch'): string {
  return path.join(dataDir, 'spool', name);
}

export function createElasticsearchOutput(
  cfg: ElasticsearchOutputConfig,
  deps: ElasticsearchOutputDeps,
): DeliverySink {
  const name = deps.name ?? 'elasticsearch';
  const logger = deps.logger.child({ component: 'output', output: name });
  let transport = deps.transport;
  if (!transport) {
    const { client, scrub } = createEsClient(cfg, logger, name);
    transport = new EsBulkTransport(
      client,
      scrub,
      cfg.compression ? cfg.compressionLevel : undefined,
      cfg.requestTimeoutMs,
    );
  }
  const spool = new Spool({
    dir: spoolDir(deps.dataDir, name),
    maxBytes: cfg.spool.maxBytes,
    whenFull: cfg.spool.whenFull,
    ...(deps.spoolIo ? { io: deps.spoolIo } : {}),
  });
  const ns = cfg.namespace;
  const ingestedAt = isoClock(deps.now);
  return new ElasticsearchSink(ingestedAt, cfg.sendStreamConstants, {
    transport,
    ingestedAt,
    // The worker-serialized bytes of parallel replay: without the stream constants unless they are sent.
    serializedShape: cfg.sendStreamConstants ? 'full' : 'wire',
    // Documents say namespace 'default' (field conventions); the data stream they go to decides.
    ...(ns === 'default' ? {} : { prepare: (d: ShippableDocument) => withNamespace(d.doc, d.stream, ns) }),
    targetFor: (s) => targetName(s, cfg.namespace),
    deadLetters: deps.deadLetters,
    spool,
    logger,
    name,
    maxBatchDocs: cfg.maxBatchDocs,
    maxBatchBytes: cfg.maxBatchBytes,
    flushIntervalMs: cfg.flushIntervalMs,
    maxInFlight: cfg.maxInFlightRequests,
    maxBufferBytes: cfg.maxBufferBytes,
    retry: cfg.retry,
  });
}
