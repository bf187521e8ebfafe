// Which golden folder uses which format, framing and file context. Shared by the golden, ECS-type and fuzz
// tests.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultEnrichers } from '../../../src/enrich/index.js';
import { httpProxyFormat } from '../../../src/normalize/formats/httpproxy.format.js';
import { iisFormat } from '../../../src/normalize/formats/iis.format.js';
import { mailboxLogFormat } from '../../../src/normalize/formats/mailbox-log.format.js';
import { FileProcessor } from '../../../src/pipeline/processor.js';
import type { RecordSource, SourceRecord } from '../../../src/pipeline/record.types.js';
import type { FileContext, FormatDefinition } from '../../../src/pipeline/stages.types.js';
import { testAgentStamp } from '../../helpers/agent-metadata.js';
import { frameCsvRows, frameLines, frameMailboxLog } from './eas-test-framing.js';

export const GOLDEN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../golden/eas');

export interface GoldenSet {
  readonly dir: string;
  readonly format: FormatDefinition<never>;
  readonly frame: (buf: Buffer, source: RecordSource) => SourceRecord[];
  readonly context: (source: RecordSource) => FileContext;
}

const ctx =
  (timezone: string, easLogTokens = false, preserveOriginalEvent = false) =>
  (source: RecordSource): FileContext => ({
    source,
    timezone,
    observerHostname: 'agent01',
    ...(easLogTokens ? { easLogTokens } : {}),
    ...(preserveOriginalEvent ? { preserveOriginalEvent } : {}),
  });

export const GOLDEN_SETS: readonly GoldenSet[] = [
  { dir: 'iis', format: iisFormat as FormatDefinition<never>, frame: frameLines, context: ctx('UTC') },
  // The input options easLogTokens (the full `&Log=` token map as well) and preserveOriginalEvent.
  {
    dir: 'iis-log-tokens',
    format: iisFormat as FormatDefinition<never>,
    frame: frameLines,
    context: ctx('UTC', true, true),
  },
  {
    dir: 'httpproxy',
    format: httpProxyFormat as FormatDefinition<never>,
    frame: frameCsvRows,
    context: ctx('UTC'),
  },
  {
    dir: 'mailbox-log',
    format: mailboxLogFormat as FormatDefinition<never>,
    frame: frameMailboxLog,
    // Mailbox-log times are server-local: the golden files assume a server in Berlin (CEST in September).
    context: ctx('Europe/Berlin'),
  },
];

export function goldenInputs(set: GoldenSet): string[] {
  return readdirSync(path.join(GOLDEN_DIR, set.dir))
    .filter((f) => !f.endsWith('.expected.json') && f !== 'SOURCES.md')
    .sort();
}

export interface GoldenResult {
  readonly records: number;
  readonly documents: unknown[];
  readonly deadLetters: unknown[];
}

export function runGolden(set: GoldenSet, file: string): GoldenResult {
  const full = path.join(GOLDEN_DIR, set.dir, file);
  const source: RecordSource = {
    inputId: 'golden',
    path: `test/golden/eas/${set.dir}/${file}`,
    fingerprint: 'golden',
  };
  const records: SourceRecord[] = set.frame(readFileSync(full), source);
  const proc = new FileProcessor(set.format as FormatDefinition, set.context(source), {
    enrichers: [...defaultEnrichers, testAgentStamp],
    now: () => new Date('2026-01-01T00:00:00.000Z'),
  });
  const documents: unknown[] = [];
  const deadLetters: unknown[] = [];
  for (const r of records) {
    const res = proc.process(r);
    for (const d of res.documents) documents.push(d);
    if (res.deadLetter) {
      const { code, reason, offset, line } = res.deadLetter;
      deadLetters.push({ code, reason, offset, line });
    }
  }
  return { records: records.length, documents, deadLetters };
}
