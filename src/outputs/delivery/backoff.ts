// Exponential backoff with full jitter (a random delay between 0 and the exponential cap), the scheme the AWS
// architecture blog showed spreads retries of many clients best; a server's Retry-After is a floor.

export interface BackoffOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** Delay before attempt `attempt + 1` after `attempt` failures (attempt >= 1). */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number {
  const cap = Math.min(opts.maxDelayMs, opts.initialDelayMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  const jittered = Math.floor(random() * cap);
  return retryAfterMs === undefined
    ? jittered
    : Math.max(jittered, Math.min(retryAfterMs, opts.maxDelayMs * 5));
}
