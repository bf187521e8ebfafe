// Holds back acknowledgements until the detection state that counted their documents is saved (issue 14).
//
// A checkpoint moves when a record's documents are settled; the detection state is saved on its own cadence
// (every 2 s, incrementally). Without this gate a SIGKILL between a checkpoint commit and the next state save lost
// the detection of those records: not re-read after the restart (the checkpoint is past them) and not in the
// restored state either, so an alert's count came out short. With it, a settle callback is released only once a
// state save that began after the document was evaluated has finished: records past the checkpoint are in the
// saved state, and records not in the saved state are re-read (and those evaluated before the save but re-read
// anyway are skipped by the engine's recent ids).

import type { ShippableDocument } from './document.types.js';
import type { DocumentSink } from './stages.types.js';
import { settle, type OnSettled, type Settleable } from './settle.js';

/** A document's settle, held by the gate until the next state save is durable (an object: no closure per document). */
class Held implements Settleable {
  constructor(
    private readonly gate: SettleGate,
    private readonly cb: OnSettled,
  ) {}

  settle(): void {
    this.gate.hold(this.cb);
  }
}

export class SettleGate implements DocumentSink {
  private held: OnSettled[] = [];

  constructor(private readonly inner: DocumentSink) {}

  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    return this.inner.push(doc, new Held(this, onSettled));
  }

  /** A document settled by the inner sink: held until a state save that starts from now on is durable. */
  hold(cb: OnSettled): void {
    // The list at settle time (not at push time): a save that started since then does not take it.
    this.held.push(cb);
  }

  /** Call when a state save starts: returns the release of everything settled so far, to call when it is durable. */
  take(): () => void {
    const batch = this.held;
    this.held = [];
    return () => {
      for (const cb of batch) settle(cb);
    };
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
