// EVTX reader throughput and memory, run by hand (never in the test suite):
//   npx tsx bench/evtx-bench.ts [--mib 24,96,1024] [--pin] [--libevtx] [--write-baseline]
// Builds a large synthetic .evtx in the temp folder from the valid chunks of the corpus' plaso/System.evtx
// (as ../shared/reference/evtx.md section 2 did for libevtx's 18,700 records/s figure), then streams it through
// the framer in 64 KiB reads, once without and once with XML rendering, each in its own child process so peak
// RSS is per mode. Several sizes show that memory stays flat while the file grows. Prints records/s and peak
// RSS; --write-baseline records them in bench/evtx-baseline.json. The synthetic files stay in the temp folder.
// The reader is single-threaded, so records per CPU second (user + system time of the child) is the
// one-core figure; wall-clock records/s is printed too and is lower whenever the machine is shared.
// --pin runs each child under `taskset -c 0`; --libevtx also times `evtxexport -f xml` (Debian libevtx-utils)
// on the same file, for a comparison made on the same machine at the same moment.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
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
  if (existsSync(target)) return;
  const src = readFileSync(source);
  const chunks: Buffer[] = [];
  for (let off = 4096; off + CHUNK <= src.length; off += CHUNK) {
    if (src.toString('latin1', off, off + 7) === 'ElfChnk') chunks.push(src.subarray(off, off + CHUNK));
  }
  const count = Math.ceil((mib * 1024 * 1024) / CHUNK);
  const fd = openSync(target, 'w');
  // A clean header that counts every chunk, so libevtx (which trusts the count of a clean file) reads it all.
  const header = Buffer.from(src.subarray(0, 4096));
  header.writeBigUInt64LE(BigInt(count - 1), 16);
  header.writeUInt16LE(Math.min(count, 0xffff), 42);
  header.writeUInt32LE(crc32(header.subarray(0, 120)), 124);
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
  const cpu0 = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
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
      cpuSeconds: Number(cpuSeconds.toFixed(3)),
      recordsPerCpuSecond: Math.round(records / cpuSeconds),
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
  const withLibevtx = process.argv.includes('--libevtx');
  const pin = process.argv.includes('--pin') && spawnSync('taskset', ['-V']).status === 0;
  for (const mib of sizes) {
    const file = path.join(os.tmpdir(), `casguard-evtx-bench-v2-${mib}MiB.evtx`);
    buildSynthetic(file, mib);
    for (const mode of ['noxml', 'xml']) {
      const cmd = process.execPath;
      const args = [...process.execArgv, fileURLToPath(import.meta.url), '--child', mode, '--file', file];
      const r = pin
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
    if (withLibevtx && mib <= 128) {
      // (Skipped on the large files: libevtx needs minutes there and the small ones make the comparison.)
      // Same file, same moment: `evtxexport -f xml` under GNU time (elapsed, user, system, max RSS KiB).
      const t = spawnSync(
        'sh',
        ['-c', `/usr/bin/time -f '%e %U %S %M' evtxexport -f xml '${file}' | grep -c '^<Event'`],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        },
      );
      const [elapsed, user, sys, rssKiB] = (t.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
      const records = Number(t.stdout.trim());
      const line = {
        mib,
        tool: 'libevtx evtxexport -f xml 20181227',
        records,
        seconds: elapsed,
        cpuSeconds: Number((user! + sys!).toFixed(3)),
        recordsPerCpuSecond: Math.round(records / (user! + sys!)),
        recordsPerSecond: Math.round(records / elapsed!),
        peakRssMiB: Math.round(rssKiB! / 1024),
      };
      results.push(line);
      console.log(JSON.stringify(line));
    }
  }
  if (process.argv.includes('--write-baseline')) {
    const baseline = {
      benchmark: 'bench/evtx-bench.ts',
      input:
        'synthetic files (sizes in MiB below): header + the 27 valid chunks of corpus plaso/System.evtx repeated',
      machine: `${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores shared with other jobs${pin ? ', child pinned to core 0' : ''}`,
      note: 'recordsPerCpuSecond = records / (user + system CPU time of the single-threaded child): the one-core figure',
      node: process.version,
      date: new Date().toISOString().slice(0, 10),
      target:
        'at least libevtx evtxexport: about 18,700 records/s on a 96 MiB file (evtx.md 3.4), 52 MB peak RSS',
      results,
    };
    writeFileSync(path.join(here, 'evtx-baseline.json'), JSON.stringify(baseline, null, 2) + '\n');
  }
}
