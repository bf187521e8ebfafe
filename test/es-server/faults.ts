// Fault injection for `_bulk`, drawn from a seeded PRNG so a failing run can be repeated: 429 items, 400 items
// (deterministic per id, like a real mapping error), 503/429 requests (with Retry-After), connection resets before
// or after the items were applied, slow responses, a stall, and (in es-test-server.ts) down/up.

import { createHash } from 'node:crypto';
import { mulberry32 } from '../helpers/prng.js';

export interface EsFaults {
  /** Fraction of bulk items answered 429 es_rejected_execution_exception (drawn per item per attempt). */
  item429Rate?: number;
  /**
   * Fraction of documents answered 400 document_parsing_exception. Chosen by a hash of the `_id`, so the same
   * document is rejected on every attempt, as a real mapping error would be.
   */
  item400Rate?: number;
  /** Fraction of bulk requests answered 503 as a whole. */
  request503Rate?: number;
  /** Every Nth bulk request is answered 503 (1-based; 0 = off). */
  request503Every?: number;
  /** Fraction of bulk requests answered 429 as a whole (indexing pressure / circuit breaker). */
  request429Rate?: number;
  /** Seconds put in `Retry-After` on request-level 429/503 answers. */
  retryAfterSeconds?: number;
  /** Fraction of bulk requests whose connection is reset before anything is applied. */
  resetBeforeRate?: number;
  /** Fraction of bulk requests whose connection is reset AFTER the items were applied (the client cannot know). */
  resetAfterRate?: number;
  /** Delay before every response (ms). */
  delayMs?: number;
  /** Hold every request unanswered until the stall is lifted (or the server stops). */
  stall?: boolean;
  /**
   * Fraction of bulk items answered without a usable status and not applied: alternately an item with
   * `error.type: unavailable_shards_exception` and no `status`, and one with `status: 0`. Not what a healthy
   * Elasticsearch answers; what a hostile or broken endpoint did in issue 19's adversarial run.
   */
  itemUnknownOutcomeRate?: number;
}

/** `status` of an injected item answered without a `status` field (itemUnknownOutcomeRate). */
export const NO_STATUS = -1;

/** A stable number in [0,1) from a document id (for the deterministic 400 fault). */
export function idFraction(id: string, seed = 0): number {
  const h = createHash('sha1').update(`${seed}:${id}`).digest();
  return h.readUInt32BE(0) / 4294967296;
}

export interface InjectedItemFault {
  status: number;
  type: string;
  reason: string;
}

export type RequestFault =
  | { kind: 'reset' }
  | { kind: 'status'; status: number; type: string; reason: string; headers: Record<string, string> };

export class EsFaultInjector {
  private readonly rnd: () => number;
  private bulkCounter = 0;
  private unknownOutcomes = 0;
  faults: EsFaults;

  constructor(
    private readonly seed: number,
    faults: EsFaults,
    private readonly parsingType: string,
  ) {
    this.rnd = mulberry32(seed);
    this.faults = { ...faults };
  }

  /** Before a bulk request is applied. */
  beforeBulk(): RequestFault | undefined {
    this.bulkCounter += 1;
    const f = this.faults;
    if (f.resetBeforeRate && this.rnd() < f.resetBeforeRate) return { kind: 'reset' };
    const headers: Record<string, string> =
      f.retryAfterSeconds !== undefined ? { 'retry-after': String(f.retryAfterSeconds) } : {};
    if (
      (f.request503Every && this.bulkCounter % f.request503Every === 0) ||
      (f.request503Rate && this.rnd() < f.request503Rate)
    )
      return {
        kind: 'status',
        status: 503,
        type: 'unavailable_shards_exception',
        reason: 'injected 503: [casguard] primary shard is not active',
        headers,
      };
    if (f.request429Rate && this.rnd() < f.request429Rate)
      return {
        kind: 'status',
        status: 429,
        type: 'circuit_breaking_exception',
        reason: '[parent] Data too large (injected fault)',
        headers,
      };
    return undefined;
  }

  /** After the items were applied. */
  afterBulk(): RequestFault | undefined {
    const f = this.faults;
    if (f.resetAfterRate && this.rnd() < f.resetAfterRate) return { kind: 'reset' };
    return undefined;
  }

  /** A fault for one item, or undefined. */
  item(id: string): InjectedItemFault | undefined {
    const f = this.faults;
    if (f.item400Rate && idFraction(id, this.seed) < f.item400Rate)
      return {
        status: 400,
        type: this.parsingType,
        reason: `[1:2] failed to parse field [injected] in document with id '${id}' (injected fault)`,
      };
    if (f.itemUnknownOutcomeRate && this.rnd() < f.itemUnknownOutcomeRate) {
      this.unknownOutcomes += 1;
      return this.unknownOutcomes % 2 === 1
        ? { status: NO_STATUS, type: 'unavailable_shards_exception', reason: 'injected fault' }
        : { status: 0, type: '', reason: '' };
    }
    if (f.item429Rate && this.rnd() < f.item429Rate)
      return {
        status: 429,
        type: 'es_rejected_execution_exception',
        reason: 'rejected execution of coordinating operation [injected fault]',
      };
    return undefined;
  }
}
