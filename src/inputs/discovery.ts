// Discovery: which files match an input's paths. chokidar (5.x, behind this one module) watches the static
// base directory of each pattern and turns file system events into hints; a periodic directory walk is the
// truth, because events are dropped under load, merged, or never sent on network shares
// (dependencies.md §1.5, §1.8). Patterns are compiled once with picomatch. chokidar options follow
// dependencies.md §1.4: atomic off (raw unlink/add, no reordering), awaitWriteFinish off (a log that is
// always written never looks stable), an error listener always attached, a bounded depth.

import { watch, type FSWatcher } from 'chokidar';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { describeError } from '../pipeline/errors.js';

export interface DiscoveryOptions {
  readonly patterns: readonly string[];
  readonly exclude: readonly string[];
  /** Relative patterns are resolved against this folder. */
  readonly baseDir: string;
  readonly usePolling: boolean;
  readonly pollIntervalMs: number;
  /** Match names case-insensitively (default: on Windows only). */
  readonly caseInsensitive?: boolean;
  /** A path may have appeared, changed or disappeared. */
  readonly onHint: (file: string) => void;
  readonly onError: (message: string) => void;
}

interface Root {
  /** Absolute base directory (native separators). */
  readonly dir: string;
  /** Max depth below dir that can match (undefined: unlimited). */
  readonly depth: number | undefined;
}

const MAX_DEPTH = 16;

/** Forward slashes, so one matcher works on Windows and POSIX paths. */
export function toPosix(p: string): string {
  return p.replace(/\\/g, '/');
}

export class Discovery {
  private readonly roots: Root[] = [];
  private readonly include: (p: string) => boolean;
  private readonly excludeMatch: (p: string) => boolean;
  private watcher: FSWatcher | undefined;

  constructor(private readonly opts: DiscoveryOptions) {
    const abs = opts.patterns.map((p) => toPosix(path.resolve(opts.baseDir, p)));
    // Windows file names are case-insensitive: `*.log` must also match HttpProxy's `.LOG` files there.
    const nocase = opts.caseInsensitive ?? process.platform === 'win32';
    const matchers = abs.map((p) => picomatch(p, { dot: true, windows: false, nocase }));
    this.include = (p) => matchers.some((m) => m(p));
    const ex = opts.exclude.map((p) =>
      p.includes('/') || p.includes('\\')
        ? picomatch(toPosix(path.resolve(opts.baseDir, p)), { dot: true, nocase })
        : picomatch(p, { dot: true, basename: true, nocase }),
    );
    this.excludeMatch = (p) => ex.some((m) => m(p));
    const byDir = new Map<string, number | undefined>();
    for (const p of abs) {
      const scan = picomatch.scan(p);
      const dir = scan.isGlob ? scan.base || '/' : path.posix.dirname(p);
      const glob = scan.isGlob ? scan.glob : path.posix.basename(p);
      const depth = glob.includes('**') ? undefined : glob.split('/').length - 1;
      const native = path.resolve(dir);
      const had = byDir.has(native) ? byDir.get(native) : 0;
      byDir.set(native, had === undefined || depth === undefined ? undefined : Math.max(had, depth));
    }
    for (const [dir, depth] of byDir) this.roots.push({ dir, depth });
  }

  get baseDirs(): string[] {
    return this.roots.map((r) => r.dir);
  }

  matches(file: string): boolean {
    const p = toPosix(path.resolve(file));
    return this.include(p) && !this.excludeMatch(p);
  }

  start(): void {
    if (this.watcher) return;
    const depth = this.roots.some((r) => r.depth === undefined)
      ? MAX_DEPTH
      : Math.max(0, ...this.roots.map((r) => r.depth ?? 0));
    const w = watch(this.baseDirs, {
      persistent: true,
      ignoreInitial: true, // the first rescan reports existing files; chokidar's own adds would double it
      atomic: false,
      awaitWriteFinish: false,
      alwaysStat: false,
      ignorePermissionErrors: false,
      usePolling: this.opts.usePolling,
      interval: this.opts.pollIntervalMs,
      depth,
      // Called with and without stats; without stats, never ignore (it may be a directory to descend).
      ignored: (p: string, stats?: { isFile(): boolean }) => (stats?.isFile() ? !this.matches(p) : false),
    });
    const hint = (p: string): void => {
      if (this.matches(p)) this.opts.onHint(path.resolve(p));
    };
    w.on('add', hint);
    w.on('change', hint);
    w.on('unlink', hint);
    w.on('error', (err: unknown) => this.opts.onError(describeError(err)));
    this.watcher = w;
  }

  async close(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    if (w) await w.close();
  }

  /** Walk the base directories and return every matching file (absolute, native separators). */
  async scan(): Promise<string[]> {
    const out = new Set<string>();
    for (const root of this.roots) await this.walk(root.dir, 0, root.depth ?? MAX_DEPTH, out);
    return [...out];
  }

  private async walk(dir: string, depth: number, maxDepth: number, out: Set<string>): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.opts.onError(`${dir}: ${describeError(err)}`);
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < maxDepth) await this.walk(p, depth + 1, maxDepth, out);
      } else if ((e.isFile() || e.isSymbolicLink()) && this.matches(p)) {
        out.add(p);
      }
    }
  }
}
