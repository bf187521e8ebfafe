// The mailbox-log framing on the real KB 2851708 excerpt (a pasted entry without its `Log Entry` separator)
// and on a full report built from it as Exchange writes it (CRLF, separators, UTF-16LE when saved with
// Windows PowerShell 5.1 Out-File).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { createFramer } from '../../src/framing/index.js';
import type { FramedRecord, TextEncoding } from '../../src/framing/framer.types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const partial = readFileSync(
  path.join(here, '../fixtures/inputs/kb2851708-mailboxlog-entry.partial.txt'),
  'utf8',
);

function frame(bytes: Buffer, encoding: TextEncoding): FramedRecord[] {
  const f = createFramer('mailbox-log', { startOffset: 0, encoding, maxRecordBytes: 1 << 20 });
  const out: FramedRecord[] = [];
  for (let i = 0; i < bytes.length; i += 100) out.push(...f.push(bytes.subarray(i, i + 100)));
  return [...out, ...f.end()];
}

describe('mailbox-log framing on the KB 2851708 excerpt', () => {
  it('a pasted entry without separator is one record, emitted at the end of the file', () => {
    const rs = frame(Buffer.from(partial), 'utf8');
    assert.equal(rs.length, 1);
    assert.ok(
      rs[0]!.text.startsWith('AssemblyVersion :\n14.02.0328.009'),
      "rs[0]!.text.startsWith('AssemblyVersion :\\n14.02.0328.009')",
    );
    assert.ok(rs[0]!.text.endsWith('RequestBody :'), "rs[0]!.text.endsWith('RequestBody :')");
  });

  it('a report of three entries, CRLF, UTF-8 and UTF-16LE with BOM, gives three records with the entry text', () => {
    const entry = (n: number): string =>
      `\r\n-----------------\r\n Log Entry: ${n}\r\n-----------------\r\n\r\nRequestTime : \r\n09/19/2013 10:22:1${n}\r\n\r\n` +
      partial.replace(/\n/g, '\r\n') +
      '\r\n\r\n';
    const report = entry(0) + entry(1) + entry(2);
    const utf8 = frame(Buffer.from(report), 'utf8');
    const utf16 = frame(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(report, 'utf16le')]),
      'utf16le',
    );
    assert.equal(utf8.length, 3);
    assert.deepEqual(
      utf16.map((r) => r.text),
      utf8.map((r) => r.text),
    );
    for (const [i, r] of utf8.entries()) {
      assert.match(r.text, new RegExp(`^-{17}\\r\\n Log Entry: ${i}\\r\\n`));
      assert.match(r.text, /Cmd=Provision HTTP\/1\.1/);
    }
    // Entries tile the file: each ends where the next begins; UTF-16 offsets are twice UTF-8's, past the BOM.
    assert.equal(utf8[0]!.endOffset, utf8[1]!.offset);
    assert.equal(utf16[1]!.offset, 2 + 2 * utf8[1]!.offset);
  });
});
