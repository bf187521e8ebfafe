import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { documentId } from './document-id.js';

// Ids computed by the incremental createHash implementation of 0.1.0: documents already shipped must keep
// their ids after an upgrade, or a re-read after a restart would store them a second time.
const GOLDEN: [Parameters<typeof documentId>, string][] = [
  [['bench', 'f0e1d2c3b4a59687', 256], 'zhiuhm5YTUHq_CJcMxAc4ofxrAn'],
  [['bench', 'f0e1d2c3b4a59687', 256, 1], 'TjJAINjpLJmIZJFk5joYrXdBq6Y'],
  [['iis-in', 'abc', '4711'], 'eN665kXFfG3d27d0o7D9p5w-1Lf'],
  [['évt', 'ünïcode-fp', 0, 0], 'Qg7QXStVBSFqg3whjW2VsKCD6At'],
  [['', '', 0], '6ttsUR5XTfjKGdGyBaly6jF3DcO'],
];

function incremental(inputId: string, fp: string, position: number | string, index = 0): string {
  const h = createHash('sha256');
  h.update(inputId);
  h.update('\0');
  h.update(fp);
  h.update('\0');
  h.update(String(position));
  if (index > 0) h.update(`\0${index}`);
  return h.digest('base64url').slice(0, 27);
}

describe('documentId', () => {
  it('keeps the ids of earlier versions', () => {
    for (const [args, id] of GOLDEN) assert.equal(documentId(...args), id, JSON.stringify(args));
  });

  it('equals the incremental sha256 over many positions and indexes', () => {
    for (let p = 0; p < 2000; p += 7) {
      for (const index of [0, 1, 3]) {
        assert.equal(documentId('in', 'fp-ü', p, index), incremental('in', 'fp-ü', p, index));
      }
    }
  });

  it('differs by every input and is 27 base64url characters', () => {
    const ids = new Set([
      documentId('a', 'f', 1),
      documentId('b', 'f', 1),
      documentId('a', 'g', 1),
      documentId('a', 'f', 2),
      documentId('a', 'f', 1, 1),
    ]);
    assert.equal(ids.size, 5);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{27}$/);
  });
});
