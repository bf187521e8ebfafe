// Per-line CPU cost of each stage of the IIS path, cumulatively: framing, parse, normalize (with redaction: the
// trigger scan of the line and, where it finds something, the document walk FileProcessor does), enrich, document id,
// detection, serialisation (JSON.stringify of the document, as the outputs do). Input: an IIS file (e.g. the
// shared harness's generated input, `node ../shared/bench/gen/gen.js iis --out /tmp/iis.log --lines 200000`).
// Usage: node --import tsx bench/iis-stages.ts <iis.log> [--rounds 5] [--only normalize]
// Prints µs of CPU per line for each cumulative stage (the median of the rounds) and the document size.

import { readFileSync } from 'node:fs';
import { builtinRules } from '../src/detect/builtin-rules.js';
import { DetectionEngine } from '../src/detect/engine.js';
import { defaultEnrichers } from '../src/enrich/index.js';
import { createFramer } from '../src/framing/index.js';
import { iisFormat } from '../src/normalize/formats/iis.format.js';
import { documentId } from '../src/pipeline/document-id.js';
import type { EcsDocument } from '../src/pipeline/document.types.js';
import type { RecordSource } from '../src/pipeline/record.types.js';
import { activeRedactor } from '../src/pipeline/redact.js';

const file = process.argv[2];
if (!file) throw new Error('usage: bench/iis-stages.ts <iis.log> [--rounds N]');
const ri = process.argv.indexOf('--rounds');
const rounds = ri > 0 ? Number(process.argv[ri + 1]) : 5;
// --only <stage>: run just that cumulative level (for a CPU profile of it: node --cpu-prof ...).
const oi = process.argv.indexOf('--only');
const bytes = readFileSync(file);
const source: RecordSource = { inputId: 'bench', path: file, fingerprint: 'fp' };

type Stage = 'frame' | 'parse' | 'normalize' | 'enrich' | 'id' | 'detect' | 'stringify';
const STAGES: Stage[] = ['frame', 'parse', 'normalize', 'enrich', 'id', 'detect', 'stringify'];

function run(upTo: Stage): { us: number; lines: number; outBytes: number } {
  const level = STAGES.indexOf(upTo);
  const parser = iisFormat.createParser({ source, timezone: 'UTC', observerHostname: 'bench' });
  const ctx = { source, timezone: 'UTC', observerHostname: 'bench' };
  const engine = new DetectionEngine(builtinRules());
  const framer = createFramer('lines', { startOffset: 0, encoding: 'utf8', maxRecordBytes: 1 << 20 });
  let lines = 0;
  let outBytes = 0;
  const c0 = process.cpuUsage();
  for (let off = 0; off < bytes.length; off += 65536) {
    for (const r of framer.push(bytes.subarray(off, off + 65536))) {
      lines++;
      if (level < 1) continue;
      const rec = { source, ...r };
      const res = parser.parse(rec);
      if (res.kind !== 'event' || level < 2) continue;
      const docs: EcsDocument[] = iisFormat.normalize(res.event, rec, ctx);
      const redactor = activeRedactor();
      for (const doc of docs) {
        // As FileProcessor does for a format with redactionScope 'original' (IIS).
        const original = (doc['event'] as { original?: string } | undefined)?.original ?? rec.text;
        if (redactor.triggered(original)) redactor.document(doc);
        if (level >= 3) for (const e of defaultEnrichers) e(doc);
        const id = level >= 4 ? documentId('bench', 'fp', r.offset, 0) : 'x';
        if (level >= 5) for (const a of engine.evaluate(doc, id)) outBytes += a.id.length;
        if (level >= 6) outBytes += JSON.stringify(doc).length;
      }
    }
  }
  const c = process.cpuUsage(c0);
  return { us: c.user + c.system, lines, outBytes };
}

const results = new Map<Stage, number[]>();
let lines = 0;
let outBytes = 0;
for (let round = 0; round < rounds; round++) {
  for (const s of oi > 0 ? [process.argv[oi + 1] as Stage] : STAGES) {
    const r = run(s);
    lines = r.lines;
    if (s === 'stringify') outBytes = r.outBytes;
    results.set(s, [...(results.get(s) ?? []), r.us / r.lines]);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let prev = 0;
console.log(`${lines} lines, ${rounds} rounds, document JSON ${(outBytes / lines).toFixed(0)} B/line`);
for (const s of STAGES) {
  if (!results.has(s)) continue;
  const m = median(results.get(s)!);
  console.log(`${s.padEnd(10)} ${m.toFixed(2).padStart(7)} µs/line cumulative  (+${(m - prev).toFixed(2)})`);
  prev = m;
}
