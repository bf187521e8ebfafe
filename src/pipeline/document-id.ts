// Deterministic document ids: the same record of the same file (by content identity, not path) always yields
// the same id, so re-sending after a crash is answered with a 409 on `create` instead of a duplicate.

import { createHash } from 'node:crypto';

/** Id from input id, file fingerprint and the record's position (byte offset or EVTX record id). */
export function documentId(
  inputId: string,
  fingerprint: string,
  position: number | string,
  index = 0,
): string {
  const h = createHash('sha256');
  h.update(inputId);
  h.update('\0');
  h.update(fingerprint);
  h.update('\0');
  h.update(String(position));
  if (index > 0) h.update(`\0${index}`);
  // 20 bytes of base64url: 27 characters, well under Elasticsearch's 512-byte id limit.
  return h.digest('base64url').slice(0, 27);
}
