// Shared helpers for the EVTX tests: fixture paths and feeding a whole buffer through a framer the way an
// input does (fixed-size reads, then end()).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FramedRecord } from '../../src/framing/framer.types.js';
import { createEvtxFramer } from '../../src/framing/evtx/evtx-framer.js';
import type { EvtxFramer, EvtxFramerOptions } from '../../src/framing/evtx/evtx-framer.js';
import type { WindowsEvent } from '../../src/parsers/windows-event/windows-event.types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.resolve(here, '../fixtures/evtx');
export const CORPUS = path.resolve(here, '../../../shared/corpus/evtx');
export const corpusPresent = existsSync(CORPUS);

export function fixture(name: string): Buffer {
  return readFileSync(path.join(FIXTURES, name));
}

export interface FrameResult {
  records: FramedRecord[];
  events: WindowsEvent[];
  errors: FramedRecord[];
  framer: EvtxFramer;
}

/** Feed `buf` (the file from `framer.feedFrom` on) in `slice`-byte pushes, then end(). */
export function frame(
  buf: Buffer,
  options: Partial<EvtxFramerOptions> = {},
  slice = 65536,
  callEnd = true,
): FrameResult {
  const framer = createEvtxFramer({ startOffset: 0, encoding: 'utf8', maxRecordBytes: 1 << 20, ...options });
  const records: FramedRecord[] = [];
  for (let i = framer.feedFrom; i < buf.length; i += slice) {
    records.push(...framer.push(buf.subarray(i, Math.min(i + slice, buf.length))));
  }
  if (callEnd) records.push(...framer.end());
  return {
    records,
    events: records.filter((r) => r.error === undefined).map((r) => r.payload as WindowsEvent),
    errors: records.filter((r) => r.error !== undefined),
    framer,
  };
}
