// The keyed state of each rule, bounded: at most `maxKeysPerRule` keys per rule. Recency is a counter stamped on
// each use (cheaper than re-inserting into the Map on every document); when the rule is full, the least recently
// used 1% of its keys are evicted in one pass, each open alert emitted first.

import type { ShippableDocument } from '../pipeline/document.types.js';
import { detectCapacityReached, detectStateEvicted } from '../telemetry/detect-events.js';
import type { Logger } from '../telemetry/logger.types.js';
import type { AlertLifecycle } from './alert-lifecycle.js';
import { keyValues } from './condition.js';
import { freshState, type KeyState } from './key-state.js';
import type { RuleRuntime } from './rule-runtime.js';

export class KeyStore {
  constructor(
    private readonly maxKeys: number,
    private readonly lifecycle: AlertLifecycle,
    private readonly logger: Logger,
  ) {}

  /** The key's state, created (and room made for it) when the rule has none yet. */
  state(rt: RuleRuntime, key: string, out: ShippableDocument[]): KeyState {
    const st = rt.states.get(key);
    if (st) {
      st.used = ++rt.clock;
      return st;
    }
    if (rt.states.size >= this.maxKeys) this.evictOldest(rt, out);
    const fresh = freshState(keyValues(key));
    fresh.used = ++rt.clock;
    rt.states.set(key, fresh);
    return fresh;
  }

  private evictOldest(rt: RuleRuntime, out: ShippableDocument[]): void {
    const n = Math.floor(this.maxKeys / 100) + 1;
    const oldest = [...rt.states].sort((x, y) => x[1].used - y[1].used).slice(0, n);
    for (const [k, old] of oldest) {
      if (old.alert?.dirty) this.lifecycle.emit(rt, old, out, false);
      rt.states.delete(k);
    }
    detectStateEvicted(rt.rule.id, 'capacity', oldest.length);
    if (!rt.warnedCapacity) {
      rt.warnedCapacity = true;
      detectCapacityReached(this.logger, rt.rule.id, this.maxKeys);
    }
  }
}
