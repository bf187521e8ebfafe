// The keyed state of each rule, bounded by `maxKeysPerRule`, with an eviction policy that cannot suppress a real
// storm. When a rule is full and a new key arrives, the least recently active 5% of the keys that are *below*
// threshold (no open alert, fewer matches in the key's window than the rule needs) are dropped in one pass: a
// device failing once or twice among 100,000 goes, a storming device never does. Recency is a counter stamped on
// each use (cheaper than re-inserting into the Map on every document). A pass costs a scan of the rule's keys,
// hence the batch: 5% keeps passes rare while a flood of new keys goes on.
//
// If every key is protected (each is an open alert or at its threshold), the new key is admitted anyway: those
// keys are what the rule exists to report. Only at twice the cap, when memory would otherwise grow without
// bound, the least recently active alerts are closed (their latest version emitted first) and dropped, with an
// ERROR event: raise `detect.maxKeysPerRule`.

import type { ShippableDocument } from '../pipeline/document.types.js';
import {
  detectAlertsEvicted,
  detectCapacityExceeded,
  detectKeysEvicted,
  detectStateEvicted,
} from '../telemetry/detect-events.js';
import type { Logger } from '../telemetry/logger.types.js';
import type { AlertLifecycle } from './alert-lifecycle.js';
import { intern } from './facet-values.js';
import { beforeChange, freshState, windowCount, type KeyState } from './key-state.js';
import type { RuleRuntime } from './rule-runtime.js';

/** Wall-clock interval between two eviction warnings of one rule (the counters count every key). */
const EVICTION_LOG_INTERVAL_MS = 60_000;

export interface KeyStoreOptions {
  readonly maxKeys: number;
  readonly logger: Logger;
  /** The agent's clock (injected), for rate-limiting log events only. */
  readonly now: () => number;
}

/** A key eviction must keep: an open alert, or as many matches in its window as the rule needs. */
export function isProtected(rt: RuleRuntime, st: KeyState): boolean {
  return st.alert !== undefined || windowCount(rt, st) >= rt.need;
}

export class KeyStore {
  private readonly maxKeys: number;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(
    options: KeyStoreOptions,
    private readonly lifecycle: AlertLifecycle,
  ) {
    this.maxKeys = options.maxKeys;
    this.logger = options.logger;
    this.now = options.now;
  }

  /** The key's state, created (and room made for it) when the rule has none yet. */
  state(rt: RuleRuntime, key: string, out: ShippableDocument[]): KeyState {
    const st = rt.states.get(key);
    if (st) {
      beforeChange(st);
      st.used = ++rt.clock;
      st.changed = true;
      return st;
    }
    if (rt.states.size >= this.maxKeys) this.makeRoom(rt, out);
    // Interned: for a device-keyed rule the same string is the alert's `devices` facet value.
    const fresh = freshState(intern(key));
    fresh.used = ++rt.clock;
    rt.states.set(fresh.key, fresh);
    return fresh;
  }

  /** Drop a key (idle, evicted): remembered so the saved state forgets it too. */
  static remove(rt: RuleRuntime, key: string): void {
    if (rt.states.delete(key)) rt.removed.push(key);
  }

  private makeRoom(rt: RuleRuntime, out: ShippableDocument[]): void {
    const n = Math.floor(this.maxKeys / 20) + 1;
    const candidates: KeyState[] = [];
    for (const st of rt.states.values()) if (!isProtected(rt, st)) candidates.push(st);
    if (candidates.length > 0) {
      const victims = leastRecent(candidates, n);
      for (const st of victims) KeyStore.remove(rt, st.key);
      detectStateEvicted(rt.rule.id, 'capacity', victims.length);
      rt.evictedSinceLog += victims.length;
      const now = this.now();
      if (now - rt.lastEvictionLogAt >= EVICTION_LOG_INTERVAL_MS) {
        detectKeysEvicted(this.logger, {
          rule: rt.rule.id,
          evicted: rt.evictedSinceLog,
          keys: rt.states.size,
          maxKeys: this.maxKeys,
        });
        rt.evictedSinceLog = 0;
        rt.lastEvictionLogAt = now;
      }
      return;
    }
    // Every key is an open alert or at its threshold.
    if (rt.states.size < 2 * this.maxKeys) {
      if (!rt.warnedOverCapacity) {
        rt.warnedOverCapacity = true;
        detectCapacityExceeded(this.logger, {
          rule: rt.rule.id,
          keys: rt.states.size,
          maxKeys: this.maxKeys,
        });
      }
      return;
    }
    const victims = leastRecent([...rt.states.values()], n);
    for (const st of victims) {
      if (st.alert?.dirty) this.lifecycle.emit(rt, st, out, false);
      KeyStore.remove(rt, st.key);
    }
    detectStateEvicted(rt.rule.id, 'alert_capacity', victims.length);
    detectAlertsEvicted(this.logger, {
      rule: rt.rule.id,
      evicted: victims.length,
      keys: rt.states.size,
      ceiling: 2 * this.maxKeys,
    });
  }
}

/** The `n` least recently used states (recency stamps are unique within a rule). */
function leastRecent(states: KeyState[], n: number): KeyState[] {
  if (states.length <= n) return states;
  // A native numeric sort of the stamps, not a comparator sort of the states: a pass over 20,000 keys is ~1 ms.
  const used = new Float64Array(states.length);
  for (let i = 0; i < states.length; i++) used[i] = states[i]!.used;
  const cut = used.sort()[n - 1]!;
  return states.filter((st) => st.used <= cut);
}
