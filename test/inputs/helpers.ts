// Test doubles for the file input: a document sink whose acknowledgement and backpressure the test controls,
// an in-memory dead-letter sink, and a handler factory that turns every record into one document carrying
// its path, offset and text (so tests can check loss, duplicates and order exactly).

import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { DeadLetter } from '../../src/pipeline/dead-letter.types.js';
import { documentId } from '../../src/pipeline/document-id.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import type { FramingKind, SourceRecord } from '../../src/pipeline/record.types.js';
import type {
  DeadLetterSink,
  DocumentSink,
  FileHandler,
  FileHandlerFactory,
} from '../../src/pipeline/stages.types.js';
import { FileInputConfig } from '../../src/inputs/file-input.config.js';
import { Registry, type RegistryOptions } from '../../src/inputs/registry.js';
import type { Logger } from '../../src/telemetry/logger.types.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { settle, type OnSettled } from '../../src/pipeline/settle.js';
import { tempDir as removedAtExit } from '../helpers/temp-dir.js';

/**
 * Registries the tests opened, closed by the cleanup of the temporary folder they are in: a registry left open
 * keeps its journal's FileHandle, which Node closes on garbage collection with a warning (DEP0137).
 */
const openRegistries = new Set<Registry>();

export async function openRegistry(
  dataDir: string,
  logger: Logger = nullLogger,
  options?: RegistryOptions,
): Promise<Registry> {
  const registry = await Registry.open(dataDir, logger, options);
  openRegistries.add(registry);
  return registry;
}

export async function tempDir(
  prefix = 'casguard-inputs-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = removedAtExit(prefix); // removed at exit too, should a test end before its cleanup
  const cleanup = async (): Promise<void> => {
    for (const r of openRegistries)
      if (r.dir.startsWith(dir + path.sep)) {
        openRegistries.delete(r);
        await r.close().catch(() => undefined);
      }
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, cleanup };
}

export interface Shipped {
  readonly id: string;
  readonly path: string;
  readonly offset: number;
  readonly text: string;
}

/** A sink that records documents; acks immediately unless `manual`, and reports full at `capacity`. */
export class FakeSink implements DocumentSink {
  readonly docs: Shipped[] = [];
  readonly waiting: (() => void)[] = [];
  manual = false;
  capacity = Number.POSITIVE_INFINITY;
  private inFlight = 0;
  private drainers: (() => void)[] = [];
  pushes = 0;
  falseReturns = 0;

  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    this.pushes += 1;
    const d = doc.doc as unknown as { log: { file: { path: string }; offset: number }; message: string };
    this.docs.push({ id: doc.id, path: d.log.file.path, offset: d.log.offset, text: d.message });
    if (this.manual) {
      this.inFlight += 1;
      this.waiting.push(() => {
        this.inFlight -= 1;
        settle(onSettled);
        if (this.inFlight < this.capacity) this.release();
      });
    } else {
      settle(onSettled);
    }
    const ok = this.inFlight < this.capacity;
    if (!ok) this.falseReturns += 1;
    return ok;
  }

  /** Settle the oldest `n` in-flight documents (all by default). */
  settle(n = this.waiting.length): void {
    for (const f of this.waiting.splice(0, n)) f();
  }

  drain(): Promise<void> {
    if (this.inFlight < this.capacity) return Promise.resolve();
    return new Promise((r) => this.drainers.push(r));
  }

  private release(): void {
    const d = this.drainers;
    this.drainers = [];
    for (const r of d) r();
  }

  async flush(): Promise<void> {
    this.settle();
  }

  async close(): Promise<void> {
    this.settle();
  }
}

export class MemoryDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  flushes = 0;
  /** While set, flush() does not resolve (a slow disk) until release(). */
  hold = false;
  private held: (() => void)[] = [];
  write(letter: DeadLetter): void {
    this.letters.push(letter);
  }
  async flush(): Promise<void> {
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    this.flushes += 1;
  }
  release(): void {
    this.hold = false;
    for (const r of this.held.splice(0)) r();
  }
  async close(): Promise<void> {}
}

/**
 * A handler factory for tests: every file whose head does not start with `SKIP` is handled with the given
 * framing; each record becomes one document (`message` = text). Records whose text starts with `BAD` fail to
 * parse. The parser state is the last line starting with `#Fields`.
 */
export function testHandlers(framing: FramingKind = 'lines'): FileHandlerFactory {
  return (source, head) => {
    if (head.startsWith('SKIP')) return undefined;
    let fields: string | undefined;
    const handler: FileHandler = {
      formatName: 'test',
      framing,
      process(record: SourceRecord) {
        if (record.text.startsWith('#Fields')) fields = record.text;
        if (record.text.startsWith('BAD')) {
          return {
            documents: [],
            deadLetter: {
              time: new Date(0).toISOString(),
              stage: 'parse',
              code: 'test.bad',
              reason: 'bad record',
              path: record.source.path,
              offset: record.offset,
            },
          };
        }
        const doc: ShippableDocument = {
          id: documentId(source.inputId, source.fingerprint, record.offset),
          stream: 'activesync',
          op: 'create',
          doc: {
            '@timestamp': new Date(0).toISOString(),
            message: record.text,
            log: { file: { path: record.source.path }, offset: record.offset },
            ...(fields ? { labels: { fields } } : {}),
          },
        };
        return { documents: [doc] };
      },
      snapshot: () => fields,
      restore: (s) => {
        fields = typeof s === 'string' ? s : undefined;
      },
    };
    return handler;
  };
}

export function inputConfig(over: Record<string, unknown>): FileInputConfig {
  return FileInputConfig.parse({
    id: 'test',
    pollIntervalMs: 50,
    rescanIntervalMs: 200,
    closeIdleMs: 500,
    checkpointFlushMs: 100,
    exportSettleMs: 300,
    ...over,
  });
}

export async function waitFor(cond: () => boolean, timeoutMs = 15000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Assert-friendly view: texts in order, and the first duplicate id if any. */
export function duplicates(docs: readonly Shipped[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const d of docs) {
    if (seen.has(d.id)) dup.push(`${d.text}@${d.offset}`);
    seen.add(d.id);
  }
  return dup;
}
