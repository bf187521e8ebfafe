// Fuzz: 10,000+ mutations of small EVTX files (byte and bit damage, hostile 16/32-bit values such as offsets
// that point at themselves or past the chunk, spliced ranges, truncation, odd read sizes, resume offsets).
// Nothing may escape the framer as an exception, every record it emits must be well formed, and no single
// file may take long (hostile nesting and self-referencing templates are bounded). Deterministic: a seeded
// PRNG, so a failure names the iteration that reproduces it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEvtxFramer } from '../../src/framing/evtx/evtx-framer.js';
import type { FramedRecord } from '../../src/framing/framer.types.js';
import type { WindowsEvent } from '../../src/parsers/windows-event/windows-event.types.js';
import { fixture } from './evtx-helpers.js';
import { mulberry32 as prng } from '../helpers/prng.js';

const ITERATIONS = 10_000;
/** Generous for a shared 2-core machine: a clean one-chunk file takes about a millisecond. */
const MAX_MS_PER_FILE = 1_000;

const capi2 = fixture('E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx');
const seeds: Buffer[] = [
  fixture('MSExchange_Management_wec.evtx'), // template-less
  fixture('ID6-Failed_to_install_an_Exchange_transport_agent.evtx'), // string arrays
  fixture('Application_no_crc32.evtx'), // format 3.2
  fixture('DE_104_system_log_cleared.evtx'), // UserData
  fixture('new-user-security.evtx'), // SIDs, HexInt64
  fixture('ID1149-RDP_success_logins_to_multiple_hosts.evtx'), // template-less
  Buffer.concat([capi2.subarray(0, 4096), capi2.subarray(4096, 4096 + 65536)]), // embedded BinXml
].map((b) => b.subarray(0, 4096 + 65536));

const INTERESTING = [
  0, 1, 0x7f, 0x80, 0xff, 0x100, 0x200, 0x1ff, 0xfff0, 0xffff, 0x10000, 0x7fffffff, 0xffffffff,
];

function mutate(src: Buffer, rnd: () => number): Buffer {
  let buf = Buffer.from(src);
  const chunkStart = 4096;
  const free = Math.min(Math.max(buf.readUInt32LE(chunkStart + 48), 512), 65536);
  // Most damage lands where the records are; some on the file and chunk headers.
  const pos = (): number => {
    const r = rnd();
    if (r < 0.08) return Math.floor(rnd() * 128);
    if (r < 0.16) return chunkStart + Math.floor(rnd() * 512);
    return chunkStart + 512 + Math.floor(rnd() * (free - 512));
  };
  const edits = 1 + Math.floor(rnd() * 6);
  for (let i = 0; i < edits; i++) {
    const kind = rnd();
    const p = pos();
    if (kind < 0.3) {
      buf[p] = Math.floor(rnd() * 256);
    } else if (kind < 0.5) {
      buf[p]! ^= 1 << Math.floor(rnd() * 8);
    } else if (kind < 0.7 && p + 4 <= buf.length) {
      const v = rnd() < 0.3 ? p - chunkStart + 4 : INTERESTING[Math.floor(rnd() * INTERESTING.length)]!;
      buf.writeUInt32LE(v >>> 0, p);
    } else if (kind < 0.8 && p + 2 <= buf.length) {
      buf.writeUInt16LE(INTERESTING[Math.floor(rnd() * INTERESTING.length)]! & 0xffff, p);
    } else if (kind < 0.93) {
      const len = 1 + Math.floor(rnd() * 64);
      const from = pos();
      if (p < buf.length && from < buf.length) buf.copy(buf, p, from, Math.min(from + len, buf.length));
    } else {
      buf = buf.subarray(0, Math.floor(rnd() * buf.length));
    }
  }
  return buf;
}

function check(records: FramedRecord[], length: number, iteration: number): void {
  for (const r of records) {
    assert.ok(Number.isInteger(r.offset) && Number.isInteger(r.endOffset), `iteration ${iteration}: offsets`);
    assert.ok(
      r.offset >= 0 && r.endOffset > r.offset && r.endOffset <= length,
      `iteration ${iteration}: range`,
    );
    assert.equal(r.text, '');
    if (r.error === undefined) {
      const e = r.payload as WindowsEvent;
      assert.equal(e.form, 'evtx', `iteration ${iteration}: payload`);
      assert.equal(typeof e.timeCreated, 'string');
      assert.ok(Array.isArray(e.eventData), 'Array.isArray(e.eventData)');
    } else {
      assert.match(r.error.code, /^evtx\./, `iteration ${iteration}: error code`);
      assert.equal(typeof r.error.reason, 'string');
    }
  }
}

test(`${ITERATIONS} mutated files: no exception escapes, records stay well formed, time per file is bounded`, () => {
  const rnd = prng(0x5eed_ca5);
  let slowest = 0;
  let records = 0;
  let failures = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const buf = mutate(seeds[i % seeds.length]!, rnd);
    const startOffset = rnd() < 0.1 ? Math.floor(rnd() * buf.length) : 0;
    const slice = [1 + Math.floor(rnd() * 5000), 65536, buf.length || 1][Math.floor(rnd() * 3)]!;
    const t0 = performance.now();
    let out: FramedRecord[] = [];
    try {
      const framer = createEvtxFramer({
        startOffset,
        encoding: 'utf8',
        maxRecordBytes: 1 << 20,
        renderXml: rnd() < 0.5,
      });
      for (let p = framer.feedFrom; p < buf.length; p += slice)
        out = out.concat(framer.push(buf.subarray(p, p + slice)));
      out = out.concat(framer.end());
    } catch (err) {
      assert.fail(`iteration ${i}: exception escaped the framer: ${String(err)}`);
    }
    slowest = Math.max(slowest, performance.now() - t0);
    check(out, buf.length, i);
    for (const r of out) {
      if (r.error === undefined) records++;
      else failures++;
      if (startOffset > 0)
        assert.ok(r.offset >= startOffset, `iteration ${i}: record before the resume offset`);
    }
  }
  console.log(
    `# ${ITERATIONS} mutations: ${records} records, ${failures} dead letters, slowest file ${slowest.toFixed(1)} ms`,
  );
  assert.ok(slowest < MAX_MS_PER_FILE, `slowest file took ${slowest.toFixed(0)} ms`);
  assert.ok(records > ITERATIONS, 'mutations should leave most records readable');
  assert.ok(failures > 0, 'mutations should produce dead letters');
});
