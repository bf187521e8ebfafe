// Which golden folder uses which format, framing and file context. Shared by the golden, ECS-type and fuzz
// tests.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { iisFormat } from '../../../src/normalize/formats/iis.format.js';
import type { RecordSource, SourceRecord } from '../../../src/pipeline/record.types.js';
import type { FileContext, FormatDefinition } from '../../../src/pipeline/stages.types.js';
import { frameLines } from './eas-test-framing.js';

export const GOLDEN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../golden/eas');

export interface GoldenSet {
  readonly dir: string;
  readonly format: FormatDefinition<never>;
  readonly frame: (buf: Buffer, source: RecordSource) => SourceRecord[];
  readonly context: (source: RecordSource) => FileContext;
}

const ctx =
  (timezone: string) =>
  (source: RecordSource): FileContext => ({ source, timezone, observerHostname: 'agent01' });

export const GOLDEN_SETS: readonly GoldenSet[] = [
  { dir: 'iis', format: iisFormat as FormatDefinition<never>, frame: frameLines, context: ctx('UTC') },
];
