// Runs generated log files through the real pipeline: the framers (src/framing), format detection and
// FileProcessor (record → parse → normalize → enrich → detect) with the default enrichers plus the agent stamp
// (on alerts too) and one shared DetectionEngine, the way the agent wires them. Two reading orders:
//   live     — records of all files interleaved by time, as tailing several growing files sees them;
//   backfill — one file after the other, as `casguard replay` reads them.
// A `restartAt` record index snapshots the engine there (JSON round trip, as the registry stores it) and goes
// on with a fresh engine restored from it.
import { withAlertStamp } from '../../src/enrich/agent-metadata.js';
import { defaultEnrichers } from '../../src/enrich/index.js';
import { DetectionEngine, type DetectionEngineOptions } from '../../src/detect/engine.js';
import type { Rule } from '../../src/detect/rule.schema.js';
import { createFramer } from '../../src/framing/index.js';
import { createFileHandlerFactory } from '../../src/normalize/formats/handler-factory.js';
import { ALL_FORMATS } from '../../src/normalize/formats/index.js';
import { mailboxLogFormat } from '../../src/normalize/formats/mailbox-log.format.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import type { SourceRecord } from '../../src/pipeline/record.types.js';
import type { Detector, FileHandler } from '../../src/pipeline/stages.types.js';
import { testAgentStamp } from '../helpers/agent-metadata.js';
import type { GeneratedFile } from './scenario.js';

const FORMATS = ALL_FORMATS.some((f) => f.name === mailboxLogFormat.name)
  ? ALL_FORMATS
  : [...ALL_FORMATS, mailboxLogFormat];

interface TimedRecord {
  t: number;
  file: number;
  seq: number;
  record: SourceRecord;
}

export interface RunResult {
  /** Every shipped document (events and alert versions) in shipping order. */
  readonly shipped: ShippableDocument[];
  readonly alerts: ShippableDocument[];
  readonly deadLetters: number;
  readonly formats: string[];
  readonly engines: DetectionEngine[];
}

const TIME_PATTERNS: RegExp[] = [
  /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)/, // IIS
  /SystemTime='([^']+)'/, // event XML
  /RequestTime : \r?\n(\d\d)\/(\d\d)\/(\d{4}) (\d\d:\d\d:\d\d)/, // mailbox log (UTC in this scenario)
];

function recordTime(text: string): number | undefined {
  let m = TIME_PATTERNS[0]!.exec(text);
  if (m) return Date.parse(`${m[1]}T${m[2]}Z`);
  m = TIME_PATTERNS[1]!.exec(text);
  if (m) return Date.parse(m[1]!);
  m = TIME_PATTERNS[2]!.exec(text);
  if (m) return Date.parse(`${m[3]}-${m[1]}-${m[2]}T${m[4]}Z`);
  return undefined;
}

function frame(files: readonly GeneratedFile[]): {
  records: TimedRecord[];
  handlers: (opts: Detector) => FileHandler[];
  formats: string[];
} {
  const records: TimedRecord[] = [];
  files.forEach((f, i) => {
    const framerKind = detectKind(f);
    const framer = createFramer(framerKind, { startOffset: 0, encoding: 'utf8', maxRecordBytes: 1 << 20 });
    const source = { inputId: 'scenario', path: `C:\\logs\\${f.name}`, fingerprint: `fp-${f.name}` };
    let last = Number.NEGATIVE_INFINITY;
    let seq = 0;
    for (const r of [...framer.push(Buffer.from(f.text, 'utf8')), ...framer.end()]) {
      const t = recordTime(r.text) ?? last; // header lines keep their place in the file
      last = t;
      records.push({
        t,
        file: i,
        seq: seq++,
        record: {
          source,
          offset: r.offset,
          endOffset: r.endOffset,
          text: r.text,
          ...(r.line !== undefined ? { line: r.line } : {}),
        },
      });
    }
  });
  const formats: string[] = [];
  const handlers = (detector: Detector): FileHandler[] =>
    files.map((f) => {
      const factory = createFileHandlerFactory({
        formats: FORMATS,
        format: 'auto',
        timezone: 'UTC',
        observerHostname: f.observerHostname,
        deps: { enrichers: [...defaultEnrichers, testAgentStamp], detector },
      });
      const h = factory(
        { inputId: 'scenario', path: `C:\\logs\\${f.name}`, fingerprint: `fp-${f.name}` },
        f.text.slice(0, 4096),
      );
      if (!h) throw new Error(`no format recognises ${f.name}`);
      formats.push(h.formatName);
      return h;
    });
  return { records, handlers, formats };
}

function detectKind(f: GeneratedFile) {
  const h = createFileHandlerFactory({
    formats: FORMATS,
    format: 'auto',
    timezone: 'UTC',
    observerHostname: 'x',
    deps: { enrichers: [] },
  })({ inputId: 'probe', path: f.name, fingerprint: 'probe' }, f.text.slice(0, 4096));
  if (!h) throw new Error(`no format recognises ${f.name}`);
  return h.framing;
}

/** A detector whose engine can be swapped (restart) while the file handlers keep their parser state. */
class SwappableDetector implements Detector {
  constructor(public engine: DetectionEngine) {}
  evaluate(doc: Parameters<Detector['evaluate']>[0], id: string) {
    return this.engine.evaluate(doc, id);
  }
  flush() {
    return this.engine.flush();
  }
  snapshot() {
    return this.engine.snapshot();
  }
  restore(state: unknown) {
    this.engine.restore(state);
  }
}

export function runPipeline(
  files: readonly GeneratedFile[],
  rules: readonly Rule[],
  opts: { order: 'live' | 'backfill'; restartAt?: number; engine?: DetectionEngineOptions },
): RunResult {
  const { records, handlers, formats } = frame(files);
  const ordered =
    opts.order === 'backfill'
      ? records
      : [...records].sort((a, b) => a.t - b.t || a.file - b.file || a.seq - b.seq);
  const engines = [new DetectionEngine(rules, opts.engine)];
  const detector = new SwappableDetector(engines[0]!);
  // As the agent wires it: alerts get the agent metadata too.
  const stamped = withAlertStamp(detector, testAgentStamp);
  const hs = handlers(stamped);
  const shipped: ShippableDocument[] = [];
  let deadLetters = 0;
  ordered.forEach((r, i) => {
    if (opts.restartAt === i) {
      const saved: unknown = JSON.parse(JSON.stringify(detector.engine.snapshot()));
      const fresh = new DetectionEngine(rules, opts.engine);
      fresh.restore(saved);
      engines.push(fresh);
      detector.engine = fresh;
    }
    const res = hs[r.file]!.process(r.record);
    shipped.push(...res.documents);
    if (res.deadLetter) deadLetters++;
  });
  shipped.push(...stamped.flush());
  return { shipped, alerts: shipped.filter((d) => d.stream === 'alerts'), deadLetters, formats, engines };
}

/** The last version of each alert id (what Elasticsearch holds after `index` ops replace earlier versions). */
export function finalAlerts(alerts: readonly ShippableDocument[]): Map<string, ShippableDocument> {
  const m = new Map<string, ShippableDocument>();
  for (const a of alerts) m.set(a.id, a);
  return m;
}
