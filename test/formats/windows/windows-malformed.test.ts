// Every malformed or hostile Windows export record becomes a dead letter with a clear reason (file, offset,
// code), never an exception and never unbounded work: broken XML, entity bombs (with and without the DOCTYPE
// that the framer strips), external entities, a 10 MB element, binary garbage, UTF-16 read as UTF-8, and bad
// CSV/JSON rows.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { windowsFormats } from '../../../src/normalize/formats/windows.formats.js';
import type { FormatDefinition } from '../../../src/pipeline/stages.types.js';
import { contextFor, frame, processRecords } from './windows-harness.js';

function formatNamed(name: string): FormatDefinition {
  const f = windowsFormats.find((x) => x.name === name);
  assert.ok(f, name);
  return f;
}

const GOOD_EVENT =
  "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='MSExchange Common'/><EventID Qualifiers='16388'>4999</EventID><Level>2</Level><TimeCreated SystemTime='2013-09-19T14:22:11.000000000Z'/><Computer>CAS01.contoso.com</Computer></System><EventData><Data>5620</Data></EventData></Event>";

/** Runs raw record texts (one record each, offsets 0, 1000, ...) and returns their dead letters. */
function deadLettersFor(formatName: string, texts: readonly string[], timezone = 'UTC') {
  const format = formatNamed(formatName);
  const ctx = contextFor(`bad.${formatName}`, timezone);
  const records = texts.map((text, i) => ({
    offset: i * 1000,
    endOffset: i * 1000 + 999,
    text,
    line: i + 1,
  }));
  return processRecords(format, ctx, records);
}

function expectDeadLetter(
  formatName: string,
  text: string,
  code: string,
  reasonPart: RegExp,
  timezone = 'UTC',
) {
  const { documents, deadLetters } = deadLettersFor(formatName, [text], timezone);
  assert.equal(documents.length, 0, 'no document');
  assert.equal(deadLetters.length, 1, 'one dead letter');
  const dl = deadLetters[0]!;
  assert.equal(dl.code, code);
  assert.match(dl.reason, reasonPart);
  assert.match(dl.reason, /^C:\\exports\\bad\.[\w-]+:1:offset 0: /, 'the reason names file, line and offset');
  assert.equal(dl.stage, 'parse');
  assert.equal(dl.offset, 0);
}

const BILLION_LAUGHS = [
  '<?xml version="1.0"?>',
  '<!DOCTYPE Event [',
  ' <!ENTITY lol "lol">',
  ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
  ']>',
  "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='x'/><EventID>1</EventID><TimeCreated SystemTime='2020-01-01T00:00:00Z'/></System><EventData><Data>&lol9;</Data></EventData></Event>",
].join('\n');

describe('malformed Windows event XML', () => {
  it('a truncated element is a malformed-XML dead letter', () => {
    expectDeadLetter('wevtutil-xml', GOOD_EVENT.slice(0, 200), 'wevtutil-xml.malformed', /malformed XML/);
  });

  it('mismatched tags are a malformed-XML dead letter', () => {
    expectDeadLetter(
      'eventviewer-xml',
      GOOD_EVENT.replace('</System>', '</Sys>'),
      'eventviewer-xml.malformed',
      /malformed XML/,
    );
  });

  it('a billion-laughs entity bomb is refused at its DOCTYPE, quickly and without expansion', () => {
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    expectDeadLetter('wevtutil-xml', BILLION_LAUGHS, 'wevtutil-xml.doctype', /DOCTYPE is not allowed/);
    assert.ok(performance.now() - t0 < 500, 'refused in well under a second');
    assert.ok(process.memoryUsage().heapUsed - before < 50 * 1024 * 1024, 'no memory blow-up');
  });

  it('an entity bomb in a file is framed without its DOCTYPE and then fails on the undefined entity', () => {
    const format = formatNamed('eventviewer-xml');
    const file = Buffer.from(BILLION_LAUGHS.replace('<Event xmlns', '<Events><Event xmlns') + '</Events>');
    const records = frame(file, format);
    const { documents, deadLetters } = processRecords(format, contextFor('bomb.xml', 'UTC'), records);
    assert.equal(documents.length, 0);
    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0]!.code, 'eventviewer-xml.malformed');
    assert.match(deadLetters[0]!.reason, /undefined entity/);
  });

  it('an external entity (XXE) is refused at its DOCTYPE and nothing is read', () => {
    const xxe = `<!DOCTYPE Event [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${GOOD_EVENT.replace('5620', '&xxe;')}`;
    expectDeadLetter('wevtutil-xml', xxe, 'wevtutil-xml.doctype', /DOCTYPE/);
  });

  it('a 10 MB element is refused by size before any parsing', () => {
    const huge = GOOD_EVENT.replace('5620', 'A'.repeat(10 * 1024 * 1024));
    const t0 = performance.now();
    expectDeadLetter('wevtutil-xml', huge, 'wevtutil-xml.too_large', /more than the limit/);
    assert.ok(performance.now() - t0 < 1000, 'performance.now() - t0 < 1000');
  });

  it('binary garbage is an encoding dead letter', () => {
    const garbage = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 256)).toString('latin1');
    expectDeadLetter('wevtutil-xml', garbage, 'wevtutil-xml.encoding', /binary data|encoding/);
  });

  it('UTF-16LE bytes read as UTF-8 are an encoding dead letter', () => {
    const wrong = Buffer.from(GOOD_EVENT, 'utf16le').toString('utf8');
    expectDeadLetter('eventviewer-xml', wrong, 'eventviewer-xml.encoding', /NUL characters/);
  });

  it('an element that is not <Event> is a not_event dead letter', () => {
    expectDeadLetter('wevtutil-xml', '<Foo/>', 'wevtutil-xml.not_event', /expected <Event>/);
  });

  it('an event without TimeCreated or with a bad EventID is a dead letter naming the field', () => {
    expectDeadLetter(
      'wevtutil-xml',
      GOOD_EVENT.replace(/<TimeCreated[^>]*\/>/, ''),
      'wevtutil-xml.missing_field',
      /TimeCreated/,
    );
    expectDeadLetter(
      'wevtutil-xml',
      GOOD_EVENT.replace('>4999<', '>99999<'),
      'wevtutil-xml.bad_value',
      /EventID/,
    );
  });

  it('elements nested absurdly deep are refused', () => {
    const deep = GOOD_EVENT.replace(
      '<Data>5620</Data>',
      `<Data>${'<a>'.repeat(100)}${'</a>'.repeat(100)}</Data>`,
    );
    expectDeadLetter('wevtutil-xml', deep, 'wevtutil-xml.too_deep', /nested deeper/);
  });
});

describe('malformed Windows CSV, TXT and JSON records', () => {
  const header = 'Level,Date and Time,Source,Event ID,Task Category';

  it('an Event Viewer CSV row with an unclosed quote is a bad_row dead letter', () => {
    const { deadLetters } = deadLettersFor('eventviewer-csv', [
      header,
      'Error,9/19/2013 10:22:11 AM,MSExchange Common,4999,General,"Watson report',
    ]);
    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0]!.code, 'eventviewer-csv.bad_row');
    assert.match(deadLetters[0]!.reason, /offset 1000: malformed row: unclosed quote/);
  });

  it('an Event Viewer CSV row with the wrong column count is a column_count dead letter', () => {
    const { deadLetters } = deadLettersFor('eventviewer-csv', [
      header,
      'Error,9/19/2013 10:22:11 AM,MSExchange Common',
    ]);
    assert.equal(deadLetters[0]?.code, 'eventviewer-csv.column_count');
  });

  it('an unreadable date or event id is a dead letter naming the value', () => {
    const { deadLetters } = deadLettersFor('eventviewer-csv', [
      header,
      'Error,yesterday at noon,MSExchange Common,4999,General,"x"',
      'Error,9/19/2013 10:22:11 AM,MSExchange Common,49x9,General,"x"',
      'Error,2/30/2013 10:22:11 AM,MSExchange Common,4999,General,"x"',
    ]);
    assert.deepEqual(
      deadLetters.map((d) => d.code),
      ['eventviewer-csv.bad_time', 'eventviewer-csv.bad_value', 'eventviewer-csv.bad_time'],
    );
    assert.match(deadLetters[0]!.reason, /'yesterday at noon'/);
  });

  it('an unknown time zone setting is reported, not guessed', () => {
    const { deadLetters } = deadLettersFor(
      'eventviewer-txt',
      ['Error\t9/19/2013 10:22:11 AM\tMSExchange Common\t4999\tGeneral\tx'],
      'Mars/Olympus_Mons',
    );
    assert.equal(deadLetters[0]?.code, 'eventviewer-txt.bad_timezone');
  });

  it('an Export-Csv row before any header, or with the wrong width, is a dead letter', () => {
    const row = '"Watson","4999","0"';
    const a = deadLettersFor('powershell-csv', [row]);
    assert.equal(a.deadLetters[0]?.code, 'powershell-csv.no_header');
    const b = deadLettersFor('powershell-csv', ['"Message","Id","ProviderName","TimeCreated"', row]);
    assert.equal(b.deadLetters[0]?.code, 'powershell-csv.column_count');
  });

  it('broken JSON, a non-object and an object without Id are dead letters', () => {
    const { documents, deadLetters } = deadLettersFor('powershell-json', [
      '{"Id": 4999, "ProviderName": "MSExchange Common", "TimeCreated": ',
      '"just a string"',
      '{"ProviderName": "MSExchange Common", "TimeCreated": "\\/Date(1379600531000)\\/"}',
      '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
    ]);
    assert.equal(documents.length, 0);
    assert.deepEqual(
      deadLetters.map((d) => d.code),
      [
        'powershell-json.malformed',
        'powershell-json.not_object',
        'powershell-json.missing_field',
        'powershell-json.malformed',
      ],
    );
  });

  it('binary garbage in a CSV export is an encoding dead letter', () => {
    const { deadLetters } = deadLettersFor('eventviewer-csv', [
      header,
      '\u0001\u0002\u0003PK\u0003\u0004,,,,,',
    ]);
    assert.equal(deadLetters[0]?.code, 'eventviewer-csv.encoding');
  });
});

describe('malformed Event Viewer "Copy details as text"', () => {
  const block = (date: string, xml = ''): string =>
    [
      'Log Name:      Application',
      'Source:        MSExchange Common',
      `Date:          ${date}`,
      'Event ID:      4999',
      'Level:         Error',
      'Description:',
      'Watson report about to be sent for process id: 1, with parameters: E12, a, b, c, d, e, f, g, h.',
      ...(xml ? ['Event Xml:', xml] : []),
    ].join('\r\n');

  it('a file that is not a details copy is a no_event dead letter', () => {
    expectDeadLetter('eventviewer-details', 'hello\r\nworld', 'eventviewer-details.no_event', /Log Name/);
  });

  it('a block with a broken Event Xml section fails the file, naming the event and its line', () => {
    const text = `${block('1/4/2016 5:21:43 AM')}\r\n${block('1/4/2016 5:22:00 AM', '<Event><System>')}`;
    expectDeadLetter(
      'eventviewer-details',
      text,
      'eventviewer-details.bad_block',
      /event 2 \(line 8\): malformed XML/,
    );
  });

  it('an entity bomb inside the Event Xml section is refused', () => {
    const bomb = '<!DOCTYPE Event [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><Event>&b;</Event>';
    expectDeadLetter(
      'eventviewer-details',
      block('1/4/2016 5:21:43 AM', bomb),
      'eventviewer-details.bad_block',
      /DOCTYPE/,
    );
  });
});
