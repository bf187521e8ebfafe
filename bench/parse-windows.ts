// Windows event export throughput: parse + normalize records per second on one core, run by hand (never in
// the test suite):
//   npx tsx bench/parse-windows.ts [--seconds 3] [--write-baseline]
// Event XML uses the 3,328 real events of ../shared/corpus/evtx/ts-evtx-fixtures/*.xml (Application with
// RenderingInfo, System, Security), cut into one record per <Event> as the xml-events framer does; the other
// forms use the golden inputs of test/golden/windows/ framed by the real framers. Each form runs for a fixed
// time after a warm-up; --write-baseline records the figures in bench/parse-windows-baseline.json.

import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFramer } from '../src/framing/index.js';
import { windowsFormats } from '../src/normalize/formats/windows.formats.js';
import type { SourceRecord } from '../src/pipeline/record.types.js';
import type { FileContext, FormatDefinition } from '../src/pipeline/stages.types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] ?? 3) || 3;
const source = { inputId: 'bench', path: 'C:\\exports\\bench', fingerprint: 'bench' };
const ctx: FileContext = { source, timezone: 'America/New_York', observerHostname: 'bench' };

function format(name: string): FormatDefinition {
  return windowsFormats.find((f) => f.name === name)!;
}

function framed(format: FormatDefinition, bytes: Buffer): SourceRecord[] {
  const enc = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf16le' : 'utf8';
  const framer = createFramer(format.framing, { startOffset: 0, encoding: enc, maxRecordBytes: 1 << 20 });
  return [...framer.push(bytes), ...framer.end()]
    .filter((r) => !r.error)
    .map((r) => ({ source, offset: r.offset, endOffset: r.endOffset, text: r.text }));
}

/**
 * Runs parse+normalize over `records` (cycled) for `seconds`. Returns records per wall-clock second and per
 * CPU second of this process (user + system, including GC threads): on a shared machine the CPU figure is
 * what one core does, the wall figure what this run happened to get.
 */
function run(
  format: FormatDefinition,
  records: SourceRecord[],
): { perSecond: number; perCpuSecond: number; records: number } {
  const parser = format.createParser(ctx);
  let n = 0;
  let docs = 0;
  const pass = (): void => {
    for (const r of records) {
      const res = parser.parse(r);
      if (res.kind === 'event') docs += format.normalize(res.event, r, ctx).length;
      n++;
    }
  };
  const warm = performance.now();
  while (performance.now() - warm < 500) pass();
  n = 0;
  docs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) pass();
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (docs === 0) throw new Error(`${format.name}: no documents`);
  return { perSecond: Math.round(n / elapsed), perCpuSecond: Math.round(n / cpuSeconds), records: n };
}

const corpus = path.resolve(here, '../../shared/corpus/evtx/ts-evtx-fixtures');
const xmlRecords = ['Application.xml', 'System.xml', 'Security.xml'].flatMap((f) =>
  framed(format('eventviewer-xml'), readFileSync(path.join(corpus, f))),
);
const golden = path.resolve(here, '../test/golden/windows');
const cases: [string, string, SourceRecord[]][] = [
  ['event XML (ts-evtx corpus, 3 logs)', 'eventviewer-xml', xmlRecords],
  [
    'event XML (4999 wevtutil)',
    'wevtutil-xml',
    framed(format('wevtutil-xml'), readFileSync(path.join(golden, 'exchange-4999.wevtutil.xml'))),
  ],
  [
    'Event Viewer CSV (4999)',
    'eventviewer-csv',
    framed(format('eventviewer-csv'), readFileSync(path.join(golden, 'exchange-4999.eventviewer.csv'))),
  ],
  [
    'PowerShell Export-Csv (4999)',
    'powershell-csv',
    framed(format('powershell-csv'), readFileSync(path.join(golden, 'exchange-4999.powershell51.csv'))),
  ],
  [
    'PowerShell ConvertTo-Json (4999)',
    'powershell-json',
    framed(format('powershell-json'), readFileSync(path.join(golden, 'exchange-4999.powershell51.json'))),
  ],
];

const results: Record<
  string,
  { recordsPerCpuSecond: number; recordsPerWallSecond: number; recordSet: number }
> = {};
for (const [label, name, records] of cases) {
  // The CSV parsers keep the header as state: the first framed record is the header, which `run` replays.
  const r = run(format(name), records);
  results[label] = {
    recordsPerCpuSecond: r.perCpuSecond,
    recordsPerWallSecond: r.perSecond,
    recordSet: records.length,
  };
  console.log(
    `${label.padEnd(36)} ${String(r.perCpuSecond).padStart(8)} records/CPU-s ${String(r.perSecond).padStart(8)} records/wall-s  (${records.length} distinct)`,
  );
}

if (process.argv.includes('--write-baseline')) {
  const out = {
    what: 'parse + normalize records per CPU second of one process (one core) and per wall second (bench/parse-windows.ts)',
    // A string, not an array, so the file stays as prettier formats it.
    loadAverage: os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' '),
    measuredAt: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    note: 'shared 2-core machine with ~7 engineers running tests: wall figures are depressed by contention',
    target: 'event XML >= 20,000 records/s',
    results,
  };
  writeFileSync(path.join(here, 'parse-windows-baseline.json'), JSON.stringify(out, null, 2) + '\n');
}
