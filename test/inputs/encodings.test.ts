// The same content as UTF-8, UTF-8 with BOM, UTF-16LE/BE with BOM (PowerShell 5.1 Out-File) and gzip yields
// the same records, for every text framing. Gzip offsets are decompressed offsets, identical to UTF-8's.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { FileInput } from '../../src/inputs/index.js';
import type { FramingKind } from '../../src/pipeline/record.types.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { FakeSink, MemoryDeadLetters, inputConfig, tempDir, testHandlers, openRegistry } from './helpers.js';

const MAILBOX_ENTRY = (n: number): string =>
  [
    '',
    '-----------------',
    ` Log Entry: ${n}`,
    '-----------------',
    '',
    'RequestTime : ',
    `09/19/2013 10:22:1${n}`,
    '',
    'RequestHeader : ',
    'POST /Microsoft-Server-ActiveSync/default.eas?User=johndoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=Provision HTTP/1.1',
    'User-Agent: Apple-iPad2C2/1101.465',
    '',
    '',
    'ResponseBody : ',
    '<?xml version="1.0" encoding="utf-8" ?>',
    '<Provision xmlns="Provision:">',
    '\t<Status>110</Status>',
    '</Provision>',
    '',
  ].join('\r\n');

const CONTENT: Record<string, { framing: FramingKind; text: string; records: number }> = {
  lines: {
    framing: 'lines',
    text: '#Software: Microsoft Internet Information Services 8.5\r\n#Date: 2013-09-19 14:00:00\r\n2013-09-19 14:22:11 10.0.0.1 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Provision 443 johndoe 1.2.3.4 Apple-iPad2C2/1101.465 200 0 0 15\r\nnon-ascii: Zürich € 𝄞\r\nlast line without end',
    records: 5,
  },
  csv: {
    framing: 'csv-rows',
    text: '#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n"Message","Id"\r\n"Watson report about to be sent\r\nErrorReportingEnabled: False","4999"\r\n',
    records: 3,
  },
  xml: {
    framing: 'xml-events',
    text: `<?xml version="1.0" encoding="utf-8" standalone="yes"?><Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID Qualifiers='16388'>4999</EventID></System></Event><Event><System><EventID>1</EventID></System><EventData><Data>ü</Data></EventData></Event></Events>`,
    records: 2,
  },
  json: {
    framing: 'json',
    text: '[\r\n    {\r\n        "Id":  4999,\r\n        "Message":  "Watson report \\u0027x\\u0027"\r\n    },\r\n    {\r\n        "Id":  1\r\n    }\r\n]\r\n',
    records: 2,
  },
  mailbox: {
    framing: 'mailbox-log',
    text: MAILBOX_ENTRY(0) + MAILBOX_ENTRY(1) + MAILBOX_ENTRY(2),
    records: 3,
  },
};

function variants(text: string): Record<string, Buffer> {
  const le = Buffer.from(text, 'utf16le');
  return {
    utf8: Buffer.from(text, 'utf8'),
    'utf8-bom': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]),
    utf16le: Buffer.concat([Buffer.from([0xff, 0xfe]), le]),
    utf16be: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]),
    gzip: gzipSync(Buffer.from(text, 'utf8')),
    'utf16le-gzip': gzipSync(Buffer.concat([Buffer.from([0xff, 0xfe]), le])),
  };
}

async function replay(framing: FramingKind, name: string, bytes: Buffer) {
  const tmp = await tempDir('casguard-enc-');
  try {
    const dir = path.join(tmp.dir, 'in');
    await mkdir(dir);
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    const sink = new FakeSink();
    const deadLetters = new MemoryDeadLetters();
    const input = new FileInput(inputConfig({ paths: [path.join(dir, '*')] }), {
      baseDir: tmp.dir,
      handlerFactory: testHandlers(framing),
      sink,
      deadLetters,
      registry: await openRegistry(path.join(tmp.dir, 'data'), nullLogger),
      logger: nullLogger,
    });
    const summary = await input.runOnce();
    return { docs: sink.docs, summary, deadLetters: deadLetters.letters };
  } finally {
    await tmp.cleanup();
  }
}

describe('encodings and gzip', () => {
  for (const [kind, c] of Object.entries(CONTENT)) {
    it(`${kind}: UTF-8 ± BOM, UTF-16LE/BE and gzip give the same records`, async () => {
      const all = variants(c.text);
      const base = await replay(c.framing, 'a.log', all['utf8']!);
      assert.equal(base.docs.length, c.records, 'record count of the UTF-8 original');
      assert.equal(base.deadLetters.length, 0);
      for (const [name, bytes] of Object.entries(all)) {
        const r = await replay(c.framing, name.includes('gzip') ? 'a.log.gz' : 'a.log', bytes);
        assert.deepEqual(
          r.docs.map((d) => d.text),
          base.docs.map((d) => d.text),
          name,
        );
        if (name === 'gzip') {
          assert.deepEqual(
            r.docs.map((d) => d.offset),
            base.docs.map((d) => d.offset),
            'gzip offsets are decompressed offsets',
          );
        }
      }
    });
  }

  it('an invalid byte sequence never stops a file', async () => {
    const bytes = Buffer.concat([
      Buffer.from('one\n'),
      Buffer.from([0xc3, 0x28, 0xff, 0x0a]),
      Buffer.from('three\n'),
    ]);
    const r = await replay('lines', 'bad.log', bytes);
    assert.deepEqual(
      r.docs.map((d) => d.text),
      ['one', '\ufffd(\ufffd', 'three'],
    );
    assert.equal(r.docs[2]!.offset, 8);
  });
});
