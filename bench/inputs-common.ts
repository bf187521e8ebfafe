// Shared pieces of the input benchmarks: a sink that counts documents and can stall, a handler that makes one
// small document per line, an RSS sampler, and the baseline file writer.

import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ShippableDocument } from '../src/pipeline/document.types.js';
import type { DeadLetterSink, DocumentSink, FileHandlerFactory } from '../src/pipeline/stages.types.js';
import { settle, type OnSettled } from '../src/pipeline/settle.js';

export class CountingSink implements DocumentSink {
  count = 0;
  firstAt = 0;
  stalled = false;
  private held: OnSettled[] = [];
  private drainers: (() => void)[] = [];
  constructor(private readonly capacity: number) {}
  push(_doc: ShippableDocument, onSettled: OnSettled): boolean {
    this.count += 1;
    if (this.firstAt === 0) this.firstAt = performance.now();
    if (this.stalled) {
      this.held.push(onSettled);
      return this.held.length < this.capacity;
    }
    settle(onSettled);
    return true;
  }
  recover(): void {
    this.stalled = false;
    for (const s of this.held.splice(0)) settle(s);
    for (const d of this.drainers.splice(0)) d();
  }
  drain(): Promise<void> {
    if (!this.stalled || this.held.length < this.capacity) return Promise.resolve();
    return new Promise((r) => this.drainers.push(r));
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

export const nullDeadLetters: DeadLetterSink = {
  write: () => undefined,
  flush: async () => undefined,
  close: async () => undefined,
};

export const lineHandlers: FileHandlerFactory = (source) => ({
  formatName: 'bench',
  framing: 'lines',
  process: (record) => ({
    documents: [
      {
        id: `${source.fingerprint}:${record.offset}`,
        stream: 'activesync',
        op: 'create',
        doc: {
          '@timestamp': '2013-09-19T14:22:11.000Z',
          message: record.text,
          log: { offset: record.offset },
        },
      },
    ],
  }),
  snapshot: () => undefined,
  restore: () => undefined,
});

export class RssSampler {
  peak = 0;
  private timer: NodeJS.Timeout;
  constructor(everyMs = 50) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): number {
    const rss = process.memoryUsage().rss;
    if (rss > this.peak) this.peak = rss;
    return rss;
  }
  reset(): void {
    this.peak = 0;
    this.sample();
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

export const mib = (n: number): number => Math.round((n / 1024 / 1024) * 10) / 10;

const here = path.dirname(fileURLToPath(import.meta.url));
export const BASELINE = path.join(here, 'inputs-baseline.json');

/** Merge one benchmark's figures into bench/inputs-baseline.json. */
export function writeBaseline(name: string, figures: Record<string, unknown>): void {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(BASELINE, 'utf8')) as Record<string, unknown>;
  } catch {
    all = {};
  }
  all[name] = {
    ...figures,
    measuredAt: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    platform: `${os.platform()} ${os.release()}`,
  };
  writeFileSync(BASELINE, JSON.stringify(all, null, 2) + '\n');
}
