// Sends every document to several sinks (e.g. Elasticsearch and the local file). A document is settled only
// when every sink has settled it, so the slowest output governs the checkpoint.

import type { ShippableDocument } from '../pipeline/document.types.js';
import type { DocumentSink } from '../pipeline/stages.types.js';
import { settle, type OnSettled, type Settleable } from '../pipeline/settle.js';

/** Settles a document once every sink has settled it (each sink settles its push once). */
class AllSinks implements Settleable {
  constructor(
    private remaining: number,
    private readonly onSettled: OnSettled,
  ) {}

  settle(): void {
    this.remaining -= 1;
    if (this.remaining === 0) settle(this.onSettled);
  }
}

export class FanoutSink implements DocumentSink {
  constructor(private readonly sinks: readonly DocumentSink[]) {
    if (sinks.length === 0) throw new Error('FanoutSink needs at least one sink');
  }

  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    if (this.sinks.length === 1) return this.sinks[0]!.push(doc, onSettled);
    const one = new AllSinks(this.sinks.length, onSettled);
    let ok = true;
    for (const s of this.sinks) ok = s.push(doc, one) && ok;
    return ok;
  }

  async drain(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.drain()));
  }

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flush()));
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}
