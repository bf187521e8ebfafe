// Normalizers write `data_stream.namespace: default` (field conventions); the configured namespace decides
// the data stream a document goes to, and the document must name the same one. Shared by the outputs.

import type { DocumentStream, EcsDocument } from './document.types.js';

/** The document with `data_stream.namespace` set to `namespace` (events only; alerts carry their own). */
export function withNamespace(doc: EcsDocument, stream: DocumentStream, namespace: string): EcsDocument {
  const ds = doc.data_stream;
  if (stream === 'alerts' || ds === null || typeof ds !== 'object' || Array.isArray(ds)) return doc;
  if (ds.namespace === namespace) return doc;
  return { ...doc, data_stream: { ...ds, namespace } };
}
