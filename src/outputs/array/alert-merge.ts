// One agent's share merged into the array-wide alert in Elasticsearch, safely under concurrency and without
// scripts (ARCHITECTURE.md "Beyond one host"):
//   1. GET the shares document with its _seq_no/_primary_term (real time, unlike _search);
//   2. replace this agent's share (alert-share.ts) and write it back with if_seq_no/if_primary_term, or
//      op_type=create when absent; a 409 means another agent wrote in between: re-read and retry;
//   3. when the shares say the alert is raised array-wide, derive the merged alert document and write it the same
//      way, unless the alert already holds a derivation of the same or a later shares version (merge_seq): an
//      agent holding an older view can never overwrite a newer one.
// Re-sending the same share is a no-op at step 2 (nothing changed) and at step 3 (same merge_seq), which is what
// makes restarts, replays and re-sends after an outage harmless.

import type { EcsDocument } from '../../pipeline/document.types.js';
import { CasguardError } from '../../pipeline/errors.js';
import {
  mergedAlertDocument,
  mergeSeqOf,
  withShare,
  type SharesDoc,
  type ShareUpdate,
} from './alert-share.js';
import type { DocStore } from './doc-store.js';

/** Attempts per document before giving up for this round (the caller retries later). */
const MAX_ATTEMPTS = 50;

export interface MergeTarget {
  readonly sharesIndex: string;
  readonly alertsIndex: string;
  readonly array: string;
  /** Re-fills the rule's message from the merged document. */
  readonly render: (doc: EcsDocument) => string | undefined;
  readonly now: () => number;
}

export interface MergeOutcome {
  /** The merged alert was written (or was already at least this recent). */
  readonly raised: boolean;
  /** Conflicts met on the way (409s), for the metrics and the tests. */
  readonly conflicts: number;
}

export async function mergeShare(
  store: DocStore,
  t: MergeTarget,
  update: ShareUpdate,
): Promise<MergeOutcome> {
  let conflicts = 0;
  let shares: SharesDoc | undefined;
  let seq = -1;
  for (let attempt = 0; ; attempt++) {
    if (attempt >= MAX_ATTEMPTS) throw contention(update.mergedId);
    const got = await store.get(t.sharesIndex, update.mergedId);
    const prev = got?.source as SharesDoc | undefined;
    const next = withShare(prev, update, t.array, new Date(t.now()).toISOString());
    if (next === undefined) {
      shares = prev;
      seq = got!.seqNo;
      break;
    }
    const w = await store.put(t.sharesIndex, update.mergedId, next, got ?? 'absent');
    if (w.ok) {
      shares = next;
      seq = w.seqNo;
      break;
    }
    conflicts++;
  }
  if (!shares?.raised) return { raised: false, conflicts };
  for (let attempt = 0; ; attempt++) {
    if (attempt >= MAX_ATTEMPTS) throw contention(update.mergedId);
    const got = await store.get(t.alertsIndex, update.mergedId);
    if (got && mergeSeqOf(got.source) >= seq) return { raised: true, conflicts };
    const doc = mergedAlertDocument(shares, seq, t.render, new Date(t.now()).toISOString());
    const w = await store.put(t.alertsIndex, update.mergedId, doc, got ?? 'absent');
    if (w.ok) return { raised: true, conflicts };
    conflicts++;
  }
}

function contention(id: string): CasguardError {
  return new CasguardError('OUTPUT_UNAVAILABLE', `alert ${id}: ${MAX_ATTEMPTS} version conflicts in a row`, {
    recoverable: true,
  });
}
