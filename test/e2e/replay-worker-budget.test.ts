// The replay's worker threads (WorkerTurnSource, real workers) hold a bounded number of turns ready for the main
// thread, however many files they serve: at most 3 turns ahead per file and 24 over all of a worker's files. Before
// the overall bound, a worker filled every file's credits while the outputs were stalled (the main thread consumes
// nothing then): 48 files of 10 MiB took 900 MiB. Then the main thread takes the turns in an order the worker did
// not expect (the last file to its end first, then the others in turn), which the worker must serve beyond its
// budget ('want'): every turn of every file arrives, in order, with nothing lost or repeated, and nothing hangs.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { iisBackfillLog } from '../helpers/iis-backfill.js';
import { iisJob, oneWorkerSource } from '../helpers/replay-workers.js';
import type { ProcessedTurn } from '../../src/inputs/processed-turns.js';
import { tempDir } from '../helpers/temp-dir.js';

const FILES = 12;
/** About 3.3 MiB per file: 4 turns of up to 1 MiB (the tail reader's turn) and a last one. */
const LINES = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('replay worker threads under a stalled main thread', () => {
  let dir: string;
  const files: string[] = [];
  const sizes: number[] = [];
  before(() => {
    dir = tempDir('cg-worker-budget-');
    for (let i = 0; i < FILES; i++) {
      const f = path.join(dir, `u_ex2611${String(i).padStart(2, '0')}.log`);
      const text = iisBackfillLog(i, LINES);
      writeFileSync(f, text);
      files.push(f);
      sizes.push(Buffer.byteLength(text));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('hold at most 24 turns ready over all files, then serve any file asked for until every turn is read', async () => {
    const source = oneWorkerSource({ full: false, wire: true });
    const queued = (): number =>
      [...(source as unknown as { queues: Map<number, unknown[]> }).queues.values()].reduce(
        (n, q) => n + q.length,
        0,
      );
    try {
      source.start(FILES);
      const ids = files.map((f, i) => source.add(iisJob(f, `fp${i}`)));
      // Nothing consumed: the worker fills its budget and stops (48 turns could be made: 3 per file).
      // Until the budget is reached, then until nothing more arrives for 2 s (a turn takes well under that).
      for (let waited = 0; queued() < 24 && waited < 60_000; waited += 100) await sleep(100);
      for (let last = -1, same = 0; same < 4;) {
        await sleep(500);
        const n = queued();
        same = n === last ? same + 1 : 0;
        last = n;
      }
      assert.equal(queued(), 24, 'turns ready while nothing is consumed');

      // The round robin made 2 turns of each file. The main thread now reads the last file to its end before any
      // other: its third turn is asked for while the budget is full (credits come back only for that file), so
      // the worker must serve it beyond the budget ('want'). Then the other files in turn.
      const records = new Map<number, number>();
      const ends = new Map<number, number>();
      const read = async (file: number): Promise<boolean> => {
        let timer: NodeJS.Timeout | undefined;
        const turn: ProcessedTurn = await Promise.race([
          source.next(file),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no turn of file ${file} in 60 s: the worker waits`)),
              60_000,
            );
          }),
        ]).finally(() => clearTimeout(timer));
        assert.equal(turn.error, undefined);
        assert.ok(queued() <= 24 + 1, `turns ready: ${queued()}`);
        let n = 0;
        for (const r of turn.records) {
          assert.ok(r.endOffset > (ends.get(file) ?? 0), 'records in file order, none twice');
          ends.set(file, r.endOffset);
          n += 1;
        }
        records.set(file, (records.get(file) ?? 0) + n);
        return turn.last;
      };
      while (!(await read(ids[FILES - 1]!)));
      let open = ids.slice(0, FILES - 1);
      while (open.length > 0) {
        const still: number[] = [];
        for (const file of open) if (!(await read(file))) still.push(file);
        open = still;
      }
      for (const [i, file] of ids.entries()) {
        assert.equal(records.get(file), 4 + LINES, `records of file ${i}`);
        assert.equal(ends.get(file), sizes[i], `file ${i} read to its end`);
      }
    } finally {
      await source.close();
    }
  });
});
