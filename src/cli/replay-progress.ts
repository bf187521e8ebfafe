// Progress of `casguard replay` while it reads: on a terminal a progress bar per file (bytes, records, rate,
// ETA; cli-progress), otherwise one plain line every few seconds, so a long backfill is never silent. The
// figures come from the inputs' own per-file counters (casguard_input_bytes_read_total and
// casguard_input_records_total), so the progress shows exactly what the agent has read.

import path from 'node:path';
import cliProgress from 'cli-progress';
import { metricsRegistry } from '../telemetry/metrics.js';

export interface ProgressFile {
  readonly path: string;
  readonly size: number;
}

export interface ReplayProgressOptions {
  readonly files: readonly ProgressFile[];
  /** Draw bars (a terminal) or print plain lines. */
  readonly tty: boolean;
  /** The terminal stream the bars are drawn on (tty). */
  readonly stream?: NodeJS.WriteStream;
  /** Prints one plain line (not a tty). */
  readonly print: (line: string) => void;
  readonly intervalMs?: number;
}

export interface FileCounts {
  readonly bytes: number;
  readonly records: number;
}

type CounterValues = { values: { labels: Record<string, string | number>; value: number }[] };

async function perFile(name: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const metric = metricsRegistry().getSingleMetric(name);
  if (!metric) return out;
  const got = (await metric.get()) as CounterValues;
  for (const v of got.values) {
    const file = String(v.labels['file'] ?? '');
    out.set(file, (out.get(file) ?? 0) + v.value);
  }
  return out;
}

/** Bytes and records read so far, per file path (every input). */
export async function readCounts(): Promise<Map<string, FileCounts>> {
  const [bytes, records] = await Promise.all([
    perFile('casguard_input_bytes_read_total'),
    perFile('casguard_input_records_total'),
  ]);
  const out = new Map<string, FileCounts>();
  for (const f of new Set([...bytes.keys(), ...records.keys()]))
    out.set(f, { bytes: bytes.get(f) ?? 0, records: records.get(f) ?? 0 });
  return out;
}

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

/** The file's name, cut to fit a terminal line next to the figures. */
function shortName(file: string): string {
  const name = path.basename(file);
  return name.length > 28 ? `${name.slice(0, 12)}…${name.slice(-15)}` : name;
}

export class ReplayProgress {
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  private readonly totalBytes: number;
  private bars: cliProgress.MultiBar | undefined;
  private readonly fileBars = new Map<string, cliProgress.SingleBar>();
  private updating: Promise<void> = Promise.resolve();

  constructor(private readonly o: ReplayProgressOptions) {
    this.totalBytes = o.files.reduce((n, f) => n + f.size, 0);
  }

  start(): void {
    if (this.o.tty) {
      this.bars = new cliProgress.MultiBar(
        {
          stream: this.o.stream ?? process.stderr,
          format: '{bar} {percentage}% {name} {done}/{size} {records} records {rate}/s ETA {eta_formatted}',
          barsize: 12,
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          etaBuffer: 20,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      for (const f of this.o.files) {
        this.fileBars.set(
          f.path,
          this.bars.create(Math.max(1, f.size), 0, {
            name: shortName(f.path),
            done: humanBytes(0),
            size: humanBytes(f.size),
            records: 0,
            rate: '0 B',
          }),
        );
      }
    }
    const every = this.o.intervalMs ?? (this.o.tty ? 200 : 5000);
    this.timer = setInterval(() => {
      this.updating = this.updating.then(() => this.tick()).catch(() => undefined);
    }, every);
    this.timer.unref();
  }

  /** Last update, then stop drawing (the bars stay on screen at their final figures). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.updating;
    if (this.bars) {
      await this.tick();
      this.bars.stop();
      this.bars = undefined;
    }
  }

  private async tick(): Promise<void> {
    const counts = await readCounts();
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    let bytes = 0;
    let records = 0;
    for (const f of this.o.files) {
      const c = counts.get(f.path) ?? { bytes: 0, records: 0 };
      bytes += Math.min(c.bytes, f.size);
      records += c.records;
      const bar = this.fileBars.get(f.path);
      bar?.update(Math.min(c.bytes, Math.max(1, f.size)), {
        done: humanBytes(Math.min(c.bytes, f.size)),
        records: c.records,
        rate: humanBytes(Math.round(c.bytes / secs)),
      });
    }
    if (this.bars || bytes === 0) return;
    const rate = bytes / secs;
    const pct = this.totalBytes > 0 ? Math.floor((bytes / this.totalBytes) * 100) : 100;
    this.o.print(
      `replay progress: ${pct}% ${humanBytes(bytes)} of ${humanBytes(this.totalBytes)}, ${records} records, ` +
        `${humanBytes(Math.round(rate))}/s, ${Math.round(records / secs)} records/s, ` +
        `ETA ${duration((this.totalBytes - bytes) / Math.max(1, rate))}`,
    );
  }
}
