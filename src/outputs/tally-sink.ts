// Counts what goes through the agent's output for the operator's summaries (replay's end line, run's periodic
// statistics): documents pushed per stream, distinct alerts raised versus alert updates, documents settled.
// It only counts; every push, drain and settle is the wrapped sink's.

import type { ShippableDocument } from '../pipeline/document.types.js';
import type { DocumentSink } from '../pipeline/stages.types.js';

export interface Tally {
  /** Event documents (not alerts) pushed. */
  readonly documents: number;
  /** Distinct alerts (by document id) pushed. */
  readonly alerts: number;
  /** Pushes of an alert already pushed once (updated counts, a closed period). */
  readonly alertUpdates: number;
  /** Documents (events and alerts) the outputs settled: stored, spooled or dead-lettered. */
  readonly settled: number;
}

export class TallySink implements DocumentSink {
  private documents = 0;
  private alertUpdates = 0;
  private settled = 0;
  private readonly alertIds = new Set<string>();

  constructor(private readonly inner: DocumentSink) {}

  get tally(): Tally {
    return {
      documents: this.documents,
      alerts: this.alertIds.size,
      alertUpdates: this.alertUpdates,
      settled: this.settled,
    };
  }

  push(doc: ShippableDocument, onSettled: () => void): boolean {
    if (doc.stream === 'alerts') {
      if (this.alertIds.has(doc.id)) this.alertUpdates += 1;
      else this.alertIds.add(doc.id);
    } else this.documents += 1;
    return this.inner.push(doc, () => {
      this.settled += 1;
      onSettled();
    });
  }

  drain(): Promise<void> {
    return this.inner.drain();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
