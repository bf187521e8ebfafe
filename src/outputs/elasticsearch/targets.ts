// Where each logical stream goes. Events go to data streams named as Elasticsearch expects
// (`<type>-<dataset>-<namespace>`, detection.md 5.1). Alerts cannot: later versions of an alert replace the
// earlier ones under the same deterministic id (`op: 'index'`), and data streams are append-only (they accept
// only `create`). So alerts go to a regular index, `casguard-alerts-<namespace>`, created by `casguard setup`
// from our own index template (auto-created from it otherwise). Alert volume is tiny (one document per storm
// window), so one index without rollover is enough; retention is left to the operator.

import type { DocumentStream } from '../../pipeline/document.types.js';

export function targetName(stream: DocumentStream, namespace: string): string {
  switch (stream) {
    case 'activesync':
      return `logs-exchange.activesync-${namespace}`;
    case 'application':
      return `logs-exchange.application-${namespace}`;
    case 'alerts':
      return `casguard-alerts-${namespace}`;
  }
}
