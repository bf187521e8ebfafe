// A/B of the IIS parse + normalize + redaction path of two source trees in one process: this tree's `src/` and
// another checkout's (`--base`, e.g. `git worktree add /tmp/base main`, with its own `node_modules` link).
// 1. Byte identity: every record of every given file goes through each tree's FileProcessor (IIS format, the
//    default enrichers, no detector, a fixed clock) under four file contexts (easLogTokens and
//    preserveOriginalEvent on and off); then every EAS golden input (IIS, HttpProxy, mailbox log) through each
//    tree's own golden helpers, with its context and with both options on. The JSON of each result (documents
//    with their ids, dead letters) must be the same string. Mismatches are counted and the first few printed.
// 2. CPU (`--rounds N`, 0 to skip): the level `iis-stages.ts --only normalize` measures (parse, normalize,
//    the redaction trigger and, where it fires, the document walk) of the first file, the two trees alternating
//    every 5,000 records, after one uncounted warm-up round; prints the median µs of CPU per line of each tree,
//    the ratio of the medians and the median of the per-round ratios (a shared machine's noise hits both alike;
//    garbage one tree leaves may be collected in the other's block, which narrows the difference a little).
// Usage: node --import tsx bench/normalize-ab.ts --base <dir> [--rounds 5] [--check false] <file.log> [more files ...]
// (`--check false`: the CPU part only.)

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createFramer } from '../src/framing/index.js';
import type { EcsDocument } from '../src/pipeline/document.types.js';
import type { RecordSource, SourceRecord } from '../src/pipeline/record.types.js';
import type { FileContext, FormatDefinition } from '../src/pipeline/stages.types.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const base = opt('--base');
const rounds = Number(opt('--rounds') ?? '5');
const check = opt('--check') !== 'false';
const files = args;
if (base === undefined || files.length === 0)
  throw new Error('usage: bench/normalize-ab.ts --base <dir> [--rounds N] <file.log> ...');

interface Redactor {
  triggered(text: string): boolean;
  document(doc: EcsDocument): void;
}
interface Tree {
  readonly name: string;
  readonly iisFormat: FormatDefinition<unknown>;
  readonly FileProcessor: new (
    format: FormatDefinition<unknown>,
    ctx: FileContext,
    deps: { enrichers: readonly unknown[]; now: () => Date },
  ) => { process(r: SourceRecord): unknown };
  readonly enrichers: readonly unknown[];
  readonly activeRedactor: () => Redactor;
}

async function load(name: string, root: string): Promise<Tree> {
  const src = (p: string): string => pathToFileURL(path.join(root, 'src', p)).href;
  const fmt = (await import(src('normalize/formats/iis.format.ts'))) as { iisFormat: Tree['iisFormat'] };
  const proc = (await import(src('pipeline/processor.ts'))) as { FileProcessor: Tree['FileProcessor'] };
  const enr = (await import(src('enrich/index.ts'))) as { defaultEnrichers: readonly unknown[] };
  const red = (await import(src('pipeline/redact.ts'))) as { activeRedactor: () => Redactor };
  return {
    name,
    iisFormat: fmt.iisFormat,
    FileProcessor: proc.FileProcessor,
    enrichers: enr.defaultEnrichers,
    activeRedactor: red.activeRedactor,
  };
}

const here = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const trees = [await load('base', path.resolve(base)), await load('this', here)] as const;

function recordsOf(file: string, source: RecordSource): SourceRecord[] {
  const bytes = readFileSync(file);
  const framer = createFramer('lines', { startOffset: 0, encoding: 'utf8', maxRecordBytes: 1 << 20 });
  const out: SourceRecord[] = [];
  for (let off = 0; off < bytes.length; off += 65536)
    for (const r of framer.push(bytes.subarray(off, off + 65536))) out.push({ source, ...r });
  for (const r of framer.end()) out.push({ source, ...r });
  return out;
}

const now = (): Date => new Date('2026-12-06T00:00:00.000Z');
let mismatches = 0;
let compared = 0;
for (const file of check ? files : []) {
  const source: RecordSource = { inputId: 'ab', path: file, fingerprint: 'fp' };
  const records = recordsOf(file, source);
  for (const easLogTokens of [false, true]) {
    for (const preserveOriginalEvent of [false, true]) {
      const ctx: FileContext = {
        source,
        timezone: 'UTC',
        observerHostname: 'ab',
        easLogTokens,
        preserveOriginalEvent,
      };
      const [a, b] = trees.map((t) => new t.FileProcessor(t.iisFormat, ctx, { enrichers: t.enrichers, now }));
      for (const r of records) {
        const ja = JSON.stringify(a!.process(r));
        const jb = JSON.stringify(b!.process(r));
        compared++;
        if (ja !== jb) {
          if (++mismatches <= 5)
            console.log(
              `MISMATCH ${file} offset ${r.offset} (easLogTokens ${easLogTokens}, original ${preserveOriginalEvent})\n base ${ja}\n this ${jb}`,
            );
        }
      }
    }
  }
}
// Every EAS golden set (IIS, HttpProxy, mailbox log) of each tree, framed and processed by that tree's own
// golden helpers, under its context and with easLogTokens and preserveOriginalEvent on.
interface GoldenSets {
  GOLDEN_DIR: string;
  GOLDEN_SETS: readonly {
    dir: string;
    format: FormatDefinition<unknown>;
    frame: (buf: Buffer, source: RecordSource) => SourceRecord[];
    context: (source: RecordSource) => FileContext;
  }[];
  goldenInputs(set: GoldenSets['GOLDEN_SETS'][number]): string[];
}
if (check) {
  const roots = [path.resolve(base), here];
  const golden = await Promise.all(
    roots.map(
      async (root) =>
        (await import(pathToFileURL(path.join(root, 'test/formats/eas/golden-sets.ts')).href)) as GoldenSets,
    ),
  );
  for (let si = 0; si < golden[0]!.GOLDEN_SETS.length; si++) {
    for (const file of golden[0]!.goldenInputs(golden[0]!.GOLDEN_SETS[si]!)) {
      for (const extra of [{}, { preserveOriginalEvent: true, easLogTokens: true }]) {
        const [ja, jb] = [0, 1].map((k) => {
          const set = golden[k]!.GOLDEN_SETS[si]!;
          const source: RecordSource = { inputId: 'ab', path: file, fingerprint: 'fp' };
          const t = trees[k as 0 | 1];
          const proc = new t.FileProcessor(
            set.format,
            { ...set.context(source), ...extra },
            { enrichers: t.enrichers, now },
          );
          const frames = set.frame(readFileSync(path.join(golden[k]!.GOLDEN_DIR, set.dir, file)), source);
          return frames.map((r) => JSON.stringify(proc.process(r))).join('\n');
        });
        compared++;
        if (ja !== jb && ++mismatches <= 5)
          console.log(`MISMATCH golden ${set(si)}/${file} ${JSON.stringify(extra)}`);
      }
    }
  }
  function set(si: number): string {
    return golden[0]!.GOLDEN_SETS[si]!.dir;
  }
}
if (check) console.log(`identity: ${compared} results and golden runs compared, ${mismatches} differ`);

if (rounds > 0) {
  const file = files[0]!;
  const source: RecordSource = { inputId: 'ab', path: file, fingerprint: 'fp' };
  const records = recordsOf(file, source);
  const ctx: FileContext = { source, timezone: 'UTC', observerHostname: 'ab' };
  // Each round runs both trees over the file in blocks of BLOCK records, alternating per block (which tree goes
  // first alternates too), so that both see the same moments of a shared machine.
  const BLOCK = 5000;
  const round = (first: 0 | 1): [number, number] => {
    const state = trees.map((t) => ({
      t,
      parser: t.iisFormat.createParser(ctx),
      redactor: t.activeRedactor(),
    }));
    const cpu: [number, number] = [0, 0];
    for (let from = 0; from < records.length; from += BLOCK) {
      const to = Math.min(records.length, from + BLOCK);
      for (const k of first === 0 ? ([0, 1] as const) : ([1, 0] as const)) {
        const { t, parser, redactor } = state[k]!;
        const c0 = process.cpuUsage();
        for (let i = from; i < to; i++) {
          const rec = records[i]!;
          const res = parser.parse(rec);
          if (res.kind !== 'event') continue;
          for (const doc of t.iisFormat.normalize(res.event, rec, ctx)) {
            // As iis-stages.ts and FileProcessor do for a format with redactionScope 'original' (IIS).
            const original = (doc['event'] as { original?: string } | undefined)?.original ?? rec.text;
            if (redactor.triggered(original)) redactor.document(doc);
          }
        }
        const c = process.cpuUsage(c0);
        cpu[k] += c.user + c.system;
      }
    }
    return [cpu[0] / records.length, cpu[1] / records.length];
  };
  // One round first, not counted: the JIT's warm-up.
  round(0);
  const us: [number[], number[]] = [[], []];
  for (let i = 0; i < rounds; i++) {
    const [a, b] = round((i % 2) as 0 | 1);
    us[0].push(a);
    us[1].push(b);
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const [ma, mb] = [median(us[0]), median(us[1])];
  console.log(`${records.length} records, ${rounds} rounds each, alternated`);
  console.log(`base ${ma.toFixed(2)} µs/line  [${us[0].map((x) => x.toFixed(2)).join(' ')}]`);
  console.log(`this ${mb.toFixed(2)} µs/line  [${us[1].map((x) => x.toFixed(2)).join(' ')}]`);
  const pairs = us[0].map((a, i) => us[1][i]! / a);
  console.log(
    `this/base CPU: ratio of medians ${(mb / ma).toFixed(3)}, median of round ratios ${median(pairs).toFixed(3)}`,
  );
}
