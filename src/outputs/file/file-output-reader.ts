// Reads back what the file output wrote (`<path>/activesync.ndjson`, `application.ndjson`, `alerts.ndjson` and
// their rotated `<stream>-<time>.ndjson` predecessors), line by line, for `casguard report`. Each line is an
// Elasticsearch-hit-shaped `{_id, _index, _source}`. A line that does not parse is reported with its file and
// line number and skipped; reading goes on.

import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { EcsDocument } from '../../pipeline/document.types.js';
import { CasguardError } from '../../pipeline/errors.js';

export const FILE_STREAMS = ['activesync', 'application', 'alerts'] as const;
export type FileStream = (typeof FILE_STREAMS)[number];

export interface ReadDocument {
  readonly stream: FileStream;
  readonly id: string;
  readonly doc: EcsDocument;
}

/** The files of one stream, oldest first (rotated files carry their rotation time, the live file comes last). */
export function streamFiles(dir: string, stream: FileStream): string[] {
  const names = readdirSync(dir).filter(
    (n) => n === `${stream}.ndjson` || (n.startsWith(`${stream}-`) && n.endsWith('.ndjson')),
  );
  const rotated = names.filter((n) => n !== `${stream}.ndjson`).sort();
  return [...rotated, ...(names.includes(`${stream}.ndjson`) ? [`${stream}.ndjson`] : [])].map((n) =>
    path.join(dir, n),
  );
}

/** Every document under `dir`, stream by stream; `onProblem` hears about each unreadable line. */
export async function* readFileOutput(
  dir: string,
  onProblem: (problem: string) => void,
): AsyncGenerator<ReadDocument> {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CasguardError(
      'CONFIG_INVALID',
      `${dir}: no such folder (the file output's path, e.g. ./data/out)`,
    );
  let files = 0;
  for (const stream of FILE_STREAMS) {
    for (const file of streamFiles(dir, stream)) {
      files++;
      const lines = createInterface({
        input: createReadStream(file, { encoding: 'utf8' }),
        crlfDelay: Infinity,
      });
      let n = 0;
      for await (const line of lines) {
        n++;
        if (line.trim() === '') continue;
        let hit: { _id?: unknown; _source?: unknown };
        try {
          hit = JSON.parse(line) as typeof hit;
        } catch (e) {
          onProblem(`${file}:${n}: not JSON (${(e as Error).message})`);
          continue;
        }
        const source = hit._source as EcsDocument | undefined;
        if (
          typeof hit._id !== 'string' ||
          source === undefined ||
          typeof source !== 'object' ||
          typeof source['@timestamp'] !== 'string'
        ) {
          onProblem(`${file}:${n}: not a casguard document ({_id, _index, _source} with @timestamp)`);
          continue;
        }
        yield { stream, id: hit._id, doc: source };
      }
    }
  }
  if (files === 0)
    throw new CasguardError(
      'CONFIG_INVALID',
      `${dir}: no activesync, application or alerts .ndjson files (the file output writes them)`,
    );
}
