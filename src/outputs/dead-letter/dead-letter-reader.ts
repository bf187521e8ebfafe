// Reads the dead-letter files back (for `casguard replay` after the cause is fixed, and for tests). Files are
// read oldest first (the rotated `dead-letter-<time>.ndjson` files, then `dead-letter.ndjson`); a torn last
// line from a crash is reported, not thrown.

import { createReadStream, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { DeadLetter } from '../../pipeline/dead-letter.types.js';

/** The dead-letter files in a folder, oldest first. */
export function deadLetterFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const rotated = names.filter((n) => /^dead-letter-.+\.ndjson$/.test(n)).sort();
  const files = rotated.map((n) => path.join(dir, n));
  if (names.includes('dead-letter.ndjson')) files.push(path.join(dir, 'dead-letter.ndjson'));
  return files.filter((f) => statSync(f).isFile());
}

export interface DeadLetterRead {
  readonly letter?: DeadLetter;
  /** Set for a line that is not a dead letter (e.g. torn by a crash). */
  readonly unreadable?: string;
  readonly file: string;
  readonly line: number;
}

/** Every dead letter in `dir` (or one file), in order. */
export async function* readDeadLetters(dirOrFile: string): AsyncGenerator<DeadLetterRead> {
  const files = dirOrFile.endsWith('.ndjson') ? [dirOrFile] : deadLetterFiles(dirOrFile);
  for (const file of files) {
    const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    for await (const text of rl) {
      n += 1;
      if (text.trim() === '') continue;
      try {
        const v = JSON.parse(text) as DeadLetter;
        if (typeof v !== 'object' || v === null || typeof v.code !== 'string')
          throw new Error('not a dead letter');
        yield { letter: v, file, line: n };
      } catch {
        yield { unreadable: text.slice(0, 200), file, line: n };
      }
    }
  }
}
