// Paths of one input that exist but cannot be read (permission denied): a file that cannot be opened, a folder
// that cannot be listed. Each is reported once when it becomes unreadable and once when it can be read again
// (not at every rescan), counted in a gauge, and held as a /health condition while any remains, because what
// casguard cannot read it cannot ship, and nothing else would tell the operator.

import { setHealthCondition } from '../telemetry/health.js';
import { pathReadableAgain, pathUnreadable, unreadablePathsGauge } from '../telemetry/input-events.js';
import type { Logger } from '../telemetry/logger.types.js';
import { pathText } from '../telemetry/path-text.js';

export type UnreadableKind = 'file' | 'directory';

/** Error codes that mean "exists, but this account may not read it". */
export function isPermissionError(code: string | undefined): boolean {
  return code === 'EACCES' || code === 'EPERM';
}

/** Paths listed in the /health condition (the count says how many there are in all). */
const HEALTH_SAMPLE = 10;

export class UnreadablePaths {
  private readonly paths = new Map<string, { kind: UnreadableKind; code: string; since: string }>();

  constructor(
    private readonly inputId: string,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.paths.size;
  }

  has(p: string): boolean {
    return this.paths.has(p);
  }

  mark(p: string, kind: UnreadableKind, code: string): void {
    if (this.paths.has(p)) return;
    this.paths.set(p, { kind, code, since: new Date().toISOString() });
    pathUnreadable(this.log, { inputId: this.inputId, path: p, kind, code });
    this.publish();
  }

  clear(p: string): void {
    const was = this.paths.get(p);
    if (!was) return;
    this.paths.delete(p);
    pathReadableAgain(this.log, { inputId: this.inputId, path: p, kind: was.kind });
    this.publish();
  }

  /** After a scan: the folders it could not list now; any other folder reported before is readable again. */
  syncDirectories(now: ReadonlyMap<string, string>): void {
    for (const [p, info] of [...this.paths]) if (info.kind === 'directory' && !now.has(p)) this.clear(p);
    for (const [p, code] of now) this.mark(p, 'directory', code);
  }

  /** The input stopped: it reports nothing any more. */
  close(): void {
    this.paths.clear();
    this.publish();
  }

  private publish(): void {
    unreadablePathsGauge().set({ input: this.inputId }, this.paths.size);
    const key = `input:${this.inputId}:unreadable`;
    if (this.paths.size === 0) {
      setHealthCondition(key, undefined);
      return;
    }
    const sample = [...this.paths]
      .slice(0, HEALTH_SAMPLE)
      .map(([p, i]) => ({ path: pathText(p), kind: i.kind, code: i.code }));
    setHealthCondition(key, { count: this.paths.size, paths: sample });
  }
}
