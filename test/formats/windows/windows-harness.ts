// Test helpers for the Windows export formats: read a golden input the way the input stage would (encoding
// from the BOM, the format's own framer from src/framing), and run every record through FileProcessor.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createFramer } from '../../../src/framing/index.js';
import type { FramedRecord, TextEncoding } from '../../../src/framing/framer.types.js';
import { FileProcessor } from '../../../src/pipeline/processor.js';
import type { DeadLetter } from '../../../src/pipeline/dead-letter.types.js';
import type { ShippableDocument } from '../../../src/pipeline/document.types.js';
import type { SourceRecord } from '../../../src/pipeline/record.types.js';
import type { FileContext, FormatDefinition } from '../../../src/pipeline/stages.types.js';
import { testAgentStamp } from '../../helpers/agent-metadata.js';

export const GOLDEN_DIR = path.join(import.meta.dirname, '../../golden/windows');
export const MAX_RECORD_BYTES = 1024 * 1024;

export function encodingOf(bytes: Buffer): TextEncoding {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf16be';
  return 'utf8';
}

/** The decoded first bytes, BOM removed, as format detection sees them. */
export function headOf(bytes: Buffer): string {
  const enc = encodingOf(bytes);
  const slice = bytes.subarray(0, 64 * 1024);
  const text =
    enc === 'utf8'
      ? slice.toString('utf8')
      : enc === 'utf16le'
        ? slice.toString('utf16le')
        : Buffer.from(slice).swap16().toString('utf16le');
  return text.replace(/^\uFEFF/, '');
}

export function frame(bytes: Buffer, format: FormatDefinition, chunk = 4096): FramedRecord[] {
  const framer = createFramer(format.framing, {
    startOffset: 0,
    encoding: encodingOf(bytes),
    maxRecordBytes: MAX_RECORD_BYTES,
  });
  const out: FramedRecord[] = [];
  for (let i = 0; i < bytes.length; i += chunk) out.push(...framer.push(bytes.subarray(i, i + chunk)));
  out.push(...framer.end());
  return out;
}

export interface RunResult {
  readonly documents: ShippableDocument[];
  readonly deadLetters: DeadLetter[];
}

export function contextFor(file: string, timezone: string): FileContext {
  return {
    source: { inputId: 'windows-golden', path: `C:\\exports\\${file}`, fingerprint: 'golden' },
    timezone,
    observerHostname: 'casguard-agent',
  };
}

/** Runs records through a FileProcessor with only the agent stamp (no EAS enrichment, no detection) and a fixed clock. */
export function processRecords(
  format: FormatDefinition,
  ctx: FileContext,
  records: readonly (FramedRecord | SourceRecord)[],
): RunResult {
  const proc = new FileProcessor(format, ctx, {
    enrichers: [testAgentStamp],
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
  const documents: ShippableDocument[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const r of records) {
    const rec: SourceRecord = {
      source: ctx.source,
      offset: r.offset,
      endOffset: r.endOffset,
      text: r.text,
      ...(r.line !== undefined ? { line: r.line } : {}),
      ...(r.payload !== undefined ? { payload: r.payload } : {}),
      ...(r.recordId !== undefined ? { recordId: r.recordId } : {}),
    };
    const res = proc.process(rec);
    documents.push(...res.documents);
    if (res.deadLetter) deadLetters.push(res.deadLetter);
  }
  return { documents, deadLetters };
}

export function runFile(format: FormatDefinition, file: string, timezone: string): RunResult {
  const bytes = readFileSync(path.join(GOLDEN_DIR, file));
  const records = frame(bytes, format);
  const framingErrors = records.filter((r) => r.error);
  if (framingErrors.length > 0)
    throw new Error(`framing errors in ${file}: ${JSON.stringify(framingErrors)}`);
  return processRecords(format, contextFor(file, timezone), records);
}

/** The value at a dotted path of a nested document. */
export function at(doc: unknown, dotted: string): unknown {
  let cur: unknown = doc;
  for (const key of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Input file, its form, and the zone the exporter's local times are read in. */
export const GOLDEN_CASES: readonly { file: string; format: string; timezone: string }[] = [
  { file: 'exchange-4999.wevtutil.xml', format: 'wevtutil-xml', timezone: 'UTC' },
  { file: 'exchange-4999.eventviewer.xml', format: 'eventviewer-xml', timezone: 'UTC' },
  { file: 'exchange-4999.eventviewer.csv', format: 'eventviewer-csv', timezone: 'America/New_York' },
  { file: 'security-audit.eventviewer.csv', format: 'eventviewer-csv', timezone: 'America/New_York' },
  { file: 'exchange-4999.eventviewer.txt', format: 'eventviewer-txt', timezone: 'America/New_York' },
  { file: 'exchange-4999.powershell51.csv', format: 'powershell-csv', timezone: 'America/New_York' },
  { file: 'exchange-4999.powershell7-de.csv', format: 'powershell-csv', timezone: 'Europe/Berlin' },
  { file: 'exchange-4999.powershell51.json', format: 'powershell-json', timezone: 'UTC' },
  { file: 'exchange-4999.geteventlog51.csv', format: 'powershell-csv', timezone: 'America/New_York' },
  { file: 'exchange-4999.geteventlog51.json', format: 'powershell-json', timezone: 'UTC' },
  { file: 'exchange-4999.powershell7.ndjson', format: 'powershell-json', timezone: 'UTC' },
  {
    file: 'exchange-4999.eventviewer-details.txt',
    format: 'eventviewer-details',
    timezone: 'America/New_York',
  },
  {
    file: 'event4999-sample3.eventviewer-details.txt',
    format: 'eventviewer-details',
    timezone: 'America/New_York',
  },
  { file: 'ts-evtx-application.eventviewer.xml', format: 'eventviewer-xml', timezone: 'UTC' },
  { file: 'ts-evtx-system.eventviewer.xml', format: 'eventviewer-xml', timezone: 'UTC' },
  { file: 'ts-evtx-security.eventviewer.xml', format: 'eventviewer-xml', timezone: 'UTC' },
];
