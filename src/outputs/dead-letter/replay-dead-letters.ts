// Re-sends dead-lettered documents (stage `output`) through a DocumentSink once the cause is fixed (a mapping
// corrected by `casguard setup`, a privilege granted).
//
// A file is first claimed: renamed to `<name>.replaying`, so that what the outputs dead-letter again goes to a
// new dead-letter file (once), never into the file being read. Its lines are re-sent in steps; after each step
// is settled (delivered, or dead-lettered again and durable) the byte offset reached is saved next to it
// (`<name>.replaying.offset`, atomically), so an interrupted re-send resumes there instead of doubling. When
// the whole file is settled, it and its offset file are removed: what was delivered is gone from the dead
// letters, what was refused again is in the new file. Records that never became documents (parse and framing
// failures) and lines that are not dead letters cannot be re-sent; they are written to the new file as they
// were (the source files must be replayed with a fixed parser).

import {
  createReadStream,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { DeadLetter } from '../../pipeline/dead-letter.types.js';
import type { DeadLetterSink, DocumentSink } from '../../pipeline/stages.types.js';
import { deadLetterFiles } from './dead-letter-reader.js';

export interface ReplayDeadLettersResult {
  /** Documents pushed to the sink (settled when the promise resolves). */
  readonly resent: number;
  /** Dead letters without a document (parse/framing failures), kept. */
  readonly notDocuments: number;
  /** Lines that are not dead letters (torn by a crash), kept. */
  readonly unreadable: number;
  /** Dead-letter files read (and removed once settled). */
  readonly files: readonly string[];
  /** Files whose interrupted re-send was resumed at its saved offset. */
  readonly resumed: number;
}

export interface ReplayDeadLettersOptions {
  /** Where letters that cannot be re-sent are written back to (the agent's dead-letter file). */
  readonly keep: DeadLetterSink;
  /**
   * Resolves when everything pushed so far is settled and every dead letter written so far is durable (the
   * agent: outputs flushed, Elasticsearch idle, dead letters fsync'd). Default: the sink's flush and the
   * keep sink's flush.
   */
  readonly settle?: () => Promise<void>;
  /** Only re-send letters this accepts (others are kept). */
  readonly filter?: (letter: DeadLetter) => boolean;
  /** Lines per step between saved offsets. */
  readonly stepLines?: number;
}

export const REPLAYING_SUFFIX = '.replaying';
const OFFSET_SUFFIX = '.offset';

/** The files a re-send reads: claimed ones left by an interrupted re-send first, then the dead-letter files. */
function targetFiles(dirOrFile: string): string[] {
  if (dirOrFile.endsWith('.ndjson') || dirOrFile.endsWith(REPLAYING_SUFFIX)) return [dirOrFile];
  let names: string[] = [];
  try {
    names = readdirSync(dirOrFile);
  } catch {
    return [];
  }
  const claimed = names
    .filter((n) => n.endsWith(REPLAYING_SUFFIX))
    .sort()
    .map((n) => path.join(dirOrFile, n));
  return [...claimed, ...deadLetterFiles(dirOrFile)];
}

function savedOffset(claimed: string): number {
  try {
    const v = JSON.parse(readFileSync(claimed + OFFSET_SUFFIX, 'utf8')) as { offset?: unknown };
    return typeof v.offset === 'number' && v.offset >= 0 ? v.offset : 0;
  } catch {
    return 0;
  }
}

function saveOffset(claimed: string, offset: number): void {
  const tmp = `${claimed}${OFFSET_SUFFIX}.tmp`;
  writeFileSync(tmp, JSON.stringify({ offset }) + '\n');
  renameSync(tmp, claimed + OFFSET_SUFFIX);
}

/** Whole lines of `file` from `start`, with the byte offset after each line. */
async function* linesFrom(file: string, start: number): AsyncGenerator<{ text: string; end: number }> {
  let offset = start;
  let rest = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { start })) {
    let buf = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) >= 0) {
      offset += nl + 1;
      yield { text: buf.subarray(0, nl).toString('utf8'), end: offset };
      buf = buf.subarray(nl + 1);
    }
    rest = Buffer.from(buf);
  }
  // A last line without its newline (torn by a crash) is still a line.
  if (rest.length > 0) yield { text: rest.toString('utf8'), end: offset + rest.length };
}

function parseLetter(text: string): DeadLetter | undefined {
  try {
    const v = JSON.parse(text) as DeadLetter;
    if (typeof v === 'object' && v !== null && typeof v.code === 'string') return v;
  } catch {
    // not a dead letter
  }
  return undefined;
}

export async function replayDeadLetters(
  dirOrFile: string,
  sink: DocumentSink,
  options: ReplayDeadLettersOptions,
): Promise<ReplayDeadLettersResult> {
  const settle =
    options.settle ??
    (async (): Promise<void> => {
      await sink.flush();
      await options.keep.flush();
    });
  const step = options.stepLines ?? 1000;
  const filter = options.filter ?? ((): boolean => true);
  let resent = 0;
  let notDocuments = 0;
  let unreadable = 0;
  let resumed = 0;
  const done: string[] = [];
  for (const file of targetFiles(dirOrFile)) {
    let claimed = file;
    if (!file.endsWith(REPLAYING_SUFFIX)) {
      claimed = file + REPLAYING_SUFFIX;
      renameSync(file, claimed);
    }
    let offset = savedOffset(claimed);
    if (offset > 0) resumed += 1;
    // Read until the file stops growing: a writer that still had it open when it was claimed appends there.
    for (;;) {
      const size = statSync(claimed).size;
      if (offset >= size) break;
      let inStep = 0;
      let reached = offset;
      for await (const { text, end } of linesFrom(claimed, offset)) {
        if (end > size) break; // written after this round began: the next round reads it
        if (text.trim() !== '') {
          const letter = parseLetter(text);
          if (!letter) {
            unreadable += 1;
            options.keep.write({
              time: new Date().toISOString(),
              stage: 'output',
              code: 'dead_letter.unreadable_line',
              reason: `a line of ${path.basename(file)} that is not a dead letter (torn by a crash?), kept as it was`,
              record: text,
            });
          } else if (!letter.document || !filter(letter)) {
            if (!letter.document) notDocuments += 1;
            options.keep.write(letter);
          } else {
            resent += 1;
            if (!sink.push(letter.document, () => undefined)) await sink.drain();
          }
        }
        reached = end;
        inStep += 1;
        if (inStep >= step) {
          // Progress is saved only once everything before it is settled.
          await settle();
          saveOffset(claimed, reached);
          inStep = 0;
        }
      }
      await settle();
      saveOffset(claimed, reached);
      if (reached === offset) break;
      offset = reached;
    }
    await settle();
    rmSync(claimed, { force: true });
    rmSync(claimed + OFFSET_SUFFIX, { force: true });
    done.push(file);
  }
  return { resent, notDocuments, unreadable, files: done, resumed };
}
