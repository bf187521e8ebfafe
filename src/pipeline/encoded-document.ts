// A document that arrives already serialised: the processing worker (src/cli/processing-worker.ts) maps records
// to ECS and writes each document's JSON as UTF-8 off the main thread, so the outputs copy bytes instead of
// walking objects. The bytes are final: `data_stream.namespace` is already the configured one (withNamespace).
// `doc` is parsed back only when an output needs the object (the stdout alert printer, a dead letter).

import type { DocumentStream, EcsDocument, ShippableDocument } from './document.types.js';

const decoder = new TextDecoder();

export class EncodedDocument implements ShippableDocument {
  readonly op = 'create' as const;
  private parsed: EcsDocument | undefined;

  constructor(
    readonly id: string,
    readonly stream: DocumentStream,
    /** The document's JSON as UTF-8, no trailing newline. */
    readonly encoded: Uint8Array,
  ) {}

  get doc(): EcsDocument {
    return (this.parsed ??= JSON.parse(decoder.decode(this.encoded)) as EcsDocument);
  }

  /** The JSON text (decoded on each call). */
  get json(): string {
    return decoder.decode(this.encoded);
  }
}

/** The pre-serialised form of a document, when it has one. */
export function encodedOf(d: ShippableDocument): Uint8Array | undefined {
  return d instanceof EncodedDocument ? d.encoded : undefined;
}
