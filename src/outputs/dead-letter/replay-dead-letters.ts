// Re-sends dead-lettered documents (stage `output`) through a DocumentSink once the cause is fixed (a mapping
// corrected by `casguard setup`, a privilege granted). Records that never became documents (parse and framing
// failures) are counted, not re-sent: they need `casguard replay` of the source file with a fixed parser.
// Each file is read up to the size it had when the replay started, so documents that fail again and are
// dead-lettered again (appended to the same file) are not picked up in an endless loop.

import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { DeadLetter } from '../../pipeline/dead-letter.types.js';
import type { DocumentSink } from '../../pipeline/stages.types.js';
import { deadLetterFiles } from './dead-letter-reader.js';

export interface ReplayDeadLettersResult {
  /** Documents pushed to the sink (settled when the promise resolves). */
  readonly resent: number;
  /** Dead letters without a document (parse/framing failures). */
  readonly notDocuments: number;
  /** Lines that are not dead letters (torn by a crash). */
  readonly unreadable: number;
  readonly files: readonly string[];
}

export async function replayDeadLetters(
  dirOrFile: string,
  sink: DocumentSink,
  filter: (letter: DeadLetter) => boolean = () => true,
): Promise<ReplayDeadLettersResult> {
  const files = dirOrFile.endsWith('.ndjson') ? [dirOrFile] : deadLetterFiles(dirOrFile);
  const sizes = files.map((f) => statSync(f).size);
  let resent = 0;
  let notDocuments = 0;
  let unreadable = 0;
  for (let i = 0; i < files.length; i++) {
    if (sizes[i] === 0) continue;
    const rl = createInterface({
      input: createReadStream(files[i]!, { encoding: 'utf8', start: 0, end: sizes[i]! - 1 }),
      crlfDelay: Infinity,
    });
    for await (const text of rl) {
      if (text.trim() === '') continue;
      let letter: DeadLetter;
      try {
        letter = JSON.parse(text) as DeadLetter;
        if (typeof letter.code !== 'string') throw new Error('not a dead letter');
      } catch {
        unreadable += 1;
        continue;
      }
      if (!filter(letter)) continue;
      if (!letter.document) {
        notDocuments += 1;
        continue;
      }
      resent += 1;
      if (!sink.push(letter.document, () => undefined)) await sink.drain();
    }
  }
  await sink.flush();
  return { resent, notDocuments, unreadable, files };
}
