// Rule evaluation per kind, for one document and one rule:
// - match: one document. With suppression, the first match of a key in a period raises the alert; later matches
//   update it. Without suppression every match is its own alert (id from the evidence document id).
// - threshold: per key, event counts in buckets of window/60 (at least 1 s); the alert is raised when the count
//   in [t - window, t] reaches `count`. Window edges are therefore rounded to one bucket. In array mode a key
//   whose window count reaches the share fraction of `count` first opens a pending alert (a contribution to an
//   array-wide count, see alert-lifecycle.ts), raised later if this agent alone reaches `count`.
// - sequence: per key, the times of step-1 documents (the latest 64) and bucketed counts of step-2 documents;
//   raised when some step-1 document has `count` step-2 documents in (tA, tA + window] (ordered; step-2 documents
//   in A's own bucket are not counted) or [tA - window, tA + window] (unordered).

import type { EcsDocument, ShippableDocument } from '../pipeline/document.types.js';
import type { AlertLifecycle } from './alert-lifecycle.js';
import type { KeyStore } from './key-store.js';
import { addATime, addBucket, countIn, freshState, type KeyState } from './key-state.js';
import type { RuleRuntime } from './rule-runtime.js';

export class RuleEvaluator {
  constructor(
    private readonly keys: KeyStore,
    private readonly lifecycle: AlertLifecycle,
  ) {}

  evaluate(rt: RuleRuntime, doc: EcsDocument, id: string, t: number, out: ShippableDocument[]): void {
    if (rt.kind === 'match') this.evalMatch(rt, doc, id, t, out);
    else if (rt.kind === 'threshold') this.evalThreshold(rt, doc, id, t, out);
    else this.evalSequence(rt, doc, id, t, out);
  }

  private evalMatch(
    rt: RuleRuntime,
    doc: EcsDocument,
    id: string,
    t: number,
    out: ShippableDocument[],
  ): void {
    if (!rt.preds[0]!(doc)) return;
    const life = this.lifecycle;
    if (!rt.suppressed) {
      const st = freshState('');
      life.count(rt, st, doc, id, t, out);
      life.raiseSingle(rt, st, id, t, out);
      return;
    }
    const key = rt.key.of(doc) ?? '';
    const st = this.keys.state(rt, key, out);
    if (!life.count(rt, st, doc, id, t, out)) return;
    if (st.alert) life.updated(rt, st, t, out);
    else life.raise(rt, st, key, t, out);
  }

  private evalThreshold(
    rt: RuleRuntime,
    doc: EcsDocument,
    id: string,
    t: number,
    out: ShippableDocument[],
  ): void {
    if (!rt.preds[0]!(doc)) return;
    const key = rt.key.of(doc);
    if (key === undefined) return;
    const life = this.lifecycle;
    const st = this.keys.state(rt, key, out);
    addBucket(rt, st, t);
    if (!life.count(rt, st, doc, id, t, out)) return;
    const a = st.alert;
    if (a && !a.pending) {
      life.updated(rt, st, t, out);
      return;
    }
    const n = countIn(rt, st, t - rt.windowMs, t);
    if (n >= rt.need) {
      if (a) life.promote(rt, st, t, out);
      else life.raise(rt, st, key, t, out);
    } else if (a) life.updated(rt, st, t, out);
    else if (rt.shareNeed > 0 && n >= rt.shareNeed) life.share(rt, st, key, t, out);
  }

  private evalSequence(
    rt: RuleRuntime,
    doc: EcsDocument,
    id: string,
    t: number,
    out: ShippableDocument[],
  ): void {
    const isA = rt.preds[0]!(doc);
    const isB = rt.preds[1]!(doc);
    if (!isA && !isB) return;
    const key = rt.key.of(doc);
    if (key === undefined) return;
    const life = this.lifecycle;
    const st = this.keys.state(rt, key, out);
    if (isA) addATime(rt, st, t);
    if (isB) addBucket(rt, st, t);
    if (!life.count(rt, st, doc, id, t, out)) return;
    if (st.alert) {
      life.updated(rt, st, t, out);
      return;
    }
    let open = isA && satisfied(rt, st, t);
    if (!open && isB) {
      const w = rt.windowMs;
      for (const tA of st.aTimes ?? []) {
        const inRange = rt.ordered ? tA < t && t <= tA + w : Math.abs(t - tA) <= w;
        if (inRange && satisfied(rt, st, tA)) {
          open = true;
          break;
        }
      }
    }
    if (open) life.raise(rt, st, key, t, out);
  }
}

/**
 * Enough step-2 documents around a step-1 document at tA. Ordered: only buckets after A's own bucket count, so
 * a B logged just before A is never taken for one after it (at the price of ignoring B documents in A's
 * bucket, window/60 wide).
 */
function satisfied(rt: RuleRuntime, st: KeyState, tA: number): boolean {
  const w = rt.windowMs;
  return countIn(rt, st, rt.ordered ? tA + rt.bucketMs : tA - w, tA + w) >= rt.need;
}
