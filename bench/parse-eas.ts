// Parse + normalize throughput of the EAS formats per core (records per CPU-second of this single-threaded
// process), run by hand:
//   node --import tsx bench/parse-eas.ts [--seconds 2] [--repeat 3] [--only <case substring>] [--write]
//     [--iis-file <u_ex.log>]
// `--iis-file` adds a case over the first 50,000 lines of a real or generated IIS log, e.g. the shared harness's
// front-end lines: `node ../shared/bench/gen/gen.js iis --lines 60000 --seed 7 --out /tmp/iis.log`.
// Records are built from the golden inputs (test/golden/eas), varied per record (time, device id) so nothing is
// cached by accident. Reports records/s for parse+normalize and for parse+normalize+enrich. `--write` stores the
// figures in bench/parse-eas-baseline.json. Targets (issue #4): IIS EAS >= 100,000 lines/s, no format < 20,000/s.

import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { defaultEnrichers } from '../src/enrich/index.js';
import { httpProxyFormat } from '../src/normalize/formats/httpproxy.format.js';
import { iisFormat } from '../src/normalize/formats/iis.format.js';
import { mailboxLogFormat } from '../src/normalize/formats/mailbox-log.format.js';
import type { EcsDocument } from '../src/pipeline/document.types.js';
import type { RecordSource, SourceRecord } from '../src/pipeline/record.types.js';
import type { FileContext, FormatDefinition } from '../src/pipeline/stages.types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const golden = path.join(here, '../test/golden/eas');
const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 2) || 2;
const source: RecordSource = { inputId: 'bench', path: 'bench', fingerprint: 'bench' };
const ctx: FileContext = { source, timezone: 'Europe/Berlin', observerHostname: 'agent01' };

function rec(text: string, offset: number): SourceRecord {
  return { source, offset, endOffset: offset + text.length, text };
}

function lines(file: string): string[] {
  return readFileSync(path.join(golden, file), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
}

interface Case {
  readonly name: string;
  readonly format: FormatDefinition;
  readonly header: string[];
  readonly records: string[];
}

function vary(base: string[], n: number, f: (s: string, i: number) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(f(base[i % base.length]!, i));
  return out;
}
const dev = (i: number): string => `Appl${(100000 + (i % 5000)).toString(36).toUpperCase()}DWDFJ3`;

// IIS: the KB 2851708 2010 line, the 2013 back-end line with ActivityContextData and Budget (3.6 KB), the 2016+
// Ping line with 21 custom columns.
const kb = lines('iis/kb2851708-provision-exchange2010-reconstructed.log');
const kbFields = kb.find((l) => l.startsWith('#Fields'))!;
const kbLines = kb.slice(4, 6);
const be13 = lines('iis/iis-w3svc2-backend-eas-exchange2013.log');
const be16 = lines('iis/iis-w3svc2-backend-eas-ping-exchange2016plus.log');
const IIS_15 =
  '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken';
const N = 50_000;
const iisKb = vary(kbLines, N, (s, i) =>
  s.replace('ApplDMPGH8DWDFJ3', dev(i)).replace(/ 47$| 31$/, ` ${i % 900}`),
);
const iisBe13 = vary(be13, N / 5, (s, i) => s.replace('DeviceId=123456', `DeviceId=${dev(i)}`));
const iisBe16 = vary(be16.slice(4), N / 5, (s, i) => s.replace('JUQGGDFCDD29R3H003TJA63E10', dev(i)));

const hp = lines('httpproxy/HttpProxy_2013091914-1.kb2851708-reconstructed.LOG');
const hpHeader = hp.slice(0, 6);
const hpRows = vary([hp[6]!, hp[7]!], N, (s, i) => s.replace('ApplDMPGH8DWDFJ3', dev(i)));
const hp16 = lines('httpproxy/httpproxy-eas-exchange2016cu23.log');
const hp16Rows = vary([hp16[5]!], N / 5, (s, i) => s.replace('1234567987987987987987987987987', dev(i)));

const mbText = readFileSync(
  path.join(golden, 'mailbox-log/EASMailboxLog_johndoe_iPad_ApplDMPGH8DWDFJ3.kb2851708-reconstructed.txt'),
  'utf8',
);
const mbEntries = mbText
  .split(/\r\n(?=-{17}\r\n Log Entry)/)
  .map((e) => e.trim())
  .filter((e) => e.length > 0);
// Distinct request times per entry (one a second), so no time conversion is answered from a cache by accident.
const hhmmss = (i: number): string =>
  [Math.floor(i / 3600) % 24, Math.floor(i / 60) % 60, i % 60]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
const mbRecords = vary(mbEntries, N / 5, (s, i) =>
  s.replace('ApplDMPGH8DWDFJ3', dev(i)).replace(/(\d\d\/\d\d\/\d{4}) \d\d:\d\d:\d\d/g, `$1 ${hhmmss(i)}`),
);

const cases: Case[] = [
  {
    name: 'iis-kb2851708-2010 (330 B lines)',
    format: iisFormat as FormatDefinition,
    header: [kbFields],
    records: iisKb,
  },
  {
    name: 'iis-backend-2013 (3.6 KB lines)',
    format: iisFormat as FormatDefinition,
    header: [IIS_15],
    records: iisBe13,
  },
  {
    name: 'iis-backend-2016 (1.9 KB lines)',
    format: iisFormat as FormatDefinition,
    header: [be16[3]!],
    records: iisBe16,
  },
  { name: 'httpproxy-69col', format: httpProxyFormat as FormatDefinition, header: hpHeader, records: hpRows },
  {
    name: 'httpproxy-74col',
    format: httpProxyFormat as FormatDefinition,
    header: hp16.slice(0, 5),
    records: hp16Rows,
  },
  {
    name: 'mailbox-log entries',
    format: mailboxLogFormat as FormatDefinition,
    header: [],
    records: mbRecords,
  },
];

const iisFile = args.includes('--iis-file') ? args[args.indexOf('--iis-file') + 1] : undefined;
if (iisFile !== undefined) {
  const all = readFileSync(iisFile, 'utf8').split(/\r?\n/);
  const header = all.filter((l) => l.startsWith('#')).slice(0, 4);
  const records = all.filter((l) => l.length > 0 && !l.startsWith('#')).slice(0, N);
  cases.push({
    name: `iis-file ${path.basename(iisFile)}`,
    format: iisFormat as FormatDefinition,
    header,
    records,
  });
}

/**
 * Records per second of CPU time consumed by this process (user + system). The machine is shared, so wall-clock
 * rates would measure the neighbours; CPU time gives the per-core figure.
 */
function measure(c: Case, enrich: boolean): number {
  const recs = c.records.map((t, i) => rec(t, i * 400));
  let done = 0;
  let sink = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < deadline) {
    const parser = c.format.createParser(ctx);
    for (const h of c.header) parser.parse(rec(h, 0));
    for (const r of recs) {
      const res = parser.parse(r);
      if (res.kind !== 'event') continue;
      const docs: EcsDocument[] = c.format.normalize(res.event, r, ctx);
      if (enrich) for (const d of docs) for (const e of defaultEnrichers) e(d);
      sink += docs.length;
    }
    done += recs.length;
    now = process.hrtime.bigint();
  }
  if (sink !== done) throw new Error(`${c.name}: ${done - sink} records did not become documents`);
  const cpu = process.cpuUsage(cpu0);
  const cpuMicros = cpu.user + cpu.system;
  return Math.round((done / cpuMicros) * 1e6);
}

const results: Record<string, { parse_normalize_per_s: number; with_enrich_per_s: number }> = {};
const repeat = args.includes('--repeat') ? Math.max(1, Number(args[args.indexOf('--repeat') + 1]) || 1) : 3;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
for (const c of cases) {
  if (only !== undefined && !c.name.includes(only)) continue;
  measure(c, true); // warm-up
  // Best of `repeat` runs: on a shared machine the slower runs measure the neighbours, not this code.
  let pn = 0;
  let pne = 0;
  for (let r = 0; r < repeat; r++) {
    pn = Math.max(pn, measure(c, false));
    pne = Math.max(pne, measure(c, true));
  }
  results[c.name] = { parse_normalize_per_s: pn, with_enrich_per_s: pne };
  console.log(
    `${c.name.padEnd(36)} ${pn.toLocaleString('en-US').padStart(10)} rec/s   with enrich ${pne.toLocaleString('en-US').padStart(10)} rec/s`,
  );
}

if (args.includes('--write')) {
  const out = {
    note: 'records per CPU-second of this single-threaded process (user+system), i.e. per core; wall-clock rates on the shared machine were lower',
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)),
    measuredAt: new Date().toISOString(),
    secondsPerRun: seconds,
    runsPerCase: repeat,
    statistic: 'best run per case',
    targets: { iisEasLinesPerSecond: 100_000, everyFormatAtLeast: 20_000 },
    results,
  };
  const file = path.join(here, 'parse-eas-baseline.json');
  const config = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(JSON.stringify(out), { ...config, parser: 'json' }));
  console.log('wrote bench/parse-eas-baseline.json');
}
