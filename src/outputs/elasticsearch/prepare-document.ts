// The last touch on a document before it is serialized into a bulk request: the configured namespace and
// `event.ingested`.
//
// `event.ingested` is, in ECS, when the event arrived in the central data store; Kibana rules that look back
// over it (rather than `@timestamp`) catch late and backfilled events. Elastic's integrations set it in an
// ingest pipeline (`{{_ingest.timestamp}}`); casguard installs no ingest pipeline, so it sets the time the
// document is handed to the Elasticsearch output, normally within a batch interval of its arrival. A document
// that waits in the disk spool during an outage keeps the time it was queued (the spool stores serialized
// documents). It is set here, not in the pure pipeline, so the golden files stay deterministic and the local
// NDJSON output (which is not a data store) does not carry it.

import type { DocumentStream, EcsDocument } from '../../pipeline/document.types.js';
import { withNamespace } from '../../pipeline/namespace.js';

/** A copy of `doc` with `event.ingested` and the namespace set; `doc` itself is not changed (other outputs share it). */
export function prepareForElasticsearch(
  doc: EcsDocument,
  stream: DocumentStream,
  namespace: string,
  ingested: string,
): EcsDocument {
  const d = namespace === 'default' ? doc : withNamespace(doc, stream, namespace);
  const event = d['event'];
  const base = event !== null && typeof event === 'object' && !Array.isArray(event) ? event : {};
  return { ...d, event: { ...base, ingested } };
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
