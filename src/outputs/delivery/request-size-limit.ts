// The largest request body the cluster (or a proxy in front of it) is believed to accept. It starts at
// `maxBatchBytes`. A refusal of B bytes lowers it to B/2: for good after a 413 (the cluster said so), as a
// guess after connections lost on large bodies (the answer may have been a 413 the client never read). A
// guess is probed upwards again, doubling after GROW_AFTER answered requests near it, so a run of resets that
// had nothing to do with size cannot leave every later batch small.

/** Answered requests of at least half the guessed limit before the guess is doubled. */
const GROW_AFTER = 64;
/** Never below one small document's worth. */
const FLOOR = 1024;

export class RequestSizeLimit {
  private limit: number;
  /** Highest limit a 413 allows (Infinity until one is seen). */
  private confirmed = Infinity;
  private guessed = false;
  private answeredNear = 0;

  constructor(private readonly configured: number) {
    this.limit = configured;
  }

  get maxBytes(): number {
    return this.limit;
  }

  /** The limit is a guess from lost connections, not a 413. */
  get isGuess(): boolean {
    return this.guessed;
  }

  /** A body of `bytes` was refused (`confirmed`: by a 413). True when the limit went down. */
  refused(bytes: number, confirmed: boolean): boolean {
    const next = Math.max(FLOOR, Math.floor(bytes / 2));
    if (confirmed) this.confirmed = Math.min(this.confirmed, next);
    if (next >= this.limit) return false;
    this.limit = next;
    this.guessed = !confirmed && this.limit < this.confirmed;
    this.answeredNear = 0;
    return true;
  }

  /** A body of `bytes` was answered. True when a guessed limit went up. */
  answered(bytes: number): boolean {
    if (!this.guessed || bytes < this.limit / 2) return false;
    this.answeredNear += 1;
    if (this.answeredNear < GROW_AFTER) return false;
    this.answeredNear = 0;
    this.limit = Math.min(this.configured, this.confirmed, this.limit * 2);
    if (this.limit >= Math.min(this.configured, this.confirmed)) this.guessed = false;
    return true;
  }
}
