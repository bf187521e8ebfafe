// Deterministic document ids: the same record of the same file (by content identity, not path) always yields
// the same id, so re-sending after a crash is answered with a 409 on `create` instead of a duplicate.
//
// The id is base64url(sha256(inputId NUL fingerprint NUL position [NUL index]))[0..27]. It is computed with the
// one-shot `crypto.hash` over the concatenated text (Node >= 20.12): the same bytes as the incremental
// `createHash().update()` calls of earlier versions, so ids are unchanged across the upgrade (document-id.test.ts
// pins them), at about a third of the CPU (no Hash object per document).

import { hash } from 'node:crypto';

/** Id from input id, file fingerprint and the record's position (byte offset or EVTX record id). */
export function documentId(
  inputId: string,
  fingerprint: string,
  position: number | string,
  index = 0,
): string {
  const text =
    index > 0
      ? `${inputId}\0${fingerprint}\0${String(position)}\0${index}`
      : `${inputId}\0${fingerprint}\0${String(position)}`;
  // 20 bytes of base64url: 27 characters, well under Elasticsearch's 512-byte id limit.
  return hash('sha256', text, 'base64url').slice(0, 27);
}
