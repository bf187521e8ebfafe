// Conditions that make the agent degraded, for GET /health: each component sets its own by key while a
// condition lasts (a disk outage of one of its files, say) and clears it when it is over. Process-wide, like
// the metrics registry.

const conditions = new Map<string, Record<string, unknown>>();

/** Mark `key` degraded with a few fields saying why, or clear it with `undefined`. */
export function setHealthCondition(key: string, detail: Record<string, unknown> | undefined): void {
  if (detail === undefined) conditions.delete(key);
  else conditions.set(key, detail);
}

/** Every current condition by key (empty when healthy). */
export function healthConditions(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(conditions);
}

/** Tests start from no conditions. */
export function resetHealthConditions(): void {
  conditions.clear();
}
