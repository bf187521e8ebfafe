// A document that arrives already serialised: the processing worker (src/cli/processing-worker.ts) maps records
// to ECS and writes each document's JSON as UTF-8 off the main thread, so the outputs copy bytes instead of
// walking objects. The bytes are final: `data_stream.namespace` is already the configured one (withNamespace).
// `doc` is parsed back only when an output needs the object (the stdout alert printer, a dead letter).

import type { DocumentStream, EcsDocument, ShippableDocument } from './document.types.js';

const decoder = new TextDecoder();

export class EncodedDocument implements ShippableDocument {
  readonly op = 'create' as const;
  private parsed: EcsDocument | undefined;

  /** The document's JSON as UTF-8 is `bytes[start, end)` (many documents share one buffer; no view each). */
  constructor(
    readonly id: string,
    readonly stream: DocumentStream,
    readonly bytes: Uint8Array,
    readonly start: number,
    readonly end: number,
  ) {}

  get doc(): EcsDocument {
    return (this.parsed ??= JSON.parse(this.json) as EcsDocument);
  }

  /**
   * The JSON text (decoded on each call). Outputs read a document while it is pushed; the processing worker
   * reuses the buffer afterwards, and a late read fails loudly instead of reading someone else's bytes.
   */
  get json(): string {
    if (this.bytes.byteLength < this.end)
      throw new Error(`document ${this.id} was read after its batch buffer was handed back`);
    return decoder.decode(this.bytes.subarray(this.start, this.end));
  }
}
