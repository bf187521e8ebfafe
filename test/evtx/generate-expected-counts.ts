// Regenerates test/fixtures/evtx/expected-counts.json: for every .evtx of ../shared/corpus/evtx/, the record
// counts of libevtx (`evtxexport -f xml`, `evtxinfo`; Debian package libevtx-utils), the Rust crate's expected
// counts quoted in ../shared/reference/evtx.md section 3.3, and ours (default and with resync off). Run by hand:
//   npx tsx test/evtx/generate-expected-counts.ts
// and review the diff; the corpus test (evtx-corpus.test.ts) reads the JSON, so CI needs no libevtx.

import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEvtxFramer } from '../../src/framing/evtx/evtx-framer.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../../shared/corpus/evtx');
const out = path.resolve(here, '../fixtures/evtx/expected-counts.json');

/** evtx.md 3.3, column "Rust crate expected (its tests)": ok records and errors. */
const RUST: Record<string, { ok: number; errors?: number }> = {
  'omerbenamram-evtx/2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx': {
    ok: 1910,
    errors: 4,
  },
  'omerbenamram-evtx/2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx': {
    ok: 1774,
    errors: 2,
  },
  'omerbenamram-evtx/2-vss_7-System.evtx': { ok: 1160 },
  'omerbenamram-evtx/Application_no_crc32.evtx': { ok: 17 },
  'omerbenamram-evtx/E_ShadowCopy6_windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx': {
    ok: 459,
  },
  'omerbenamram-evtx/E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx': { ok: 340 },
  'omerbenamram-evtx/E_Windows_system32_winevt_logs_Microsoft-Windows-Shell-Core%4Operational.evtx': {
    ok: 1146,
  },
  'omerbenamram-evtx/MSExchange_Management_wec.evtx': { ok: 1 },
  'omerbenamram-evtx/Microsoft-Windows-HelloForBusiness%4Operational.evtx': { ok: 6 },
  'omerbenamram-evtx/Microsoft-Windows-LanguagePackSetup%4Operational.evtx': { ok: 17 },
  'omerbenamram-evtx/post-Security.evtx': { ok: 126 },
  'omerbenamram-evtx/sample-with-irregular-bool-values.evtx': { ok: 3028 },
  'omerbenamram-evtx/sample-with-zero-data-size-event.evtx': { ok: 335, errors: 1 },
  'omerbenamram-evtx/sample_with_a_bad_chunk_magic.evtx': { ok: 270, errors: 2 },
};

/** Why our count differs from a peer, reviewed by hand (see the report of issue 7). */
const NOTES: Record<string, string> = {
  'plaso/System2.evtx':
    'truncated copy: libevtx skips the partial third chunk; we read its 89 complete records (evtx.md 1.9 step 2)',
  'omerbenamram-evtx/Microsoft-Windows-HelloForBusiness%4Operational.evtx':
    'torn record 6 (size copy 0, values zero-filled): the Rust crate emits it, libevtx and we do not (we dead-letter it)',
  'omerbenamram-evtx/Microsoft-Windows-LanguagePackSetup%4Operational.evtx':
    'torn record 17 (size copy 0; its provider GUID ends in zeros, Channel empty): Rust emits it, libevtx and we do not',
  'omerbenamram-evtx/sample_with_a_bad_chunk_magic.evtx':
    '3 torn records (size copy 0): the Rust crate emits them, libevtx and we do not (we dead-letter them)',
  'omerbenamram-evtx/sample-with-zero-data-size-event.evtx':
    'after the size-0 record both peers abandon the chunk; our resync reads the 114 sound records after it (ids 4-117)',
  'omerbenamram-evtx/2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx':
    'VSS-damaged chunks: resync after damaged record headers recovers 40 more records with unique ids',
  'omerbenamram-evtx/2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx':
    'VSS-damaged chunk: resync after a damaged record header recovers 21 more records with unique ids',
};

interface Counts {
  ok: number;
  errors: number;
}

function ours(buf: Buffer, resyncAfterDamage: boolean): Counts {
  const framer = createEvtxFramer({
    startOffset: 0,
    encoding: 'utf8',
    maxRecordBytes: 1 << 20,
    renderXml: false,
    resyncAfterDamage,
  });
  const counts = { ok: 0, errors: 0 };
  const take = (records: ReturnType<typeof framer.push>): void => {
    for (const r of records)
      if (r.error === undefined) counts.ok++;
      else counts.errors++;
  };
  for (let i = 0; i < buf.length; i += 65536) take(framer.push(buf.subarray(i, i + 65536)));
  take(framer.end());
  return counts;
}

function libevtx(file: string): { export: number | null; exportError?: string; info: number | null } {
  const exp = spawnSync('evtxexport', ['-f', 'xml', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (exp.error !== undefined)
    throw new Error(`evtxexport not runnable (apt-get install libevtx-utils): ${exp.error.message}`);
  const printed = (exp.stdout.match(/^<Event[ >]/gm) ?? []).length;
  const errLine = exp.stderr.split('\n').find((l) => l.startsWith('lib') || l.startsWith('Unable'));
  const failed = exp.status !== 0 || exp.stderr.includes('Unable to export');
  const info = spawnSync('evtxinfo', [file], { encoding: 'utf8' });
  const m = /Number of records\s*:\s*(\d+)/.exec(info.stdout);
  return {
    export: failed ? null : printed,
    ...(failed && { exportError: `${printed} printed, then: ${errLine ?? `exit ${exp.status}`}` }),
    info: m ? Number(m[1]) : null,
  };
}

const files: string[] = [];
for (const dir of readdirSync(corpus).sort()) {
  const p = path.join(corpus, dir);
  if (!statSync(p).isDirectory()) continue;
  for (const f of readdirSync(p).sort()) if (f.endsWith('.evtx')) files.push(`${dir}/${f}`);
}

const result: Record<string, unknown> = {};
for (const rel of files) {
  const abs = path.join(corpus, rel);
  const buf = readFileSync(abs);
  const lib = libevtx(abs);
  const rust = RUST[rel];
  result[rel] = {
    libevtxExport: lib.export,
    ...(lib.exportError !== undefined && { libevtxExportError: lib.exportError }),
    libevtxInfo: lib.info,
    ...(rust !== undefined && { rust }),
    ours: ours(buf, true),
    oursNoResync: ours(buf, false),
    ...(NOTES[rel] !== undefined && { note: NOTES[rel] }),
  };
}
writeFileSync(
  out,
  JSON.stringify(
    { generatedBy: 'test/evtx/generate-expected-counts.ts', libevtx: '20181227', files: result },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${files.length} files to ${out}`);
