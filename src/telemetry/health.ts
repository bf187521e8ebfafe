// Conditions that make the agent degraded, for GET /health: each component sets its own by key while a
// condition lasts (a disk outage of one of its files, say) and clears it when it is over. Process-wide, like
// the metrics registry.

import { gauge } from './metrics.js';

const conditions = new Map<string, Record<string, unknown>>();

/** Mark `key` degraded with a few fields saying why, or clear it with `undefined`. */
export function setHealthCondition(key: string, detail: Record<string, unknown> | undefined): void {
  // casguard_health_condition{condition}: 1 while a condition lasts, 0 once it cleared (alerting rules can
  // watch one series per condition instead of polling /health).
  const g = gauge(
    'casguard_health_condition',
    'Conditions that make /health degraded: 1 while the condition lasts, 0 after it cleared.',
    ['condition'],
  );
  if (detail === undefined) {
    if (conditions.delete(key)) g.set({ condition: key }, 0);
  } else {
    conditions.set(key, detail);
    g.set({ condition: key }, 1);
  }
}

/** Every current condition by key (empty when healthy). */
export function healthConditions(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(conditions);
}

/** Tests start from no conditions. */
export function resetHealthConditions(): void {
  conditions.clear();
}
