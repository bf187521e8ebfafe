// Request-level retry state: while bulk requests fail ("outage") only one request probes the cluster, gated by
// backoff with full jitter and the server's Retry-After. Reports the outage's start and end, a reminder every
// `reportEveryMs` while it lasts (with how long, how many requests failed and the last reason), and (once per
// outage) a refusal only an operator can fix.

import type { Logger } from '../../telemetry/logger.types.js';
import {
  esOutageContinues,
  esOutageEnded,
  esOutageStarted,
  esRequestNeedsOperator,
} from '../../telemetry/elasticsearch-events.js';
import type { RequestVerdict } from '../elasticsearch/bulk-classify.js';
import { backoffDelay } from './backoff.js';
import type { BackoffOptions } from './backoff.js';

export interface OutageGateOptions {
  readonly name: string;
  readonly logger: Logger;
  readonly retry: BackoffOptions;
  readonly random: () => number;
  readonly now: () => number;
  /** How often a lasting outage is logged again (default 30 s). */
  readonly reportEveryMs?: number;
}

export class OutageGate {
  private outageStart = 0;
  private lastReport = 0;
  private operatorReported = false;
  /** True from a failed request until a request gets a bulk answer. */
  outage = false;
  consecutiveFailures = 0;
  /** No request before this time. */
  gateUntil = 0;

  constructor(private readonly o: OutageGateOptions) {}

  /** Requests allowed in flight. */
  limit(maxInFlight: number): number {
    return this.outage ? 1 : maxInFlight;
  }

  /** A whole request failed (no answer, or refused as a whole): back off. Returns the delay. */
  failed(
    r: { status?: number | undefined; reason: string; retryAfterMs?: number | undefined },
    verdict: RequestVerdict,
  ): number {
    const o = this.o;
    this.consecutiveFailures += 1;
    const delay = backoffDelay(this.consecutiveFailures, o.retry, o.random, r.retryAfterMs);
    this.gateUntil = o.now() + delay;
    const now = o.now();
    if (!this.outage) {
      this.outage = true;
      this.outageStart = now;
      this.lastReport = now;
      esOutageStarted(o.logger, {
        output: o.name,
        reason: r.reason,
        ...(r.status !== undefined ? { status: r.status } : {}),
        retryInMs: delay,
      });
    } else if (now - this.lastReport >= (o.reportEveryMs ?? 30_000)) {
      this.lastReport = now;
      esOutageContinues(o.logger, {
        output: o.name,
        reason: r.reason,
        ...(r.status !== undefined ? { status: r.status } : {}),
        downForMs: now - this.outageStart,
        failedRequests: this.consecutiveFailures,
        retryInMs: delay,
      });
    }
    if (verdict === 'retry-operator' && !this.operatorReported) {
      this.operatorReported = true;
      esRequestNeedsOperator(o.logger, { output: o.name, status: r.status, reason: r.reason });
    }
    return delay;
  }

  /** Hold every request for `ms` without declaring an outage (e.g. after a document refused as too large). */
  pause(ms: number): void {
    this.gateUntil = Math.max(this.gateUntil, this.o.now() + ms);
  }

  /** A request got a bulk answer: the outage (if any) is over. */
  answered(): void {
    if (this.outage) {
      esOutageEnded(this.o.logger, {
        output: this.o.name,
        durationMs: this.o.now() - this.outageStart,
        failedRequests: this.consecutiveFailures,
      });
    }
    this.outage = false;
    this.consecutiveFailures = 0;
    this.operatorReported = false;
    this.gateUntil = 0;
  }
}
