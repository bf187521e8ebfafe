// Cost of rule evaluation relative to the pipeline, run by hand (never in the test suite):
//   npx tsx bench/detect-bench.ts [--rounds 9] [--write-baseline]
// Generates the KB 2851708 scenario hour (test/detect/scenario.ts: ~16,000 IIS lines from 3,000 healthy devices
// plus three iOS 7 devices in a Provision storm) and an ordinary hour (the same healthy traffic, no storm), frames
// the IIS files once, then measures FileProcessor (parse → normalize → enrich) over every record with and without
// the DetectionEngine running the built-in rule set, alternating the two modes round by round, the engine alone on
// the already-normalised documents, and end to end (bytes → framer → processor → NDJSON serialisation of every
// shipped document, as the outputs do) with and without the detector. Figures are process CPU time (user + system), the fastest round of
// each mode: on a machine shared with other jobs the wall clock mostly measures their load.
// Prints the figures; --write-baseline records them in bench/detect-baseline.json.

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinRules } from '../src/detect/builtin-rules.js';
import { DetectionEngine } from '../src/detect/engine.js';
import { defaultEnrichers } from '../src/enrich/index.js';
import { createFramer } from '../src/framing/index.js';
import { iisFormat } from '../src/normalize/formats/iis.format.js';
import type { EcsDocument } from '../src/pipeline/document.types.js';
import { FileProcessor } from '../src/pipeline/processor.js';
import type { RecordSource, SourceRecord } from '../src/pipeline/record.types.js';
import { generateScenario } from '../test/detect/scenario.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
};
const rounds = Number(arg('--rounds', '9'));

interface Input {
  readonly observerHostname: string;
  readonly source: RecordSource;
  readonly records: SourceRecord[];
  readonly bytes: Buffer;
}

function framed(storm: boolean): Input[] {
  return generateScenario(3000, { storm })
    .files.filter((f) => f.name.startsWith('u_ex'))
    .map((f) => {
      const source = { inputId: 'bench', path: f.name, fingerprint: `fp-${f.name}` };
      const framer = createFramer('lines', { startOffset: 0, encoding: 'utf8', maxRecordBytes: 1 << 20 });
      const records = [...framer.push(Buffer.from(f.text)), ...framer.end()].map((r) => ({
        source,
        offset: r.offset,
        endOffset: r.endOffset,
        text: r.text,
      }));
      return { observerHostname: f.observerHostname, source, records, bytes: Buffer.from(f.text) };
    });
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
}

function pipeline(
  inputs: Input[],
  withDetector: boolean,
): { ms: number; alerts: number; docs: EcsDocument[] } {
  const engine = withDetector ? new DetectionEngine(builtinRules()) : undefined;
  const docs: EcsDocument[] = [];
  let alerts = 0;
  const c0 = process.cpuUsage();
  for (const input of inputs) {
    const proc = new FileProcessor(
      iisFormat,
      { source: input.source, timezone: 'UTC', observerHostname: input.observerHostname },
      { enrichers: defaultEnrichers, ...(engine ? { detector: engine } : {}) },
    );
    for (const r of input.records) {
      for (const d of proc.process(r).documents) {
        if (d.stream === 'alerts') alerts++;
        else if (!withDetector) docs.push(d.doc);
      }
    }
  }
  if (engine) alerts += engine.flush().length;
  return { ms: cpuMs(c0), alerts, docs };
}

/**
 * End to end as the agent does it: bytes → framer → FileProcessor → one NDJSON line per shipped document (what
 * the file output and the bulk body serialise), without the disk or network writes themselves.
 */
function endToEnd(inputs: Input[], withDetector: boolean): number {
  const engine = withDetector ? new DetectionEngine(builtinRules()) : undefined;
  let bytesOut = 0;
  const c0 = process.cpuUsage();
  for (const input of inputs) {
    const proc = new FileProcessor(
      iisFormat,
      { source: input.source, timezone: 'UTC', observerHostname: input.observerHostname },
      { enrichers: defaultEnrichers, ...(engine ? { detector: engine } : {}) },
    );
    const framer = createFramer('lines', { startOffset: 0, encoding: 'utf8', maxRecordBytes: 1 << 20 });
    for (let off = 0; off < input.bytes.length; off += 65536)
      for (const r of framer.push(input.bytes.subarray(off, off + 65536)))
        for (const d of proc.process({ source: input.source, ...r }).documents)
          bytesOut += JSON.stringify(d.doc).length + 1;
  }
  if (engine) for (const a of engine.flush()) bytesOut += JSON.stringify(a.doc).length + 1;
  if (bytesOut < 0) throw new Error('unreachable');
  return cpuMs(c0);
}

function engineOnly(docs: readonly EcsDocument[]): number {
  const engine = new DetectionEngine(builtinRules());
  const ids = docs.map((_, i) => `d${i}`);
  const c0 = process.cpuUsage();
  for (let i = 0; i < docs.length; i++) engine.evaluate(docs[i]!, ids[i]!);
  engine.flush();
  return cpuMs(c0);
}

function measure(storm: boolean): Record<string, unknown> {
  const inputs = framed(storm);
  const lines = inputs.reduce((n, i) => n + i.records.length, 0);
  pipeline(inputs, false); // warm-up (JIT)
  pipeline(inputs, true);
  const without: number[] = [];
  const withDet: number[] = [];
  const alone: number[] = [];
  const e2eWithout: number[] = [];
  const e2eWith: number[] = [];
  let docs: EcsDocument[] = [];
  let alertVersions = 0;
  for (let r = 0; r < rounds; r++) {
    const a = pipeline(inputs, false);
    docs = a.docs;
    without.push(a.ms);
    const b = pipeline(inputs, true);
    alertVersions = b.alerts;
    withDet.push(b.ms);
    alone.push(engineOnly(docs));
    e2eWithout.push(endToEnd(inputs, false));
    e2eWith.push(endToEnd(inputs, true));
  }
  const x0 = Math.min(...e2eWithout);
  const x1 = Math.min(...e2eWith);
  const w0 = Math.min(...without);
  const w1 = Math.min(...withDet);
  const e = Math.min(...alone);
  return {
    hour: storm
      ? 'storm: 3 iOS 7 devices in a Provision storm + 3,000 healthy devices'
      : 'ordinary: 3,000 healthy devices',
    lines,
    documents: docs.length,
    alertVersions,
    pipelineWithoutDetectorMs: Math.round(w0),
    pipelineWithDetectorMs: Math.round(w1),
    engineAloneMs: Math.round(e),
    linesPerSecondWithout: Math.round((lines / w0) * 1000),
    linesPerSecondWith: Math.round((lines / w1) * 1000),
    engineDocumentsPerSecond: Math.round((docs.length / e) * 1000),
    engineMicrosecondsPerDocument: Number(((e * 1000) / docs.length).toFixed(2)),
    /** (with - without) / with: the share of the pipeline's time spent in detection. */
    detectorShareOfPipelinePercent: Number((((w1 - w0) / w1) * 100).toFixed(1)),
    /** engine alone / (pipeline without + engine alone): the same share from the engine-only measurement. */
    engineShareOfPipelinePercent: Number(((e / (w0 + e)) * 100).toFixed(1)),
    endToEndWithoutDetectorMs: Math.round(x0),
    endToEndWithDetectorMs: Math.round(x1),
    /** frame → process → serialise: the detector's share of what the agent spends per line. */
    detectorShareOfEndToEndPercent: Number((((x1 - x0) / x1) * 100).toFixed(1)),
    engineShareOfEndToEndPercent: Number(((e / (x0 + e)) * 100).toFixed(1)),
  };
}

const result = {
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  rules: builtinRules().length,
  rounds,
  method: 'process CPU time (user+system), fastest round per mode; compare shares, not absolute rates',
  runs: [measure(true), measure(false)],
};
console.log(JSON.stringify(result, null, 2));
if (process.argv.includes('--write-baseline'))
  writeFileSync(path.join(here, 'detect-baseline.json'), JSON.stringify(result, null, 2) + '\n');
