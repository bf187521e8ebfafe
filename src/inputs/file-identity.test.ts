import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectEncoding, headText, prefixHash, prefixHashes } from './file-identity.js';

describe('file identity', () => {
  it('hashes several prefixes in one pass exactly like one at a time', () => {
    const head = Buffer.from(
      '#Software: Microsoft Internet Information Services 8.5\r\n#Date: 2013-09-19 00:00:00\r\n',
    );
    const m = prefixHashes(head, [10, 3, 50, 10, 500]);
    assert.deepEqual([...m.keys()], [3, 10, 50]);
    for (const [len, h] of m) assert.equal(h, prefixHash(head, len));
  });

  it('tells IIS files apart by their #Date line although their first line is the same', () => {
    const a = Buffer.from(
      '#Software: Microsoft Internet Information Services 8.5\r\n#Version: 1.0\r\n#Date: 2013-09-19 00:00:00\r\n',
    );
    const b = Buffer.from(
      '#Software: Microsoft Internet Information Services 8.5\r\n#Version: 1.0\r\n#Date: 2013-09-20 00:00:00\r\n',
    );
    assert.notEqual(prefixHash(a, a.length), prefixHash(b, b.length));
  });

  it('decides the encoding from the BOM (and BOM-less UTF-16LE text)', () => {
    assert.deepEqual(detectEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x41])), {
      encoding: 'utf8',
      bomBytes: 3,
    });
    assert.deepEqual(detectEncoding(Buffer.from([0xff, 0xfe, 0x41, 0])), {
      encoding: 'utf16le',
      bomBytes: 2,
    });
    assert.deepEqual(detectEncoding(Buffer.from([0xfe, 0xff, 0, 0x41])), {
      encoding: 'utf16be',
      bomBytes: 2,
    });
    assert.deepEqual(detectEncoding(Buffer.from('#Fields: date', 'utf16le')), {
      encoding: 'utf16le',
      bomBytes: 0,
    });
    assert.deepEqual(detectEncoding(Buffer.from('ElfFile\0\0\0\0\0\0\0\0\0')), {
      encoding: 'utf8',
      bomBytes: 0,
    });
  });

  it('gives format detection the text without BOM, and keeps the EVTX magic readable', () => {
    assert.equal(
      headText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<Event>', 'utf16le')])),
      '<Event>',
    );
    assert.ok(
      headText(Buffer.concat([Buffer.from('ElfFile\0'), Buffer.from([0xff, 0x80, 0x01])])).startsWith(
        'ElfFile\0',
      ),
      "headText(Buffer.concat([Buffer.from('ElfFile\\0'), Buffer.from([0xff, 0x80, 0x01])])).startsWith('ElfFile\\0',)",
    );
  });
});
