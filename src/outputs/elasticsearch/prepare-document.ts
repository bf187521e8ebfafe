// `event.ingested` for the Elasticsearch output.
//
// `event.ingested` is, in ECS, when the event arrived in the central data store; Kibana rules that look back
// over it (rather than `@timestamp`) catch late and backfilled events. Elastic's integrations set it in an
// ingest pipeline (`{{_ingest.timestamp}}`); casguard installs no ingest pipeline, so it sets the time the
// document is handed to the Elasticsearch output, normally within a batch interval of its arrival. A document
// that waits in the disk spool during an outage keeps the time it was queued (the spool stores serialized
// documents). It is set here, not in the pure pipeline, so the golden files stay deterministic and the local
// NDJSON output (which is not a data store) does not carry it.
//
// How: the delivery sink serializes a document synchronously inside `push`, so the field is set on the shared
// document for the duration of that call and removed again, instead of copying every document (a copy of the
// top-level object cost more than half as much as serializing it, measured on a golden IIS document).

import type { EcsDocument } from '../../pipeline/document.types.js';

/** Runs `fn` with `doc.event.ingested = ingested`, then leaves `doc` as it was (other outputs share it). */
export function withIngested<T>(doc: EcsDocument, ingested: string, fn: () => T): T {
  const event = doc['event'];
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    const before = event;
    doc['event'] = { ingested };
    try {
      return fn();
    } finally {
      if (before === undefined) delete doc['event'];
      else doc['event'] = before;
    }
  }
  const had = Object.prototype.hasOwnProperty.call(event, 'ingested');
  const previous = event['ingested'];
  event['ingested'] = ingested;
  try {
    return fn();
  } finally {
    // Deleting the property added last lets V8 return to the object's previous shape.
    if (had) event['ingested'] = previous!;
    else delete event['ingested'];
  }
}

/** ISO 8601 of `now()`, formatted once per millisecond (a batch of thousands shares a few values). */
export function isoClock(now: () => number = Date.now): () => string {
  let lastMs = Number.NaN;
  let lastIso = '';
  return () => {
    const ms = now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return lastIso;
  };
}
