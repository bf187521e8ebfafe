import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FramingKind } from '../pipeline/record.types.js';
import type { FramedRecord, TextEncoding } from './framer.types.js';
import { createFramer } from './index.js';

function encode(text: string, enc: TextEncoding, bom = false): Buffer {
  if (enc === 'utf8')
    return Buffer.concat([
      bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
      Buffer.from(text, 'utf8'),
    ]);
  const le = Buffer.from(text, 'utf16le');
  if (enc === 'utf16le') return Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), le]);
  return Buffer.concat([bom ? Buffer.from([0xfe, 0xff]) : Buffer.alloc(0), Buffer.from(le).swap16()]);
}

/** Frame a whole file fed in chunks of the given sizes (cycled), then end() when asked. */
function frame(
  kind: FramingKind,
  bytes: Buffer,
  opts: { enc?: TextEncoding; chunk?: number[]; end?: boolean; max?: number; start?: number } = {},
): FramedRecord[] {
  const f = createFramer(kind, {
    startOffset: opts.start ?? 0,
    encoding: opts.enc ?? 'utf8',
    maxRecordBytes: opts.max ?? 1024 * 1024,
  });
  const out: FramedRecord[] = [];
  const sizes = opts.chunk ?? [bytes.length || 1];
  let pos = f.feedFrom;
  let k = 0;
  while (pos < bytes.length) {
    const n = sizes[k++ % sizes.length]!;
    out.push(...f.push(bytes.subarray(pos, pos + n)));
    pos += n;
  }
  if (opts.end !== false) out.push(...f.end());
  return out;
}

const texts = (rs: FramedRecord[]): string[] => rs.map((r) => r.text);

describe('lines framer', () => {
  it('cuts LF and CRLF lines with exact byte offsets and skips empty lines', () => {
    const rs = frame('lines', Buffer.from('a\r\n\nbé\nc'), { end: true });
    assert.deepEqual(
      rs.map((r) => [r.offset, r.endOffset, r.text, r.line]),
      [
        [0, 3, 'a', 1],
        [4, 8, 'bé', 3],
        [8, 9, 'c', 4],
      ],
    );
  });

  it('holds a last line without a line end until end()', () => {
    assert.deepEqual(texts(frame('lines', Buffer.from('a\nb'), { end: false })), ['a']);
  });

  it('gives the same records for every chunking, UTF-16LE and UTF-16BE with BOM', () => {
    const text = '#Software: IIS\r\nline ü 1\r\nline € 2\r\n\r\nlast 𝄞 line\r\n';
    const expected = ['#Software: IIS', 'line ü 1', 'line € 2', 'last 𝄞 line'];
    for (const enc of ['utf8', 'utf16le', 'utf16be'] as const) {
      const bytes = encode(text, enc, true);
      for (const chunk of [[1], [2], [3], [7, 1, 5], [bytes.length]]) {
        const rs = frame('lines', bytes, { enc, chunk });
        assert.deepEqual(texts(rs), expected, `${enc} chunk ${chunk.join(',')}`);
        // Offsets are exact in the original encoding: the bytes re-decode to the text plus its line end.
        for (const r of rs) {
          const slice = bytes.subarray(r.offset, r.endOffset);
          const dec =
            enc === 'utf16be'
              ? Buffer.from(slice).swap16().toString('utf16le')
              : slice.toString(enc === 'utf8' ? 'utf8' : 'utf16le');
          assert.equal(dec.replace(/\r?\n$/, ''), r.text);
        }
      }
    }
  });

  it('keeps reading past invalid UTF-8', () => {
    const rs = frame('lines', Buffer.from([0x61, 0xff, 0x62, 0x0a, 0x63, 0x0a]));
    assert.deepEqual(texts(rs), ['a\ufffdb', 'c']);
    assert.equal(rs[1]!.offset, 4);
  });

  it('cuts an over-long line, dead-letters it with its position, and goes on', () => {
    const long = 'x'.repeat(5000);
    const rs = frame('lines', Buffer.from(`ok\n${long}\nafter\n`), { max: 1024, chunk: [100] });
    assert.equal(rs.length, 3);
    assert.equal(rs[1]!.error?.code, 'framing.record_too_large');
    assert.equal(rs[1]!.offset, 3);
    assert.equal(rs[1]!.endOffset, 3 + 5001);
    assert.ok(
      rs[1]!.text.length > 0 && rs[1]!.text.length <= 4096 && /^x+$/.test(rs[1]!.text),
      'rs[1]!.text.length > 0 && rs[1]!.text.length <= 4096 && /^x+$/.test(rs[1]!.text)',
    );
    assert.deepEqual([rs[0]!.text, rs[2]!.text], ['ok', 'after']);
  });

  it('resumes at a start offset', () => {
    const rs = frame('lines', Buffer.from('aa\nbb\ncc\n'), { start: 3 });
    assert.deepEqual(texts(rs), ['bb', 'cc']);
    assert.equal(rs[0]!.offset, 3);
  });
});

describe('csv-rows framer', () => {
  it('keeps quoted commas and line ends inside one row; # lines and headers are rows', () => {
    const csv = '#TYPE X\r\n"Message","Id"\r\n"line one\r\nline, two",4999\r\n"a ""q""",1\r\n';
    const rs = frame('csv-rows', Buffer.from(csv), { chunk: [5] });
    assert.deepEqual(texts(rs), ['#TYPE X', '"Message","Id"', '"line one\r\nline, two",4999', '"a ""q""",1']);
    assert.deepEqual(
      rs.map((r) => r.line),
      [1, 2, 3, 5],
    );
    assert.equal(rs[3]!.endOffset, Buffer.byteLength(csv));
  });

  const EV = (msg: string, id = 4999): string =>
    `Error,9/19/2013 10:22:11 AM,MSExchange Common,${id},General,${msg}\r\n`;
  const evHeader = 'Level,Date and Time,Source,Event ID,Task Category\r\n';

  it('a stray quote costs its row alone: the rows it swallowed are framed again (Event Viewer CSV)', () => {
    const good1 = EV('"Watson report\r\nErrorReportingEnabled: False"');
    const stray = EV('"A message whose quote never closes', 1);
    const good = [
      EV('Plain message', 2),
      EV('"Second, with a comma"', 3),
      EV('"multi\r\nline ""quoted"""', 4),
    ];
    const csv = evHeader + good1 + stray + good.join('');
    const bytes = Buffer.from(csv);
    for (const chunk of [[bytes.length], [7], [1, 13]]) {
      const rs = frame('csv-rows', bytes, { chunk });
      assert.deepEqual(
        rs.map((r) => r.error?.code),
        [undefined, undefined, 'framing.csv_unclosed_quote', undefined, undefined, undefined],
      );
      assert.deepEqual(
        texts(rs).slice(3),
        good.map((g) => g.slice(0, -2)),
      );
      assert.equal(rs[1]!.text, good1.slice(0, -2));
      const bad = rs[2]!;
      assert.equal(bad.offset, Buffer.byteLength(evHeader + good1));
      assert.equal(bad.endOffset, bad.offset + Buffer.byteLength(stray));
      assert.equal(bad.line, 4);
      assert.equal(bad.text, stray.slice(0, -2));
      assert.deepEqual(
        rs.slice(3).map((r) => r.line),
        [5, 6, 7],
      );
    }
  });

  it('a stray quote in PowerShell Export-Csv (every field quoted) costs one row', () => {
    const row = (m: string, id: number): string => `"${m}","${id}","Application"\r\n`;
    const csv =
      '#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n"Message","Id","LogName"\r\n' +
      row('one\r\ntwo', 1) +
      '"bro"ken,"2","Application"\r\n' + // text after a closing quote, on one line: the parser's to report
      '"say "hi" now","3","Application"\r\n' + // an unescaped inner quote: the same, one line
      '"no closing quote,4,Application\r\n' + // open at the line end: the next row's first quote gives it away
      row('five', 5) +
      row('six\r\nseven', 6);
    const rs = frame('csv-rows', Buffer.from(csv), { chunk: [5] });
    assert.deepEqual(
      rs.map((r) => [r.error?.code ?? 'ok', r.line]),
      [
        ['ok', 1],
        ['ok', 2],
        ['ok', 3],
        ['ok', 5],
        ['ok', 6],
        ['framing.csv_unclosed_quote', 7],
        ['ok', 8],
        ['ok', 9],
      ],
    );
    assert.equal(rs[3]!.text, '"bro"ken,"2","Application"');
    assert.equal(rs[6]!.text, '"five","5","Application"');
    assert.equal(rs[7]!.text, '"six\r\nseven","6","Application"');
  });

  it('a quote still open after maxRecordBytes is cut at its first line; the held rows are kept', () => {
    const csv = `"open\n${'y,1\n'.repeat(400)}next,1\n`;
    const rs = frame('csv-rows', Buffer.from(csv), { max: 1024, end: false });
    assert.equal(rs[0]!.error?.code, 'framing.csv_unclosed_quote');
    assert.equal(rs[0]!.text, '"open');
    assert.equal(rs[0]!.endOffset, 6);
    assert.equal(rs.filter((r) => r.error).length, 1);
    // everything after the first line comes back as rows, without waiting for the end of the file
    assert.deepEqual(texts(rs.slice(1)), [...Array<string>(400).fill('y,1'), 'next,1']);
  });

  it('a quote still open at the end of a complete file: the first line is cut, the rest framed again', () => {
    const rs = frame('csv-rows', Buffer.from('a,1\nb,"open\nc,2\nd,3'));
    assert.deepEqual(
      rs.map((r) => [r.text, r.error?.code]),
      [
        ['a,1', undefined],
        ['b,"open', 'framing.csv_unclosed_quote'],
        ['c,2', undefined],
        ['d,3', undefined],
      ],
    );
    // while tailing, the open row waits for more bytes
    assert.deepEqual(texts(frame('csv-rows', Buffer.from('a,1\nb,"open\nc,2\n'), { end: false })), ['a,1']);
    // a one-line row left open at the end goes to the parser as it is (it reports the unclosed quote)
    assert.deepEqual(
      frame('csv-rows', Buffer.from('a,1\nb,"open\n')).map((r) => [r.text, r.error?.code]),
      [
        ['a,1', undefined],
        ['b,"open', undefined],
      ],
    );
  });

  it('TAB-separated (Event Viewer "Save as Text"): quoted messages span lines, a stray quote costs one row', () => {
    const tsv =
      'Level\tDate and Time\tSource\tEvent ID\tTask Category\r\n' +
      'Error\t9/19/2013\tMSExchange Common\t4999\tGeneral\t"Watson, with commas\r\nsecond line"\r\n' +
      'Error\t9/19/2013\tX\t1\tNone\t"stray\r\n' +
      'Information\t9/19/2013\tY\t2\tNone\tplain\r\n' +
      'Error\t9/19/2013\tZ\t3\tNone\t"two\r\nlines"\r\n';
    const rs = frame('csv-rows', Buffer.from(tsv, 'utf16le'), { enc: 'utf16le', chunk: [6] });
    assert.deepEqual(
      rs.map((r) => [r.line, r.error?.code ?? 'ok']),
      [
        [1, 'ok'],
        [2, 'ok'],
        [4, 'framing.csv_unclosed_quote'],
        [5, 'ok'],
        [6, 'ok'],
      ],
    );
    assert.equal(rs[4]!.text, 'Error\t9/19/2013\tZ\t3\tNone\t"two\r\nlines"');
  });

  it('slicing and resume points never change the records around a stray quote', () => {
    const csv = evHeader + EV('"a\r\nb"') + EV('"stray') + EV('plain', 2) + EV('"c\r\nd"', 3) + EV('x', 4);
    const bytes = Buffer.from(csv);
    const whole = frame('csv-rows', bytes);
    for (let n = 1; n < 40; n += 3) assert.deepEqual(frame('csv-rows', bytes, { chunk: [n] }), whole);
    const resumed = frame('csv-rows', bytes, { start: whole[3]!.offset });
    assert.deepEqual(texts(resumed), texts(whole.slice(3)));
  });
});

describe('mailbox-log framer', () => {
  const entry = (n: number, body: string): string =>
    `\r\n-----------------\r\n Log Entry: ${n}\r\n-----------------\r\n\r\nRequestTime : \r\n09/19/2013 10:22:1${n}\r\n\r\n${body}\r\n\r\n`;

  it('emits one record per Log Entry block, the last one at end()', () => {
    const text =
      entry(0, 'ServerName : \r\nCAS01') +
      entry(1, 'AdditionalData : \r\n-----------------\r\nnot a separator');
    const bytes = Buffer.from(text);
    const rs = frame('mailbox-log', bytes, { chunk: [13] });
    assert.equal(rs.length, 2);
    assert.ok(
      rs[0]!.text.startsWith('-----------------\r\n Log Entry: 0\r\n'),
      "rs[0]!.text.startsWith('-----------------\\r\\n Log Entry: 0\\r\\n')",
    );
    assert.ok(rs[0]!.text.endsWith('CAS01'), "rs[0]!.text.endsWith('CAS01')");
    assert.ok(
      rs[1]!.text.endsWith('-----------------\r\nnot a separator'),
      "rs[1]!.text.endsWith('-----------------\\r\\nnot a separator')",
    );
    assert.equal(rs[0]!.offset, 2);
    assert.equal(rs[0]!.endOffset, rs[1]!.offset);
    assert.equal(rs[1]!.endOffset, bytes.length);
    assert.equal(frame('mailbox-log', bytes, { end: false }).length, 1);
  });
});

describe('xml-events framer', () => {
  const ev = (id: number): string =>
    `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>${id}</EventID></System><EventData><Data>x</Data></EventData></Event>`;

  it('finds events one per line, inside an <Events> root on one line, and pretty-printed', () => {
    const oneLine = `${ev(1)}\r\n${ev(2)}\r\n`;
    const rooted = `<?xml version="1.0" encoding="utf-8" standalone="yes"?><Events>${ev(1)}${ev(2)}</Events>`;
    const pretty = `<Events>\n  <Event>\n    <System><EventID>1</EventID></System>\n  </Event>\n  <Event>\n <EventID>2</EventID></Event>\n</Events>\n`;
    for (const [name, text] of [
      ['one per line', oneLine],
      ['rooted', rooted],
      ['pretty', pretty],
    ] as const) {
      for (const enc of ['utf8', 'utf16le', 'utf16be'] as const) {
        const bytes = encode(text, enc, enc !== 'utf8');
        const rs = frame('xml-events', bytes, { enc, chunk: [3, 11] });
        assert.equal(rs.length, 2, `${name} ${enc}`);
        assert.ok(
          rs.every((r) => r.text.startsWith('<Event') && r.text.endsWith('</Event>')),
          "rs.every((r) => r.text.startsWith('<Event') && r.text.endsWith('</Event>'))",
        );
        assert.match(rs[1]!.text, /<EventID>2<\/EventID>/);
      }
    }
  });

  it('dead-letters an element larger than the limit and keeps going', () => {
    const big = `<Event><Data>${'z'.repeat(3000)}</Data></Event>`;
    const rs = frame('xml-events', Buffer.from(`${ev(1)}${big}${ev(3)}`), { max: 1024, chunk: [97] });
    assert.deepEqual(
      rs.map((r) => r.error?.code),
      [undefined, 'framing.record_too_large', undefined],
    );
    assert.match(rs[2]!.text, /<EventID>3</);
  });
});

describe('json framer', () => {
  it('frames NDJSON, concatenated values and a top-level array alike', () => {
    const values = ['{"a":"x}\\"]"}', '{"b":[1,{"c":2}]}', '"s"', '42'];
    const cases = [values.join('\n') + '\n', `[\r\n ${values.join(',\r\n ')}\r\n]`, values.join(' ')];
    for (const text of cases) {
      const rs = frame('json', Buffer.from(text), { chunk: [2, 5] });
      assert.deepEqual(texts(rs), values, text);
    }
  });

  it('resumes inside a top-level array after an element', () => {
    const text = '[{"a":1},\n{"b":2},[3]]';
    const first = frame('json', Buffer.from(text), { end: true });
    assert.deepEqual(texts(first), ['{"a":1}', '{"b":2}', '[3]']);
    const rs = frame('json', Buffer.from(text), { start: first[0]!.endOffset });
    assert.deepEqual(texts(rs), ['{"b":2}', '[3]']);
  });
});

describe('whole-file framer', () => {
  it('emits the whole file at end(), BOM removed', () => {
    const rs = frame('whole-file', encode('all\nof it', 'utf16le', true), { enc: 'utf16le', chunk: [3] });
    assert.deepEqual(
      rs.map((r) => [r.offset, r.text]),
      [[2, 'all\nof it']],
    );
  });
});
