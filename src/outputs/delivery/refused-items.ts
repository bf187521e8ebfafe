// Documents Elasticsearch keeps refusing item by item for a reason only an operator can fix (401/403 on one
// target, 404 for an index it may not create): they are retried for ever, so while any of them waits the output
// is not healthy although its requests succeed. This tracks those entries and drives the `documents:<name>`
// /health condition: raised when the first is refused, cleared once the last is settled.

import type { Logger } from '../../telemetry/logger.types.js';
import { esDocumentsRefusedCondition } from '../../telemetry/elasticsearch-events.js';
import type { Entry } from './batch.js';

export class RefusedItems {
  private readonly waiting = new Set<Entry>();
  private state: 'unauthorised' | 'refused' | undefined;

  constructor(
    private readonly output: string,
    private readonly log: Logger,
  ) {}

  /** `entries` were refused again with `f` (the last refusal's answer). */
  refused(entries: readonly Entry[], f: { target: string; status: number; reason: string }): void {
    for (const e of entries) this.waiting.add(e);
    const state = f.status === 404 ? 'refused' : 'unauthorised';
    if (state === this.state) return;
    this.state = state;
    esDocumentsRefusedCondition(this.log, { output: this.output, state, ...f });
  }

  /** An entry was delivered, dead-lettered or spooled: no longer waiting for the operator. */
  settled(entry: Entry): void {
    if (!this.waiting.delete(entry) || this.waiting.size > 0 || this.state === undefined) return;
    this.state = undefined;
    esDocumentsRefusedCondition(this.log, { output: this.output, state: undefined });
  }
}
