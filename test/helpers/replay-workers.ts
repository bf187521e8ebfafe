// Real replay worker threads for tests that drive WorkerTurnSource directly (no CLI): one worker with the
// settings of a UTC site, and the job of an IIS log read from its start.
import { WorkerTurnSource } from '../../src/cli/parallel-replay/worker-turn-source.js';
import type { WorkerInit } from '../../src/cli/parallel-replay/worker-protocol.js';
import type { Rule } from '../../src/detect/rule.schema.js';
import type { ReplayFileJob } from '../../src/inputs/processed-turns.js';

/** One worker thread making the given document shapes, detection's conditions from `rules`. */
export function oneWorkerSource(shapes: WorkerInit['shapes'], rules: readonly Rule[] = []): WorkerTurnSource {
  return new WorkerTurnSource({
    workers: 1,
    init: {
      timezone: 'UTC',
      observerHostname: 'cas01',
      agent: { ecsVersion: '9.4.0', id: 'a', name: 'cas01', version: '0.0.0' },
      namespace: 'default',
      maxRecordBytes: 1 << 20,
      shapes,
    },
    rules,
  });
}

/** An IIS log of input `backfill`, read from its first byte. */
export function iisJob(file: string, fingerprint: string): ReplayFileJob {
  return {
    path: file,
    source: { inputId: 'backfill', path: file, fingerprint },
    kind: 'lines',
    encoding: 'utf8',
    format: 'iis',
    startOffset: 0,
  };
}
