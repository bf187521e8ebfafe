// Stamps `ecs.version` and `agent.{type,version,id,name}` on every document casguard emits: events (as the
// last enricher) and alerts (through `withAlertStamp`, because alert documents are built by the detector after
// enrichment, and some only when windows close). The values are injected (src/cli/agent.ts builds them), so
// this stays a pure function of its input.

import type { AgentMetadata } from '../pipeline/agent-metadata.types.js';
import { AGENT_TYPE } from '../pipeline/agent-metadata.types.js';
import type { ShippableDocument } from '../pipeline/document.types.js';
import type { Detector, Enricher } from '../pipeline/stages.types.js';

/** An enricher that sets `ecs.version` and `agent.*` (replacing whatever a source put there). */
export function agentMetadataEnricher(meta: AgentMetadata): Enricher {
  return (doc) => {
    // Fresh objects per document: a later stage may adjust one document without touching the others.
    doc['ecs'] = { version: meta.ecsVersion };
    doc['agent'] = { type: AGENT_TYPE, version: meta.version, id: meta.id, name: meta.name };
  };
}

/** The same detector, with `stamp` applied to every alert document it returns. */
export function withAlertStamp(detector: Detector, stamp: Enricher): Detector {
  const stampAll = (docs: ShippableDocument[]): ShippableDocument[] => {
    for (const d of docs) stamp(d.doc);
    return docs;
  };
  return {
    evaluate: (doc, id, unmatched) => stampAll(detector.evaluate(doc, id, unmatched)),
    flush: () => stampAll(detector.flush()),
    snapshot: () => detector.snapshot(),
    restore: (state) => detector.restore(state),
  };
}
