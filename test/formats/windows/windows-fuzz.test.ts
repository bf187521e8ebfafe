// Fuzz: mutate the golden inputs 12,000 times (byte flips, deletions, duplications, truncation, and inserted
// XML/CSV/JSON structure such as entity references, DOCTYPEs, quotes and delimiters), frame each mutant with
// the real framer and run every record through FileProcessor. Nothing may escape: a parser exception would
// show up as an `<format>.internal_error` dead letter, and every document must be well-formed. Seeded, so a
// failure is reproducible from the printed iteration.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { windowsFormats } from '../../../src/normalize/formats/windows.formats.js';
import { GOLDEN_CASES, GOLDEN_DIR, contextFor, frame, processRecords } from './windows-harness.js';
import { mulberry32 } from '../../helpers/prng.js';

const ITERATIONS = 12_000;

const SNIPPETS = [
  '<',
  '>',
  '&',
  '&lol;',
  '&#0;',
  '&#x110000;',
  '<!DOCTYPE Event [<!ENTITY lol "lol">]>',
  '<![CDATA[x]]>',
  '"',
  "'",
  ',',
  '\t',
  '\r\n',
  '\n',
  '</Event>',
  "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>",
  '<Data>',
  '</Data>',
  '<EventID>65536</EventID>',
  "<TimeCreated SystemTime='not a time'/>",
  '{',
  '}',
  '[',
  ']',
  '\\/Date(99999999999999999)\\/',
  'Watson report about to be sent for process id: ',
  ', with parameters: ',
  '\u0000',
  '\uFFFD',
  '99999999999999999999999',
  '-1',
];

function mutate(input: Buffer, rnd: () => number): Buffer {
  let buf = Buffer.from(input);
  const n = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < n; k++) {
    const pos = Math.floor(rnd() * (buf.length + 1));
    const op = Math.floor(rnd() * 7);
    if (op === 0 && buf.length > 0) {
      buf[Math.min(pos, buf.length - 1)] = Math.floor(rnd() * 256);
    } else if (op === 1) {
      const len = Math.floor(rnd() * 64);
      buf = Buffer.concat([buf.subarray(0, pos), buf.subarray(pos + len)]);
    } else if (op === 2) {
      const len = Math.floor(rnd() * 256);
      buf = Buffer.concat([buf.subarray(0, pos), buf.subarray(pos, pos + len), buf.subarray(pos)]);
    } else if (op === 3) {
      buf = buf.subarray(0, pos);
    } else {
      const s = SNIPPETS[Math.floor(rnd() * SNIPPETS.length)]!;
      const utf16 = buf[0] === 0xff && buf[1] === 0xfe;
      const at = utf16 ? pos - (pos % 2) : pos;
      buf = Buffer.concat([
        buf.subarray(0, at),
        Buffer.from(s, utf16 ? 'utf16le' : 'utf8'),
        buf.subarray(at),
      ]);
    }
  }
  return buf;
}

it(`mutating the golden inputs ${ITERATIONS} times never lets an exception escape`, () => {
  const rnd = mulberry32(0x4999);
  const inputs = GOLDEN_CASES.map((c) => ({
    ...c,
    bytes: readFileSync(path.join(GOLDEN_DIR, c.file)),
    format: windowsFormats.find((f) => f.name === c.format)!,
  }));
  let records = 0;
  let documents = 0;
  let deadLetters = 0;
  let framerThrows = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const input = inputs[Math.floor(rnd() * inputs.length)]!;
    // One in eight mutants is fed to a different Windows form, as a wrong `format:` setting would.
    const format = rnd() < 0.125 ? windowsFormats[Math.floor(rnd() * windowsFormats.length)]! : input.format;
    const mutant = mutate(input.bytes, rnd);
    let framed;
    try {
      framed = frame(mutant, format, 1 + Math.floor(rnd() * 2048)).filter((r) => !r.error);
    } catch {
      framerThrows++; // not ours (src/framing); counted and printed, parsing is what this test is about
      continue;
    }
    records += framed.length;
    const result = processRecords(format, contextFor(input.file, input.timezone), framed);
    for (const dl of result.deadLetters) {
      assert.ok(
        !dl.code.endsWith('.internal_error'),
        `iteration ${i} (${input.file}): ${dl.code} ${dl.reason}`,
      );
      assert.match(dl.code, /^[\w-]+\.[a-z_]+$/);
    }
    for (const d of result.documents) {
      const doc = d.doc;
      assert.equal(typeof doc['@timestamp'], 'string', `iteration ${i}`);
      assert.ok(!Number.isNaN(Date.parse(doc['@timestamp'])), `iteration ${i}: ${doc['@timestamp']}`);
      assert.doesNotThrow(() => JSON.stringify(doc));
    }
    documents += result.documents.length;
    deadLetters += result.deadLetters.length;
  }
  console.log(
    `fuzz: ${ITERATIONS} mutants, ${records} records, ${documents} documents, ${deadLetters} dead letters, ${framerThrows} framer exceptions`,
  );
  assert.ok(records > ITERATIONS, 'the mutants still framed into records');
  assert.ok(deadLetters > 0 && documents > 0, 'deadLetters > 0 && documents > 0');
});
