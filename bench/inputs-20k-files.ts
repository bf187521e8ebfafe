// Issue 19, finding 11 (the input part): memory and registry writes with 20,000 IIS files in a watched tree, and
// with a tree of three directory symlink loops. Each file is a real IIS W3C log (header + 20-26 requests, under
// the 4 KiB fingerprint), read through the agent's own handler factory (IIS parser, ECS mapping, enrichment), so
// every checkpoint carries the parser state (#Fields) as in service. After every document is in, 1 % of the
// files get a line each second for `--live-seconds` (a host where logs are being written), and the bytes written
// to the registry folder in that phase are counted: a flush must write what changed, not every checkpoint.
// Run by hand:
//   node --import tsx bench/inputs-20k-files.ts [--files 20000] [--loops] [--live-seconds 5] [--write --label NAME]
// --loops: 300 files in three folders that link to each other, to their parents and to the root (three loops),
//          watched by chokidar as in service.
// --no-watch: no chokidar (rescans only); --rare-flush: checkpoints flushed every 10 minutes (to tell the
// registry's share of the peak); --heap: write a heap snapshot to the temp folder after the live phase;
// --trace: memory and reader counts every second on stderr.
// Run it with the flags the service gives node: node --max-semi-space-size=8 --heap-growing-percent=60 ...
// Figures are printed next to the recorded baseline (bench/inputs-baseline.json, key `files20k` / `symlinkLoops`).

import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultEnrichers } from '../src/enrich/index.js';
import { FileInput, FileInputConfig, Registry } from '../src/inputs/index.js';
import type { InputContext } from '../src/inputs/tail.types.js';
import { createFileHandlerFactory } from '../src/normalize/formats/handler-factory.js';
import { ALL_FORMATS } from '../src/normalize/formats/index.js';
import { nullLogger } from '../src/telemetry/logger.types.js';
import { BASELINE, CountingSink, RssSampler, mib, nullDeadLetters, writeBaseline } from './inputs-common.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const loops = args.includes('--loops');
const files = opt('--files', loops ? 300 : 20000);
const liveSeconds = opt('--live-seconds', 5);
const labelAt = args.indexOf('--label');
const label = labelAt >= 0 ? args[labelAt + 1]! : 'current';
const key = loops ? 'symlinkLoops' : 'files20k';

const header = (i: number): string =>
  `#Software: Microsoft Internet Information Services 8.5\r\n#Version: 1.0\r\n#Date: 2013-09-19 ${String(i % 24).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}\r\n` +
  `#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n`;
const request = (i: number, l: number): string =>
  `2013-09-19 14:22:${String(l % 60).padStart(2, '0')} 10.0.0.${i % 250} POST /Microsoft-Server-ActiveSync/default.eas User=u${i}&DeviceId=ApplDN${i}X${l}&DeviceType=iPad&Cmd=Sync 443 CONTOSO\\u${i} 192.168.${i % 250}.${l % 250} Apple-iPad2C2/1101.465 - 200 0 0 15\r\n`;

const root = mkdtempSync(path.join(tmpdir(), 'casguard-bench-20k-'));
try {
  const logs = path.join(root, 'logs');
  const dirs = loops ? ['a', 'b', 'c'] : Array.from({ length: 100 }, (_, i) => `W3SVC${i}`);
  for (const d of dirs) mkdirSync(path.join(logs, d), { recursive: true });
  if (loops) {
    symlinkSync('../b', path.join(logs, 'a', 'to-b'));
    symlinkSync('../c', path.join(logs, 'b', 'to-c'));
    symlinkSync('../a', path.join(logs, 'c', 'to-a'));
    for (const d of dirs) symlinkSync('..', path.join(logs, d, 'up'));
  }
  const paths: string[] = [];
  let expected = 0;
  for (let i = 0; i < files; i++) {
    const lines = 20 + (i % 7);
    let s = header(i);
    for (let l = 0; l < lines; l++) s += request(i, l);
    const file = path.join(logs, dirs[i % dirs.length]!, `u_ex${String(i).padStart(6, '0')}.log`);
    writeFileSync(file, s);
    paths.push(file);
    expected += lines;
  }
  const rss = new RssSampler();
  const rssBefore = process.memoryUsage().rss;
  const registry = await Registry.open(path.join(root, 'data'), nullLogger);
  const sink = new CountingSink(Number.POSITIVE_INFINITY);
  const handlerFactory = createFileHandlerFactory({
    formats: ALL_FORMATS,
    format: 'auto',
    timezone: 'UTC',
    observerHostname: 'cas01',
    deps: { enrichers: [...defaultEnrichers] },
  });
  const input = new FileInput(
    FileInputConfig.parse({
      id: 'bench',
      paths: [path.join(logs, '**/u_ex*.log')],
      watch: !args.includes('--no-watch'),
      ...(args.includes('--rare-flush') ? { checkpointFlushMs: 600000 } : {}),
    }),
    { baseDir: root, handlerFactory, sink, deadLetters: nullDeadLetters, registry, logger: nullLogger },
  );
  const t0 = performance.now();
  if (args.includes('--trace')) console.error(`before start: rss ${mib(process.memoryUsage().rss)} MiB`);
  // --trace: memory and reader counts every second on stderr (where the peak is reached, and what is held then).
  const inner = (input as unknown as { ctx: InputContext }).ctx;
  const trace = args.includes('--trace')
    ? setInterval(
        () => {
          const m = process.memoryUsage();
          let active = 0;
          for (const t of inner.tails.values()) if (t.handler && !t.finished) active += 1;
          console.error(
            `${Math.round(performance.now() - t0)} ms: rss ${mib(m.rss)} heapTotal ${mib(m.heapTotal)} heapUsed ${mib(m.heapUsed)} external ${mib(m.external)} MiB; readers ${inner.tails.size} (with a parser ${active}), waiting ${inner.waiting.size}, documents ${sink.count}`,
          );
        },
        Number(process.env['TRACE_MS'] ?? 1000),
      )
    : undefined;
  await input.start();
  while (sink.count < expected) await new Promise((r) => setTimeout(r, 20));
  const allDocumentsMs = Math.round(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 1500)); // the commit after the last documents
  const writtenAtRead = registry.bytesWritten;
  // Live phase: 1 % of the files grow by one line a second.
  let live = 0;
  for (let s = 0; s < liveSeconds; s++) {
    for (let i = s % 100; i < files; i += 100) {
      appendFileSync(paths[i]!, request(i, 100 + s));
      live += 1;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  while (sink.count < expected + live) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 1500));
  const writtenLive = registry.bytesWritten - writtenAtRead;
  const mem = process.memoryUsage();
  const rssAtEnd = mem.rss;
  if (args.includes('--heap')) {
    const { writeHeapSnapshot } = await import('node:v8');
    console.error(
      'heap snapshot',
      writeHeapSnapshot(path.join(tmpdir(), `casguard-20k-${process.pid}.heapsnapshot`)),
    );
  }
  await input.stop();
  await registry.close();
  rss.stop();
  clearInterval(trace);
  let onDisk = 0;
  for (const f of ['registry.json', 'checkpoints.base', 'checkpoints.journal']) {
    try {
      onDisk += readFileSync(path.join(root, 'data', 'registry', f)).length;
    } catch {
      // absent
    }
  }
  const figures = {
    label,
    files,
    loops,
    documents: sink.count,
    allDocumentsMs,
    rssBeforeMiB: mib(rssBefore),
    peakRssMiB: mib(rss.peak),
    rssAtEndMiB: mib(rssAtEnd),
    heapUsedAtEndMiB: mib(mem.heapUsed),
    externalAtEndMiB: mib(mem.external),
    registryOnDiskMiB: mib(onDisk),
    registryWrittenWhileReadingMiB: mib(writtenAtRead),
    liveLines: live,
    registryWrittenLiveMiB: mib(writtenLive),
  };
  let recorded: unknown;
  try {
    recorded = (JSON.parse(readFileSync(BASELINE, 'utf8')) as Record<string, unknown>)[key];
  } catch {
    recorded = undefined;
  }
  console.log(JSON.stringify({ now: figures, recorded: recorded ?? '(none recorded)' }, null, 2));
  if (args.includes('--write')) {
    const all = (recorded ?? {}) as Record<string, unknown>;
    writeBaseline(key, { ...all, [label]: figures });
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
