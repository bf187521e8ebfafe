// 1,000,000 lines read while the output is stalled: peak RSS must stay flat (reading pauses), and reading
// resumes and finishes once the output recovers. Run by hand:
//   node --import tsx bench/inputs-stalled-output.ts [--lines 1000000] [--stall-ms 10000] [--write]

import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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
const arg = (name: string, def: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) || def : def;
};
const lines = arg('--lines', 1_000_000);
const stallMs = arg('--stall-ms', 10_000);
const capacity = 5000; // documents the stalled output holds before it says "full"
const root = mkdtempSync(path.join(tmpdir(), 'casguard-bench-stall-'));
try {
  const logs = path.join(root, 'logs');
  mkdirSync(logs);
  const file = path.join(logs, 'u_ex130919.log');
  const out = createWriteStream(file);
  for (let i = 0; i < lines; i++) {
    const ok = out.write(
      `2013-09-19 14:22:11 10.0.0.1 POST /Microsoft-Server-ActiveSync/default.eas User=u&DeviceId=D${i}&Cmd=Provision 443 u 1.2.3.4 Apple-iPad2C2/1101.465 200 0 0 15\r\n`,
    );
    if (!ok) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const rss = new RssSampler(50);
  const registry = await Registry.open(path.join(root, 'data'), nullLogger);
  const sink = new CountingSink(capacity);
  sink.stalled = true;
  const input = new FileInput(FileInputConfig.parse({ id: 'bench', paths: [path.join(logs, '*.log')] }), {
    baseDir: root,
    handlerFactory: lineHandlers,
    sink,
    deadLetters: nullDeadLetters,
    registry,
    logger: nullLogger,
  });
  const t0 = performance.now();
  await input.start();
  await new Promise((r) => setTimeout(r, stallMs));
  const readWhileStalled = sink.count;
  const peakStalled = rss.peak;
  const rssEndOfStall = process.memoryUsage().rss;
  rss.reset();
  const tRecover = performance.now();
  sink.recover();
  while (sink.count < lines) await new Promise((r) => setTimeout(r, 20));
  const tDone = performance.now();
  await input.stop();
  rss.stop();
  const figures = {
    lines,
    stallMs,
    sinkCapacityDocs: capacity,
    documentsPushedDuringStall: readWhileStalled,
    rssBeforeMiB: mib(rssBefore),
    peakRssDuringStallMiB: mib(peakStalled),
    rssAtEndOfStallMiB: mib(rssEndOfStall),
    peakRssAfterRecoveryMiB: mib(rss.peak),
    secondsToFinishAfterRecovery: Math.round((tDone - tRecover) / 100) / 10,
    linesPerSecondAfterRecovery: Math.round(lines / ((tDone - tRecover) / 1000)),
    totalSeconds: Math.round((tDone - t0) / 100) / 10,
  };
  console.log(JSON.stringify(figures, null, 2));
  if (args.includes('--write')) writeBaseline('stalledOutput', figures);
} finally {
  rmSync(root, { recursive: true, force: true });
}
