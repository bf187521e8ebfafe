// EVTX reader throughput and memory, run by hand (never in the test suite):
//   npx tsx bench/evtx-bench.ts [--mib 24,96,1024] [--write-baseline]
// Builds a large synthetic .evtx in the temp folder from the valid chunks of the corpus' plaso/System.evtx
// (as ../shared/reference/evtx.md section 2 did for libevtx's 18,700 records/s figure), then streams it through
// the framer in 64 KiB reads, once without and once with XML rendering, each in its own child process so peak
// RSS is per mode. Several sizes show that memory stays flat while the file grows. Prints records/s and peak
// RSS; --write-baseline records them in bench/evtx-baseline.json. The synthetic files stay in the temp folder.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEvtxFramer } from '../src/framing/evtx/evtx-framer.js';
import type { WindowsEvent } from '../src/parsers/windows-event/windows-event.types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.resolve(here, '../../shared/corpus/evtx/plaso/System.evtx');
const CHUNK = 65536;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

function buildSynthetic(target: string, mib: number): void {
  if (existsSync(target) && statSync(target).size >= mib * 1024 * 1024) return;
  const src = readFileSync(source);
  const chunks: Buffer[] = [];
  for (let off = 4096; off + CHUNK <= src.length; off += CHUNK) {
    if (src.toString('latin1', off, off + 7) === 'ElfChnk') chunks.push(src.subarray(off, off + CHUNK));
  }
  const count = Math.ceil((mib * 1024 * 1024) / CHUNK);
  const fd = openSync(target, 'w');
  const header = Buffer.from(src.subarray(0, 4096));
  writeFileSync(fd, header);
  for (let i = 0; i < count; i++) writeFileSync(fd, chunks[i % chunks.length]!);
  closeSync(fd);
}

/** Child mode: stream the file once and print one JSON line. */
function runOnce(file: string, renderXml: boolean): void {
  const framer = createEvtxFramer({ startOffset: 0, encoding: 'utf8', maxRecordBytes: 1 << 20, renderXml });
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(CHUNK);
  let records = 0;
  let errors = 0;
  let dataItems = 0;
  let peakRss = 0;
  let reads = 0;
  const t0 = process.hrtime.bigint();
  for (;;) {
    const n = readSync(fd, buf, 0, CHUNK, null);
    if (n === 0) break;
    for (const r of framer.push(buf.subarray(0, n))) {
      if (r.error) errors++;
      else {
        records++;
        dataItems += (r.payload as WindowsEvent).eventData.length;
      }
    }
    if ((++reads & 63) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  for (const r of framer.end())
    if (r.error) errors++;
    else records++;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(fd);
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      renderXml,
      bytes: statSync(file).size,
      records,
      errors,
      dataItems,
      seconds: Number(seconds.toFixed(3)),
      recordsPerSecond: Math.round(records / seconds),
      mibPerSecond: Number((statSync(file).size / 1048576 / seconds).toFixed(1)),
      peakRssMiB: Math.round(Math.max(peakRss / 1048576, maxRssMiB)),
    }),
  );
}

const child = arg('--child', '');
if (child !== '') {
  runOnce(arg('--file', ''), child === 'xml');
} else {
  if (!existsSync(source)) {
    console.error(`corpus file missing: ${source}`);
    process.exit(1);
  }
  const sizes = arg('--mib', '96').split(',').map(Number);
  const results = [];
  const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
  for (const mib of sizes) {
    const file = path.join(os.tmpdir(), `casguard-evtx-bench-${mib}MiB.evtx`);
    buildSynthetic(file, mib);
    for (const mode of ['noxml', 'xml']) {
      // One core: pin the child when taskset exists (Linux); the reader itself is single-threaded.
      const cmd = process.execPath;
      const args = [...process.execArgv, fileURLToPath(import.meta.url), '--child', mode, '--file', file];
      const r = hasTaskset
        ? spawnSync('taskset', ['-c', '0', cmd, ...args], { encoding: 'utf8' })
        : spawnSync(cmd, args, { encoding: 'utf8' });
      if (r.status !== 0) {
        console.error(r.stderr);
        process.exit(1);
      }
      const line = { mib, ...JSON.parse(r.stdout.trim().split('\n').pop()!) };
      results.push(line);
      console.log(JSON.stringify(line));
    }
  }
  if (process.argv.includes('--write-baseline')) {
    const baseline = {
      benchmark: 'bench/evtx-bench.ts',
      input:
        'synthetic files (sizes in MiB below): header + the 27 valid chunks of corpus plaso/System.evtx repeated',
      machine: `${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores (shared), pinned to one core`,
      node: process.version,
      date: new Date().toISOString().slice(0, 10),
      target: 'libevtx evtxexport: about 18,700 records/s on the 96 MiB file (evtx.md 3.4), 52 MB peak RSS',
      results,
    };
    writeFileSync(path.join(here, 'evtx-baseline.json'), JSON.stringify(baseline, null, 2) + '\n');
  }
}
