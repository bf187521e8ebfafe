// EVTX through the file input: raw bytes (no text decoding) from the framer's feedFrom, the file read as a
// complete export, and a resume from a checkpoint inside a chunk re-reads nothing before it.

import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { Registry } from '../../src/inputs/index.js';
import { FileInput } from '../../src/inputs/index.js';
import type { FileHandlerFactory } from '../../src/pipeline/stages.types.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { MemoryDeadLetters, inputConfig, tempDir, waitFor, openRegistry } from './helpers.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import { settle, type OnSettled } from '../../src/pipeline/settle.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SAMPLE = path.join(here, '../fixtures/evtx/Application.evtx');

interface Seen {
  offset: number;
  endOffset: number;
  recordId: string | undefined;
}

function evtxHandlers(seen: Seen[]): FileHandlerFactory {
  return (source, head) => {
    if (!head.startsWith('ElfFile\0')) return undefined;
    return {
      formatName: 'evtx-test',
      framing: 'evtx',
      process: (record) => {
        seen.push({ offset: record.offset, endOffset: record.endOffset, recordId: record.recordId });
        const doc: ShippableDocument = {
          id: `${source.fingerprint}:${record.recordId ?? record.offset}`,
          stream: 'application',
          op: 'create',
          doc: {
            '@timestamp': '2013-09-19T14:22:11.000Z',
            log: { file: { path: source.path }, offset: record.offset },
          },
        };
        return { documents: [doc] };
      },
      snapshot: () => undefined,
      restore: () => undefined,
    };
  };
}

const sink = {
  push: (_d: ShippableDocument, onSettled: OnSettled): boolean => {
    settle(onSettled);
    return true;
  },
  drain: async () => undefined,
  flush: async () => undefined,
  close: async () => undefined,
};

describe('EVTX files through the input', () => {
  it('reads every record as a complete export, and resumes mid-chunk exactly after a checkpoint', async () => {
    const tmp = await tempDir('casguard-evtx-');
    try {
      const dir = path.join(tmp.dir, 'in');
      await mkdir(dir);
      await copyFile(SAMPLE, path.join(dir, 'Application.evtx'));
      const all: Seen[] = [];
      const data = path.join(tmp.dir, 'data');
      const make = (seen: Seen[], registry: Registry): FileInput =>
        new FileInput(inputConfig({ paths: [path.join(dir, '*.evtx')] }), {
          baseDir: tmp.dir,
          handlerFactory: evtxHandlers(seen),
          sink,
          deadLetters: new MemoryDeadLetters(),
          registry,
          logger: nullLogger,
        });
      // Tailing: an export is complete once it stops changing (exportSettleMs).
      const registry = await openRegistry(data, nullLogger);
      const tail = make(all, registry);
      await tail.start();
      let last = -1;
      await waitFor(
        () => {
          const stable = all.length > 0 && all.length === last;
          last = all.length;
          return stable && registry.entries('test')[0]?.done === true;
        },
        20000,
        'all records',
      );
      await tail.stop();
      assert.ok(all.length > 100, `records: ${all.length}`);
      assert.ok(
        all.every((r) => r.recordId !== undefined),
        'all.every((r) => r.recordId !== undefined)',
      );
      assert.equal(new Set(all.map((r) => r.recordId)).size, all.length, 'no record twice');
      // Resume from a checkpoint in the middle of a chunk: move the committed offset back by hand.
      const cut = Math.floor(all.length / 2) + 3;
      const cp = registry.entries('test')[0]!;
      cp.offset = all[cut]!.endOffset;
      cp.done = false;
      registry.touch();
      await registry.flush();
      const rest: Seen[] = [];
      const again = make(rest, await openRegistry(data, nullLogger));
      await again.runOnce(undefined, { resume: true });
      assert.deepEqual(
        rest.map((r) => r.recordId),
        all.slice(cut + 1).map((r) => r.recordId),
      );
    } finally {
      await tmp.cleanup();
    }
  });
});
