// Counts what goes through the agent's output for the operator's summaries (replay's end line, run's periodic
// statistics): documents pushed per stream, distinct alerts raised versus alert updates. It only counts; every
// push, drain and settle is the wrapped sink's, with the caller's own settle callback: a wrapper per document
// (it counted settled documents, which nothing read) lived until the document's batch was answered, and such
// per-document objects are what the young-generation GC copies (issue 16).

import type { ShippableDocument } from '../pipeline/document.types.js';
import type { DocumentSink } from '../pipeline/stages.types.js';
import type { OnSettled } from '../pipeline/settle.js';

export interface Tally {
  /** Event documents (not alerts) pushed. */
  readonly documents: number;
  /** Distinct alerts (by document id) pushed. */
  readonly alerts: number;
  /** Pushes of an alert already pushed once (updated counts, a closed period). */
  readonly alertUpdates: number;
}

export class TallySink implements DocumentSink {
  private documents = 0;
  private alertUpdates = 0;
  private readonly alertIds = new Set<string>();

  constructor(private readonly inner: DocumentSink) {}

  get tally(): Tally {
    return {
      documents: this.documents,
      alerts: this.alertIds.size,
      alertUpdates: this.alertUpdates,
    };
  }

  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    if (doc.stream === 'alerts') {
      if (this.alertIds.has(doc.id)) this.alertUpdates += 1;
      else this.alertIds.add(doc.id);
    } else this.documents += 1;
    return this.inner.push(doc, onSettled);
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
