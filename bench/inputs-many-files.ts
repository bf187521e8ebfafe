// 10,000 files in a watched tree: time from start() to the first document and to the last, and memory.
// Run by hand:  node --import tsx bench/inputs-many-files.ts [--files 10000] [--no-watch] [--write]
// --no-watch sets `watch: false` (no chokidar watchers: discovery by rescans only) to show what watching costs.
// Each file is a small IIS-like log (header + 20 lines, ~3 KiB, under the fingerprint size, sizes varied).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileInput, FileInputConfig, Registry } from '../src/inputs/index.js';
import { nullLogger } from '../src/telemetry/logger.types.js';
import {
  CountingSink,
  RssSampler,
  lineHandlers,
  mib,
  nullDeadLetters,
  writeBaseline,
} from './inputs-common.js';

const args = process.argv.slice(2);
const files = Number(args[args.indexOf('--files') + 1] ?? 10000) || 10000;
const watch = !args.includes('--no-watch');
const linesPerFile = 20;
const root = mkdtempSync(path.join(tmpdir(), 'casguard-bench-files-'));
try {
  const logs = path.join(root, 'logs');
  for (let i = 0; i < files; i++) {
    const dir = path.join(logs, `W3SVC${i % 100}`);
    if (i < 100) mkdirSync(dir, { recursive: true });
    let s = `#Software: Microsoft Internet Information Services 8.5\r\n#Version: 1.0\r\n#Date: 2013-09-19 ${String(i % 24).padStart(2, '0')}:00:${String(i % 60).padStart(2, '0')}\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\r\n`;
    for (let l = 0; l < linesPerFile + (i % 7); l++)
      s += `2013-09-19 14:22:${String(l % 60).padStart(2, '0')} 10.0.0.1 POST /Microsoft-Server-ActiveSync/default.eas User=u${i}&DeviceId=D${l}&Cmd=Provision 443 u${i} 1.2.3.4 Apple-iPad2C2/1101.465 200 0 0 15\r\n`;
    writeFileSync(path.join(dir, `u_ex${String(i).padStart(6, '0')}.log`), s);
  }
  const expected =
    files * linesPerFile + Array.from({ length: files }, (_, i) => 4 + (i % 7)).reduce((a, b) => a + b, 0);
  const rss = new RssSampler();
  const rssBefore = process.memoryUsage().rss;
  const registry = await Registry.open(path.join(root, 'data'), nullLogger);
  const sink = new CountingSink(Number.POSITIVE_INFINITY);
  const input = new FileInput(
    FileInputConfig.parse({
      id: 'bench',
      paths: [path.join(logs, '**/u_ex*.log')],
      maxOpenFiles: 256,
      watch,
    }),
    {
      baseDir: root,
      handlerFactory: lineHandlers,
      sink,
      deadLetters: nullDeadLetters,
      registry,
      logger: nullLogger,
    },
  );
  const t0 = performance.now();
  await input.start();
  const started = performance.now();
  while (sink.count < expected) await new Promise((r) => setTimeout(r, 20));
  const done = performance.now();
  const rssAtEnd = process.memoryUsage().rss;
  await input.stop();
  rss.stop();
  const figures = {
    files,
    watch,
    records: sink.count,
    startMs: Math.round(started - t0),
    firstDocumentMs: Math.round(sink.firstAt - t0),
    allDocumentsMs: Math.round(done - t0),
    rssBeforeMiB: mib(rssBefore),
    peakRssMiB: mib(rss.peak),
    rssAtEndMiB: mib(rssAtEnd),
  };
  console.log(JSON.stringify(figures, null, 2));
  if (args.includes('--write')) writeBaseline(watch ? 'manyFiles' : 'manyFilesWithoutWatcher', figures);
} finally {
  rmSync(root, { recursive: true, force: true });
}
