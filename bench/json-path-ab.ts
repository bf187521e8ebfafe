// Issue 16: CPU per line of the IIS path through FileProcessor (parse, normalize, enrich, agent stamp, redaction
// scan, id, detection) and the output's serialisation into a batch buffer, with the format's JSON path
// (writeIisJson: the text written from the parsed values) against the object path (JSON.stringify of the
// document), alternated in one process so that the machine's drift hits both alike. Prints each round and the
// medians, and the document bytes on the wire (bulk action line included).
// Usage: node --import tsx bench/json-path-ab.ts <iis.log> [--rounds 6] [--lines 200000] [--no-detect] [--only json]

import { readFileSync } from 'node:fs';
import { builtinRules } from '../src/detect/builtin-rules.js';
import { DetectionEngine } from '../src/detect/engine.js';
import { agentMetadataEnricher } from '../src/enrich/agent-metadata.js';
import { defaultEnrichers } from '../src/enrich/index.js';
import { createFramer } from '../src/framing/index.js';
import { iisFormat } from '../src/normalize/formats/iis.format.js';
import { withIngested, withIngestedText } from '../src/outputs/elasticsearch/prepare-document.js';
import { FileProcessor } from '../src/pipeline/processor.js';
import type { RecordSource } from '../src/pipeline/record.types.js';
import type { FormatDefinition } from '../src/pipeline/stages.types.js';

const file = process.argv[2];
if (!file) throw new Error('usage: bench/json-path-ab.ts <iis.log> [--rounds N] [--lines N] [--no-detect]');
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const rounds = arg('--rounds', 6);
const maxLines = arg('--lines', 200_000);
const detect = !process.argv.includes('--no-detect');
// --only json|object: one mode (for a CPU profile: node --cpu-prof ...).
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const bytes = readFileSync(file);
const source: RecordSource = { inputId: 'bench', path: file, fingerprint: 'fp' };
const stamp = agentMetadataEnricher({
  ecsVersion: '9.4.0',
  version: '0.1.0',
  id: '3f2b1c7e-5d4a-4e8f-9b6c-0a1d2e3f4a5b',
  name: 'cas-bench-host',
});
const prefix = '{"create":{"_index":"logs-exchange.activesync-default","_id":';
const INGESTED = '2026-12-06T09:00:00.000Z';

function run(json: boolean): { us: number; lines: number; wire: number } {
  const ctx = { source, timezone: 'UTC', observerHostname: 'bench' };
  const proc = new FileProcessor(iisFormat as FormatDefinition, ctx, {
    enrichers: [...defaultEnrichers, stamp],
    ...(detect ? { detector: new DetectionEngine(builtinRules()) } : {}),
    json,
  });
  const framer = createFramer('lines', { startOffset: 0, encoding: 'utf8', maxRecordBytes: 1 << 20 });
  const out = Buffer.allocUnsafe(8 << 20);
  let len = 0;
  let lines = 0;
  let wire = 0;
  const c0 = process.cpuUsage();
  outer: for (let off = 0; off < bytes.length; off += 262144) {
    for (const r of framer.push(bytes.subarray(off, off + 262144))) {
      if (++lines > maxLines) break outer;
      for (const d of proc.process({ source, ...r }).documents) {
        const action = `${prefix}${JSON.stringify(d.id)}}}\n`;
        const text =
          d.json !== undefined
            ? withIngestedText(d.json, INGESTED)
            : withIngested(d.doc, INGESTED, () => JSON.stringify(d.doc));
        if (len + (action.length + text.length) * 3 + 1 > out.length) {
          wire += len;
          len = 0;
        }
        len += out.write(action, len);
        len += out.write(text, len);
        out[len++] = 10;
      }
    }
  }
  const c = process.cpuUsage(c0);
  wire += len;
  return { us: c.user + c.system, lines: Math.min(lines, maxLines), wire };
}

const results: Record<'object' | 'json', number[]> = { object: [], json: [] };
let wire = { object: 0, json: 0 };
let lines = 0;
for (let i = 0; i < rounds; i++) {
  for (const mode of i % 2 === 0 ? (['object', 'json'] as const) : (['json', 'object'] as const)) {
    if (only !== undefined && mode !== only) continue;
    const r = run(mode === 'json');
    lines = r.lines;
    wire = { ...wire, [mode]: r.wire / r.lines };
    results[mode].push(r.us / r.lines);
    console.log(`round ${i + 1} ${mode}: ${(r.us / r.lines).toFixed(2)} µs/line`);
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
console.log(`${lines} lines, detection ${detect ? 'on' : 'off'}, ${rounds} rounds each`);
for (const mode of ['object', 'json'] as const)
  console.log(
    `${mode}: median ${median(results[mode]).toFixed(2)} µs/line, ${wire[mode].toFixed(0)} bytes per document on the wire`,
  );
