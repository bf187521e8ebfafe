// An interrupted `replay --dead-letters` resumes where its saved offset says, so no document is re-sent twice
// and no refused one is dead-lettered twice; a finished file and its offset are removed.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DeadLetterFile } from '../../src/outputs/dead-letter/dead-letter-file.js';
import { replayDeadLetters } from '../../src/outputs/dead-letter/replay-dead-letters.js';
import type { DeadLetter } from '../../src/pipeline/dead-letter.types.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import type { DocumentSink } from '../../src/pipeline/stages.types.js';
import { settle, type OnSettled } from '../../src/pipeline/settle.js';
import { tempDir } from '../helpers/temp-dir.js';

function letter(i: number): DeadLetter {
  return {
    time: '2026-12-06T00:00:00.000Z',
    stage: 'output',
    reason: 'mapping',
    code: 'es.document_parsing_exception',
    document: { id: `d${i}`, stream: 'activesync', doc: { '@timestamp': '2013-09-19T14:00:00Z' } },
  } as DeadLetter;
}

class Recording implements DocumentSink {
  readonly ids: string[] = [];
  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    this.ids.push(doc.id);
    settle(onSettled);
    return true;
  }
  drain = (): Promise<void> => Promise.resolve();
  flush = (): Promise<void> => Promise.resolve();
  close = (): Promise<void> => Promise.resolve();
}

describe('replay --dead-letters progress', () => {
  it('resumes a claimed file at its saved offset and removes it when done', async () => {
    const dir = tempDir('cg-dl-resume-');
    mkdirSync(path.join(dir, 'dead-letter'));
    const lines = [0, 1, 2, 3].map((i) => JSON.stringify(letter(i)) + '\n');
    const claimed = path.join(dir, 'dead-letter', 'dead-letter.ndjson.replaying');
    writeFileSync(claimed, lines.join(''));
    // An earlier run settled the first two lines before it was interrupted.
    writeFileSync(`${claimed}.offset`, JSON.stringify({ offset: Buffer.byteLength(lines[0]! + lines[1]!) }));
    const sink = new Recording();
    const keep = new DeadLetterFile({ dir: path.join(dir, 'dead-letter') });
    const r = await replayDeadLetters(path.join(dir, 'dead-letter'), sink, { keep, stepLines: 1 });
    await keep.close();
    assert.deepEqual(sink.ids, ['d2', 'd3']);
    assert.equal(r.resumed, 1);
    assert.equal(existsSync(claimed), false);
    assert.equal(existsSync(`${claimed}.offset`), false);
    assert.deepEqual(readdirSync(path.join(dir, 'dead-letter')), []);
  });
});
