// Where each logical stream goes. Events go to data streams named as Elasticsearch expects
// (`<type>-<dataset>-<namespace>`, detection.md 5.1). Alerts cannot: later versions of an alert replace the
// earlier ones under the same deterministic id (`op: 'index'`), and data streams are append-only (they accept
// only `create`). So alerts go to a regular index, `casguard-alerts-<namespace>`, created by `casguard setup`
// from our own index template (auto-created from it otherwise). Alert volume is tiny (one document per storm
// window), so one index without rollover is enough; retention is left to the operator.

import type { DocumentStream } from '../../pipeline/document.types.js';

/** Names per namespace: the outputs ask once per document, and a name built anew each time was hashed anew. */
const NAMES = new Map<string, Readonly<Record<DocumentStream, string>>>();

export function targetName(stream: DocumentStream, namespace: string): string {
  let names = NAMES.get(namespace);
  if (names === undefined) {
    names = {
      activesync: `logs-exchange.activesync-${namespace}`,
      application: `logs-exchange.application-${namespace}`,
      alerts: `casguard-alerts-${namespace}`,
    };
    // A few namespaces per agent (its configuration); tests make many, each a few names.
    if (NAMES.size < 1000) NAMES.set(namespace, names);
  }
  return names[stream];
}
