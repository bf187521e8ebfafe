// Property: for every framing and encoding, feeding a file in random slices gives exactly the records of
// feeding it whole, and resuming at any record's endOffset gives exactly the records after it. Seeded, so a
// failure is reproducible; 150 random files per framing.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FramingKind } from '../pipeline/record.types.js';
import type { FramedRecord, TextEncoding } from './framer.types.js';
import { createFramer } from './index.js';
import { mulberry32 as rng } from '../../test/helpers/prng.js';

const WORDS = [
  'a',
  'Zürich',
  '€',
  '𝄞',
  ',',
  '"',
  '""',
  ' ',
  '\t',
  '{',
  '}',
  '[',
  ']',
  '<x>',
  '\\"',
  'Log',
  '-',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function text(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += pick(r, WORDS);
  return s;
}

function makeFile(kind: FramingKind, r: () => number): string {
  const eol = r() < 0.5 ? '\r\n' : '\n';
  const n = 1 + Math.floor(r() * 12);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'lines':
        parts.push(text(r, Math.floor(r() * 20)) + eol);
        break;
      case 'csv-rows':
        parts.push(
          r() < 0.2
            ? `#${text(r, 3).replace(/[\r\n]/g, '')}${eol}`
            : `a,"${text(r, 5).replace(/"/g, '""')}${eol}${text(r, 3).replace(/"/g, '""')}",3${eol}`,
        );
        break;
      case 'mailbox-log':
        parts.push(
          `${eol}-----------------${eol} Log Entry: ${i}${eol}-----------------${eol}${eol}Key : ${eol}${text(r, 8)}${eol}${eol}`,
        );
        break;
      case 'xml-events':
        parts.push(
          `${r() < 0.5 ? eol : ''}<Event xmlns='e'><Data>${text(r, 6).replace(/[<>]/g, '')}</Data></Event>`,
        );
        break;
      case 'json':
        parts.push(JSON.stringify({ m: text(r, 6), n: [i, { d: text(r, 2) }] }) + (r() < 0.5 ? eol : ' '));
        break;
      default:
        parts.push(text(r, 5));
    }
  }
  if (kind === 'xml-events' && r() < 0.5) return `<?xml version="1.0"?><Events>${parts.join('')}</Events>`;
  if (kind === 'json' && r() < 0.4) return `[${parts.map((p) => p.trim()).join(`,${eol}`)}]`;
  return parts.join('');
}

function encode(s: string, enc: TextEncoding): Buffer {
  if (enc === 'utf8') return Buffer.from(s, 'utf8');
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
  return enc === 'utf16le' ? le : Buffer.from(le).swap16();
}

function run(
  kind: FramingKind,
  enc: TextEncoding,
  bytes: Buffer,
  start: number,
  slices: number[],
): FramedRecord[] {
  const f = createFramer(kind, { startOffset: start, encoding: enc, maxRecordBytes: 1 << 20 });
  const out: FramedRecord[] = [];
  let pos = f.feedFrom;
  let k = 0;
  while (pos < bytes.length) {
    const n = slices[k++ % slices.length]!;
    out.push(...f.push(bytes.subarray(pos, pos + n)));
    pos += n;
  }
  out.push(...f.end());
  return out.map((x) => ({
    offset: x.offset,
    endOffset: x.endOffset,
    text: x.text,
    ...(x.error ? { error: x.error } : {}),
  }));
}

describe('framers under random slicing and resumption', () => {
  for (const kind of ['lines', 'csv-rows', 'mailbox-log', 'xml-events', 'json'] as const) {
    it(`${kind}: slices and resume points never change the records`, () => {
      const r = rng(0x5eed + kind.length);
      for (let iter = 0; iter < 150; iter++) {
        const enc = pick(r, ['utf8', 'utf16le', 'utf16be'] as const);
        const bytes = encode(makeFile(kind, r), enc);
        const whole = run(kind, enc, bytes, 0, [bytes.length]);
        assert.ok(whole.length > 0, `${kind} iteration ${iter}: no records`);
        assert.ok(
          whole.every((x) => !x.error),
          `${kind} iteration ${iter}: unexpected framing error`,
        );
        const slices = Array.from({ length: 5 }, () => 1 + Math.floor(r() * 40));
        assert.deepEqual(
          run(kind, enc, bytes, 0, slices),
          whole,
          `${kind} ${enc} iteration ${iter} slices ${slices.join(',')}`,
        );
        const cut = Math.floor(r() * whole.length);
        const resumed = run(kind, enc, bytes, whole[cut]!.endOffset, slices);
        assert.deepEqual(
          resumed.map((x) => x.text),
          whole.slice(cut + 1).map((x) => x.text),
          `${kind} ${enc} iteration ${iter}: resume after record ${cut}`,
        );
      }
    });
  }
});
