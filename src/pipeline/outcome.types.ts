// What an output says about one document it tried to deliver (STYLE.md rules 6 and 7). Outputs classify;
// delivery wrappers decide what to do (retry with backoff, spool, dead-letter).

export type DeliveryOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retryable'; readonly reason: string; readonly delayHintMs?: number }
  | { readonly kind: 'rejected'; readonly reason: string; readonly status?: number };

export const delivered: DeliveryOutcome = Object.freeze({ kind: 'delivered' });

/** How a document finally left the pipeline; either way its record may be acknowledged. */
export type Settlement = 'delivered' | 'dead-lettered' | 'spooled' | 'dropped';
