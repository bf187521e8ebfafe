// Named events of the conditions the agent watches for /health beyond the ones its components raise
// themselves (disk outages, output failures): the disk spool filling up and dead letters being written. Each
// is a log line when it starts and when it ends, a counter, and a /health condition with
// casguard_health_condition{condition} while it lasts.

import { setHealthCondition } from './health.js';
import type { Logger } from './logger.types.js';
import { counter } from './metrics.js';

function bump(event: string): void {
  counter('casguard_health_events_total', 'Health conditions starting and ending, by event name.', [
    'event',
  ]).inc({ event });
}

export function spoolAboveThreshold(
  log: Logger,
  f: { output: string; bytes: number; maxBytes: number; thresholdPercent: number },
): void {
  bump('spool_above_threshold');
  setHealthCondition(`spool:${f.output}`, { ...f, since: new Date().toISOString() });
  log.warn(
    'The disk spool is filling up: Elasticsearch takes documents more slowly than they come (or not at all); when it is full the inputs wait (spool.whenFull)',
    { event: 'spool_above_threshold', ...f },
  );
}

export function spoolBelowThreshold(log: Logger, f: { output: string; bytes: number }): void {
  bump('spool_below_threshold');
  setHealthCondition(`spool:${f.output}`, undefined);
  log.info('The disk spool is below its threshold again', { event: 'spool_below_threshold', ...f });
}

export function deadLettersGrowing(
  log: Logger,
  f: { written: number; windowMs: number; file: string },
): void {
  bump('dead_letters_growing');
  setHealthCondition('dead-letters', { ...f, since: new Date().toISOString() });
  log.warn('Records or documents are being dead-lettered; see the dead-letter file for each reason', {
    event: 'dead_letters_growing',
    ...f,
  });
}

export function deadLettersSteady(log: Logger, f: { windowMs: number }): void {
  bump('dead_letters_steady');
  setHealthCondition('dead-letters', undefined);
  log.info('No dead letter written for a while', { event: 'dead_letters_steady', ...f });
}
