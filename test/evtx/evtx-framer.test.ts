// The EVTX framer on synthetic files (every BinXml feature with exactly known output) and on the small corpus
// copies in test/fixtures/evtx/ (see SOURCES.md there). Self-contained: needs nothing from ../shared.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { evtxFeedFrom } from '../../src/framing/evtx/evtx-framer.js';
import { evtxFormat } from '../../src/normalize/formats/evtx.format.js';
import {
  ChunkWriter,
  evtxFile,
  filetimev,
  nullv,
  str,
  strArray,
  systemTemplate,
  u16v,
  u64v,
} from './evtx-builder.js';
import type { Value } from './evtx-builder.js';
import { FIXTURES, fixture, frame } from './evtx-helpers.js';
import { readWindowsXml } from './windows-xml.js';

const guidValue: Value = { type: 0x0f, bytes: Buffer.from('8954a94547c1cd4a923f40c45405a658', 'hex') };

/** System values 0..5 for systemTemplate. */
function system(id: bigint, eventId: number, qualifiers: Value = nullv()): Value[] {
  return [
    str('MSExchange Common'),
    qualifiers,
    u16v(eventId),
    filetimev('2013-08-01T10:00:00.000Z', 1234567n),
    u64v(id),
    guidValue,
  ];
}

/** `<EventData><Data>%6</Data><Binary>%7?</Binary></EventData>`: the classic-provider shape (MSExchange Common). */
function classicEventData(w: ChunkWriter): void {
  w.open('EventData', false, true).closeStart();
  w.open('Data', false, true).closeStart().subst(6, 0x81).end();
  w.open('Binary', false, true).closeStart().subst(7, 0x0e, true).end();
  w.end();
}

const WATSON = [
  'E12',
  'c-RTL-AMD64',
  '15.00.0620.029',
  'AirSync',
  'M.Exchange.Compliance',
  'M.E.S.C.MessageDigestForNonCryptographicPurposes.HashCore',
  'System.ArgumentOutOfRangeException',
  'f2a4',
  '15.00.0620.029',
  '',
  'False',
];

function watsonChunk(): { chunk: Buffer; offsets: number[] } {
  const w = new ChunkWriter();
  const offsets: number[] = [];
  let def = 0;
  offsets.push(
    w.record(41n, (r) => {
      r.fragment();
      def = r.instance(
        (d) => systemTemplate(d, classicEventData),
        [...system(41n, 4999, u16v(16388)), strArray(...WATSON), nullv()],
      );
      r.eof();
    }),
  );
  offsets.push(
    w.record(42n, (r) => {
      r.fragment()
        .instanceOf(def, [...system(42n, 4999, u16v(16388)), strArray('only one'), nullv()])
        .eof();
    }),
  );
  return { chunk: w.chunk(), offsets };
}

describe('templates and substitutions', () => {
  test('a template instance fills System fields and expands a string array into one Data per item', () => {
    const { chunk } = watsonChunk();
    const { events, errors, framer } = frame(evtxFile(chunk));
    assert.deepEqual(errors, []);
    assert.deepEqual(framer.warnings, []);
    const e = events[0]!;
    assert.equal(e.form, 'evtx');
    assert.deepEqual(e.provider, {
      name: 'MSExchange Common',
      guid: '{45a95489-c147-4acd-923f-40c45405a658}',
    });
    assert.equal(e.eventId, 4999);
    assert.equal(e.qualifiers, 16388);
    assert.equal(e.timeCreated, '2013-08-01T10:00:00.1234567Z');
    assert.equal(e.recordId, '41');
    assert.equal(e.channel, 'Application');
    assert.equal(e.computer, 'EXCH01.contoso.local');
    assert.deepEqual(
      e.eventData.map((d) => d.value),
      WATSON,
    );
    assert.equal(e.binary, undefined);
  });

  test('a later record reuses the template by back reference', () => {
    const { events } = frame(evtxFile(watsonChunk().chunk));
    assert.equal(events[1]!.recordId, '42');
    assert.deepEqual(events[1]!.eventData, [{ value: 'only one' }]);
  });

  test('a null optional substitution drops its attribute and its lone element; XML follows', () => {
    const w = new ChunkWriter();
    w.record(7n, (r) => {
      r.fragment();
      r.instance((d) => systemTemplate(d, classicEventData), [...system(7n, 1), strArray('x'), nullv()]);
      r.eof();
    });
    const [e] = frame(evtxFile(w.chunk())).events;
    assert.equal(e!.qualifiers, undefined);
    assert.equal(
      e!.xml,
      "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>" +
        "<Provider Name='MSExchange Common' Guid='{45a95489-c147-4acd-923f-40c45405a658}'/><EventID>1</EventID>" +
        "<TimeCreated SystemTime='2013-08-01T10:00:00.1234567Z'/><EventRecordID>7</EventRecordID>" +
        '<Channel>Application</Channel><Computer>EXCH01.contoso.local</Computer></System>' +
        '<EventData><Data>x</Data></EventData></Event>',
    );
  });

  test('named Data with an empty string stays, as Windows keeps <Data Name="P5"></Data>', () => {
    const w = new ChunkWriter();
    w.record(8n, (r) => {
      r.fragment();
      r.instance(
        (d) =>
          systemTemplate(d, (x) => {
            x.open('EventData', false, true).closeStart();
            x.open('Data', true, true).attr('Name').text('P1').closeStart().subst(6, 0x01).end();
            x.open('Data', true, true).attr('Name').text('P2').closeStart().subst(7, 0x01).end();
            x.end();
          }),
        [...system(8n, 2), str('value'), str('')],
      );
      r.eof();
    });
    const [e] = frame(evtxFile(w.chunk())).events;
    assert.deepEqual(e!.eventData, [
      { name: 'P1', value: 'value' },
      { name: 'P2', value: '' },
    ]);
  });

  test('embedded BinXml (type 0x21) carrying its own template instance renders in place', () => {
    const w = new ChunkWriter();
    w.record(9n, (r) => {
      r.fragment();
      r.instance(
        (d) =>
          systemTemplate(d, (x) => {
            x.subst(6, 0x21, true);
          }),
        [
          ...system(9n, 4624),
          (v: ChunkWriter) => {
            v.fragment();
            v.instance(
              (d) => {
                d.fragment();
                d.open('EventData', false, true).closeStart();
                d.open('Data', true, true)
                  .attr('Name')
                  .text('TargetUserName')
                  .closeStart()
                  .subst(0, 0x01)
                  .end();
                d.open('Data', true, true).attr('Name').text('LogonType').closeStart().subst(1, 0x08).end();
                d.end().eof();
              },
              [str('johndoe'), { type: 0x08, bytes: Buffer.from([3, 0, 0, 0]) }],
              2,
            );
            v.eof();
          },
        ],
      );
      r.eof();
    });
    const { events, errors } = frame(evtxFile(w.chunk()));
    assert.deepEqual(errors, []);
    assert.deepEqual(events[0]!.eventData, [
      { name: 'TargetUserName', value: 'johndoe' },
      { name: 'LogonType', value: '3' },
    ]);
  });
});

describe('records without templates (Windows Event Forwarding) and the rarer tokens', () => {
  test('literal element trees, CDATA, character and entity references and a PI are read', () => {
    const w = new ChunkWriter();
    w.record(3229n, (r) => {
      r.fragment().pi('xml-stylesheet', 'href="x.xsl"');
      r.open('Event', true, false)
        .attr('xmlns')
        .text('http://schemas.microsoft.com/win/2004/08/events/event')
        .closeStart();
      r.open('System', false, false).closeStart();
      r.open('Provider', true, false).attr('Name').text('MSExchange CmdletLogs').closeEmpty();
      r.open('EventID', true, false).attr('Qualifiers').text('16384').closeStart().text('1').end();
      r.open('TimeCreated', true, false)
        .attr('SystemTime')
        .text('2021-11-19T16:52:33.833733500Z')
        .closeEmpty();
      r.open('EventRecordID', false, false).closeStart().text('3229').end();
      r.open('Computer', false, false).closeStart().text('WEC.ave.local').end();
      r.end();
      r.open('EventData', false, false).closeStart();
      r.open('Data', false, false).closeStart().cdata('a<b').end();
      r.open('Data', false, false).closeStart().text('x').charRef(65).entityRef('amp').text('y').end();
      r.open('Data', false, false).closeEmpty();
      r.end();
      r.end().eof();
    });
    const { events, errors } = frame(evtxFile(w.chunk()));
    assert.deepEqual(errors, []);
    const e = events[0]!;
    assert.equal(e.provider.name, 'MSExchange CmdletLogs');
    assert.equal(e.eventId, 1);
    assert.equal(e.qualifiers, 16384);
    assert.equal(e.timeCreated, '2021-11-19T16:52:33.833733500Z');
    assert.equal(e.recordId, '3229');
    assert.deepEqual(
      e.eventData.map((d) => d.value),
      ['a<b', 'xA&y', ''],
    );
    assert.match(e.xml!, /^<\?xml-stylesheet href="x.xsl"\?><Event /);
    assert.match(e.xml!, /<Data>a&lt;b<\/Data><Data>xA&amp;y<\/Data><Data\/>/);
  });
});

describe('damage stays inside one record', () => {
  test('element nesting beyond the limit fails that record only', () => {
    const w = new ChunkWriter();
    const deep = w.record(1n, (r) => {
      r.fragment();
      for (let i = 0; i < 200; i++) r.open('E', false, false).closeStart();
      for (let i = 0; i < 200; i++) r.end();
      r.eof();
    });
    w.record(2n, (r) => {
      r.fragment().instance(
        (d) => systemTemplate(d, classicEventData),
        [...system(2n, 5), strArray('ok'), nullv()],
      );
      r.eof();
    });
    const { events, errors } = frame(evtxFile(w.chunk()));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.error!.code, 'evtx.binxml_depth');
    assert.equal(errors[0]!.offset, 4096 + deep);
    assert.deepEqual(
      events.map((e) => e.recordId),
      ['2'],
    );
  });

  test('a template that instantiates itself hits the depth limit instead of the stack', () => {
    const w = new ChunkWriter();
    w.record(1n, (r) => {
      r.fragment();
      r.instance((d, self) => {
        d.fragment();
        d.u8(0x0c).u8(1).u32(1).u32(self).values([]);
        d.eof();
      }, []);
      r.eof();
    });
    const { errors } = frame(evtxFile(w.chunk()));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.error!.code, 'evtx.binxml_depth');
  });

  test('templates that double at every level are cut off by the node budget, quickly', () => {
    // Record k defines template k inline as <E> + two instances of template k-1: 2^k elements.
    const w = new ChunkWriter();
    let previous = 0;
    for (let k = 0; k < 30; k++) {
      w.record(BigInt(k + 1), (r) => {
        r.fragment();
        previous = r.instance((d) => {
          d.fragment();
          d.open('E', false, true).closeStart();
          if (k > 0) {
            d.instanceOf(previous, []);
            d.instanceOf(previous, []);
          }
          d.end().eof();
        }, []);
        r.eof();
      });
    }
    const t0 = performance.now();
    const { records } = frame(evtxFile(w.chunk()), { renderXml: false });
    assert.ok(performance.now() - t0 < 5000, 'performance.now() - t0 < 5000');
    const codes = records.map((r) => r.error?.code ?? 'ok');
    // Small expansions are fine (no <Event>, so they still fail, but on content, not size).
    assert.equal(codes[0], 'evtx.no_event');
    assert.equal(codes[29], 'evtx.binxml_size');
    assert.equal(codes.indexOf('evtx.binxml_size'), 15); // 2^16 elements plus their instance nodes
  });

  test('a damaged record header is dead-lettered with its offset and the rest of the chunk is read', () => {
    const { chunk, offsets } = watsonChunk();
    const w = new ChunkWriter();
    chunk.copy(w.buf);
    const bad = Buffer.from(chunk);
    bad.writeUInt32LE(0, offsets[0]! + 4); // size 0, as in the corpus' sample-with-zero-data-size-event.evtx
    const file = evtxFile(bad);
    const resynced = frame(file);
    assert.equal(resynced.errors.length, 1);
    assert.equal(resynced.errors[0]!.offset, 4096 + offsets[0]!);
    assert.equal(resynced.errors[0]!.endOffset, 4096 + offsets[1]!);
    assert.equal(resynced.errors[0]!.error!.code, 'evtx.record_size');
    assert.deepEqual(
      resynced.events.map((e) => e.recordId),
      ['42'],
    );
    // Like libevtx and the Rust crate: without resync the chunk is abandoned after the damage.
    assert.deepEqual(frame(file, { resyncAfterDamage: false }).events, []);
  });

  test('a torn record (no trailing size copy) is dead-lettered, not decoded', () => {
    const { chunk, offsets } = watsonChunk();
    const torn = Buffer.from(chunk);
    const size = torn.readUInt32LE(offsets[1]! + 4);
    torn.writeUInt32LE(0, offsets[1]! + size - 4);
    const { events, errors } = frame(evtxFile(torn));
    assert.deepEqual(
      events.map((e) => e.recordId),
      ['41'],
    );
    assert.equal(errors[0]!.error!.code, 'evtx.record_torn');
    assert.equal(errors[0]!.recordId, '42');
    assert.equal(errors[0]!.endOffset - errors[0]!.offset, size);
  });

  test('bad checksums are warnings and every record is still read', () => {
    const chunk = Buffer.from(watsonChunk().chunk);
    chunk.writeUInt32LE(1, 52); // data CRC
    chunk.writeUInt32LE(1, 124); // header CRC
    const file = evtxFile(chunk);
    file.writeUInt32LE(1, 124); // file header CRC
    const { events, framer } = frame(file);
    assert.equal(events.length, 2);
    assert.deepEqual(
      framer.warnings.map((w) => w.code),
      ['evtx.file_header_crc', 'evtx.chunk_header_crc', 'evtx.chunk_data_crc'],
    );
  });

  test('chunks are found by scanning past zero blocks and non-chunk blocks, not by the header count', () => {
    const good = watsonChunk().chunk;
    const garbage = Buffer.alloc(65536, 0x41);
    const file = Buffer.concat([evtxFile(good), Buffer.alloc(65536), garbage, good, Buffer.alloc(65536)]);
    const { events, framer } = frame(file);
    assert.equal(events.length, 4);
    assert.deepEqual(framer.warnings, [
      {
        code: 'evtx.chunk_signature',
        offset: 4096 + 2 * 65536,
        message: 'block is not an EVTX chunk (no ElfChnk signature); skipped',
      },
    ]);
    assert.equal(framer.header?.chunkCount, 1);
  });
});

describe('streaming and checkpoints', () => {
  const three = (): Buffer => {
    const chunks: Buffer[] = [];
    for (let c = 0; c < 3; c++) {
      const w = new ChunkWriter();
      let def = 0;
      for (let i = 0; i < 5; i++) {
        const id = BigInt(c * 5 + i + 1);
        w.record(id, (r) => {
          r.fragment();
          const values = [...system(id, 4999), strArray(`record ${id}`), nullv()];
          if (i === 0) def = r.instance((d) => systemTemplate(d, classicEventData), values);
          else r.instanceOf(def, values);
          r.eof();
        });
      }
      chunks.push(w.chunk());
    }
    return evtxFile(...chunks);
  };

  test('the records do not depend on how the bytes are sliced', () => {
    const file = three();
    const whole = frame(file, {}, file.length);
    const bytewise = frame(file.subarray(0, 4096 + 65536), {}, 1);
    assert.equal(whole.events.length, 15);
    assert.deepEqual(bytewise.records, whole.records.slice(0, 5));
    assert.deepEqual(frame(file, {}, 4099).records, whole.records);
  });

  test('records carry their file byte range and record id', () => {
    const { records } = frame(three());
    assert.equal(records[0]!.offset, 4096 + 512);
    assert.equal(records[0]!.recordId, '1');
    assert.equal(records[0]!.text, '');
    for (let i = 1; i < 5; i++) assert.equal(records[i]!.offset, records[i - 1]!.endOffset);
    assert.equal(records[5]!.offset, 4096 + 65536 + 512);
  });

  test('resume feeds from the chunk holding the checkpoint and drops the records before it', () => {
    const file = three();
    const all = frame(file).records;
    const checkpoint = all[7]!.endOffset; // inside chunk 1, after record 8
    assert.equal(evtxFeedFrom(checkpoint), 4096 + 65536);
    const resumed = frame(file, { startOffset: checkpoint });
    assert.equal(resumed.framer.feedFrom, 4096 + 65536);
    assert.deepEqual(
      resumed.records.map((r) => r.recordId),
      ['9', '10', '11', '12', '13', '14', '15'],
    );
    assert.equal(evtxFeedFrom(0), 0);
    assert.equal(evtxFeedFrom(4096), 0);
    assert.equal(evtxFeedFrom(all[4]!.endOffset), 4096);
  });

  test('a file that grows between reads resumes exactly where it stopped', () => {
    const file = three();
    // First read: the copy had two chunks and the tail of a third; a tailing input does not call end().
    const first = frame(file.subarray(0, 4096 + 2 * 65536 + 1000), {}, 65536, false);
    assert.equal(first.records.length, 10);
    const checkpoint = first.records.at(-1)!.endOffset;
    const second = frame(file, { startOffset: checkpoint });
    assert.deepEqual(
      [...first.records, ...second.records].map((r) => r.recordId),
      Array.from({ length: 15 }, (_, i) => String(i + 1)),
    );
  });

  test('renderXml: false leaves WindowsEvent.xml unset', () => {
    const { events } = frame(three(), { renderXml: false });
    assert.equal(events[0]!.xml, undefined);
    assert.equal(events[0]!.eventData[0]!.value, 'record 1');
  });
});

describe('corpus fixtures', () => {
  test('the Exchange record forwarded by WEC (no template) matches the Rust crate’s snapshot', () => {
    const { events, errors } = frame(fixture('MSExchange_Management_wec.evtx'));
    assert.deepEqual(errors, []);
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.equal(e.provider.name, 'MSExchange CmdletLogs');
    assert.equal(e.eventId, 1);
    assert.equal(e.qualifiers, 16384);
    assert.equal(e.level, 4);
    assert.equal(e.task, 1);
    assert.equal(e.keywords, '0x80000000000000');
    assert.equal(e.timeCreated, '2021-11-19T16:52:33.833733500Z');
    assert.equal(e.recordId, '3229');
    assert.equal(e.channel, 'MSExchange Management');
    assert.equal(e.computer, 'WEC.ave.local');
    // omerbenamram/evtx tests/snapshots/test_record_samples__event_json_with_multiple_data_elements.snap
    assert.deepEqual(
      e.eventData.map((d) => d.value),
      [
        'Set-Mailbox',
        '-Identity "Administrateur" -DeliverToMailboxAndForward "False" -ForwardingSmtpAddress "smtp:test2@example.com"',
        'ave.local/Users/Administrateur',
        'S-1-5-21-186559946-3925841745-111227986-500',
        'S-1-5-21-186559946-3925841745-111227986-500',
        'Remote-ManagementShell-Unknown',
        '5668 w3wp#MSExchangePowerShellAppPool',
        '',
        '5',
        '00:00:26.0389557',
        "Afficher la forêt entière : 'False', Portée par défaut : « ave.local », Configuration du contrôleur de domaine : « DC.ave.local », Catalogue global préféré : « DC.ave.local », Contrôleurs de domaine préférés : « { DC.ave.local } »",
        '',
        '',
        '',
        '',
        '',
        '',
        'False',
        '',
        '0 objects execution has been proxied to remote server.',
        '',
        '',
        '0',
        'ActivityId: a3591746-a27b-447a-b8be-ff54ae3a46f1',
        'ServicePlan:;IsAdmin:True;',
        '',
        'fr-FR',
      ],
    );
  });

  test('Exchange CmdletLogs event 6: the string array gives 27 Data values per event', () => {
    const { events } = frame(fixture('ID6-Failed_to_install_an_Exchange_transport_agent.evtx'));
    assert.deepEqual(
      events.map((e) => e.recordId),
      ['7184', '7185', '7186', '7187'],
    );
    const e = events[1]!;
    assert.equal(e.timeCreated, '2021-06-04T08:41:48.0411363Z');
    assert.equal(e.qualifiers, 49152);
    assert.equal(e.keywords, '0x80000000000000');
    assert.equal(e.computer, 'exchange01.offsec.lan');
    for (const ev of events) assert.equal(ev.eventData.length, 27);
    assert.equal(e.eventData[0]!.value, 'Install-TransportAgent');
    assert.equal(e.eventData[26]!.value, 'en-US');
    assert.equal((e.xml!.match(/<Data>/g) ?? []).length + (e.xml!.match(/<Data\/>/g) ?? []).length, 27);
  });

  test('format 3.2 without CRCs reads cleanly and verifies nothing', () => {
    const { events, errors, framer } = frame(fixture('Application_no_crc32.evtx'));
    assert.equal(events.length, 17);
    assert.deepEqual(errors, []);
    assert.deepEqual(framer.warnings, []);
    assert.equal(framer.header?.minorVersion, 2);
  });

  test('a torn last record becomes one dead letter with its offset', () => {
    const { events, errors } = frame(fixture('Microsoft-Windows-HelloForBusiness%4Operational.evtx'));
    assert.equal(events.length, 5);
    assert.deepEqual(errors, [
      {
        offset: 8080,
        endOffset: 8464,
        text: '',
        recordId: '6',
        error: {
          code: 'evtx.record_torn',
          reason: 'record 6: size copy at its end is 0, not 384 (torn record, not decoded)',
        },
      },
    ]);
  });

  test('a copy cut short mid-chunk yields the complete records of the partial chunk at end()', () => {
    const buf = fixture('System2.evtx');
    const { events, errors, framer } = frame(buf);
    assert.equal(events.length, 283);
    const ids = events.map((e) => Number(e.recordId));
    assert.deepEqual(
      ids,
      Array.from({ length: 283 }, (_, i) => ids[0]! + i),
    );
    assert.deepEqual(
      errors.map((r) => [r.offset, r.endOffset, r.error!.code]),
      [[199640, 200000, 'evtx.record_size']],
    );
    assert.deepEqual(
      framer.warnings.map((w) => w.code),
      ['evtx.chunk_truncated'],
    );
    // Tailing (no end()): the partial chunk waits for the rest of its bytes.
    assert.equal(frame(buf, {}, 65536, false).events.length, 194);
  });

  test('UserData is flattened under its root element', () => {
    const [e] = frame(fixture('DE_104_system_log_cleared.evtx')).events;
    assert.equal(e!.eventId, 104);
    assert.equal(e!.userDataRoot, 'LogFileCleared');
    assert.deepEqual(e!.userData, {
      SubjectUserName: 'user01',
      SubjectDomainName: 'EXAMPLE',
      Channel: 'System',
      BackupPath: '',
    });
    assert.deepEqual(e!.eventData, []);
  });

  test('CAPI2 records with embedded BinXml values are all read (libevtx aborts on them)', () => {
    const { events, errors } = frame(
      fixture('E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx'),
    );
    assert.equal(events.length, 340);
    assert.deepEqual(errors, []);
    const e25 = events.find((e) => e.recordId === '25')!;
    assert.equal(e25.userDataRoot, 'CryptRetrieveObjectByUrlCache');
    assert.match(e25.xml!, /eTag='"ea9ee7b1bc43d21:0"'/);
  });

  test('template-less records that libevtx cannot read are read', () => {
    const { events, errors } = frame(fixture('ID1149-RDP_success_logins_to_multiple_hosts.evtx'));
    assert.equal(events.length, 11);
    assert.deepEqual(errors, []);
    for (const e of events) {
      assert.notEqual(e.provider.name, '');
      assert.match(e.timeCreated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    }
  });

  test('agrees with Windows’ own XML export on every event of the Application fixture', () => {
    const truth = readWindowsXml(readFileSync(path.join(FIXTURES, 'Application.xml'), 'utf8'));
    const byId = new Map(frame(fixture('Application.evtx')).events.map((e) => [e.recordId, e]));
    assert.equal(truth.length, 366);
    assert.equal(byId.size, 366);
    for (const t of truth) {
      const e = byId.get(t.recordId);
      assert.ok(e, `record ${t.recordId} missing`);
      assert.deepEqual(
        [String(e.eventId), e.provider.name, e.channel, e.computer, e.timeCreated],
        [t.eventId, t.provider, t.channel, t.computer, t.time],
        `record ${t.recordId}`,
      );
      // XML parsers normalise CRLF to LF (XML 1.0 section 2.11); the bytes in the file carry CRLF.
      assert.deepEqual(
        e.eventData.map((d) => d.value.replace(/\r\n?/g, '\n')),
        t.data,
        `record ${t.recordId} <Data>`,
      );
    }
  });
});

describe('format definition', () => {
  test('detect recognises the ElfFile signature, and the .evtx name more weakly', () => {
    const head = fixture('Application_no_crc32.evtx').subarray(0, 64).toString('utf8');
    assert.equal(evtxFormat.detect(head, 'Application.evtx'), 1);
    assert.equal(evtxFormat.detect('garbage', 'export.EVTX'), 0.5);
    assert.equal(evtxFormat.detect('<Events>', 'export.xml'), 0);
    assert.equal(evtxFormat.framing, 'evtx');
  });

  test('an EVTX record flows through the parser and the Windows normalizer like exported XML', () => {
    const { records } = frame(fixture('ID6-Failed_to_install_an_Exchange_transport_agent.evtx'));
    const source = { inputId: 'evtx', path: '/logs/ID6.evtx', fingerprint: 'fp' };
    // event.original is kept only on request (preserveOriginalEvent), as here to compare it with the XML.
    const ctx = { source, timezone: 'UTC', observerHostname: 'agent01', preserveOriginalEvent: true };
    const r = records[0]!;
    const record = {
      source,
      offset: r.offset,
      endOffset: r.endOffset,
      text: r.text,
      payload: r.payload,
      recordId: r.recordId,
    };
    const parsed = evtxFormat.createParser(ctx).parse(record);
    assert.equal(parsed.kind, 'event');
    if (parsed.kind !== 'event') return;
    const [doc] = evtxFormat.normalize(parsed.event, record, ctx);
    const winlog = doc!['winlog'] as Record<string, unknown>;
    assert.equal(winlog['event_id'], '6');
    assert.equal(winlog['record_id'], '7184');
    assert.equal(winlog['channel'], 'MSExchange Management');
    assert.equal((winlog['event_data'] as Record<string, unknown>)['param1'], 'Install-TransportAgent');
    const event = doc!['event'] as Record<string, unknown>;
    assert.match(String(event['original']), /^<Event xmlns=.*<Data>Install-TransportAgent<\/Data>/);
  });
});
