// Discovery: which files match an input's paths. chokidar (5.x, behind this one module) watches the static
// base directory of each pattern and turns file system events into hints; a periodic directory walk is the
// truth, because events are dropped under load, merged, or never sent on network shares
// (dependencies.md §1.5, §1.8). Patterns are compiled once with picomatch. chokidar options follow
// dependencies.md §1.4: atomic off (raw unlink/add, no reordering), awaitWriteFinish off (a log that is
// always written never looks stable), an error listener always attached, a bounded depth, and symlinks not
// followed by the watcher: the walk follows directory symlinks itself, each real directory (device and inode)
// at most once per scan, so a symlink loop costs one `stat`, not a tree that grows with every level.
// chokidar is given the directories the walk finds one at a time, paced by their number of entries, not the
// tree at once: its first read of a directory stats every entry, and it reads all directories of a tree
// concurrently (20,000 files: about 90 MB of short-lived objects at once, more than the agent's whole budget).
// A directory the walk cannot read is reported truthfully (`unreadableDirs`). A matching file whose name is not
// valid UTF-8 is found by its bytes and kept under an escaped path (raw-path.ts) that the input opens by those
// bytes; it is also reported (`onBadName`), once, since only rescans find it (the watcher's events name files by
// decoded text).

import { watch, type FSWatcher } from 'chokidar';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { describeError } from '../pipeline/errors.js';
import { pathText } from '../telemetry/path-text.js';
import { fsPath, hasRawBytes, nameText } from './raw-path.js';

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
  /** A matching file whose name is not valid UTF-8 (its path, with the bytes escaped as in raw-path.ts). */
  readonly onBadName?: (file: string) => void;
}

interface Root {
  /** Absolute base directory (native separators). */
  readonly dir: string;
  /** Max depth below dir that can match (undefined: unlimited). */
  readonly depth: number | undefined;
}

const MAX_DEPTH = 16;
/** Pace of handing directories to chokidar: entries of the directories given per millisecond (about its speed). */
const WATCH_ENTRIES_PER_MS = 20;

/** Forward slashes, so one matcher works on Windows and POSIX paths. */
export function toPosix(p: string): string {
  return p.replace(/\\/g, '/');
}

export class Discovery {
  private readonly roots: Root[] = [];
  private readonly include: (p: string) => boolean;
  private readonly excludeMatch: (p: string) => boolean;
  private watcher: FSWatcher | undefined;
  /** Directories the last scan could not read, with the error code (EACCES, EPERM, ...). */
  unreadableDirs = new Map<string, string>();
  /** Directories reached again through a symlink in the last scan (walked once, by their first path). */
  linkedAgain = 0;
  /** Directories given to chokidar (the roots, then those the walk finds); others are ignored by it. */
  private readonly watchedDirs = new Set<string>();
  /** Directories found by a walk and not yet given to chokidar, with their number of entries. */
  private readonly toWatch = new Map<string, number>();
  private pacing = false;
  /** The directories of the first walk are all given: chokidar follows new directories itself from then on. */
  private watchAll = false;
  /** A walk has completed since the watcher started. */
  private walked = false;

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
    for (const d of this.baseDirs) this.watchedDirs.add(d);
    const w = watch(this.baseDirs, {
      persistent: true,
      ignoreInitial: true, // the first rescan reports existing files; chokidar's own adds would double it
      atomic: false,
      awaitWriteFinish: false,
      alwaysStat: false,
      ignorePermissionErrors: false,
      followSymlinks: false, // the rescan follows them, once per real directory; chokidar would loop
      usePolling: this.opts.usePolling,
      interval: this.opts.pollIntervalMs,
      depth,
      // Called with and without stats; without stats, never ignore (it may be a directory to descend).
      // Native events: no file is watched by itself (a watcher, a Stats and closures per file cost about 7 KB
      // of heap each: 140 MB for 20,000 files); the directories' own events name the files that changed (the
      // 'raw' listener below). Polling (network shares) has no such events: matching files are polled.
      // The subdirectories of the tree as it is at start are not found by chokidar's own walk but given to it
      // one by one (`watchLater`); new ones that appear later it follows itself.
      ignored: (p: string, stats?: { isFile(): boolean; isDirectory(): boolean }) =>
        stats?.isFile()
          ? !this.opts.usePolling || !this.matches(p)
          : stats?.isDirectory()
            ? !this.watchAll && !this.watchedDirs.has(path.resolve(p))
            : false,
    });
    const hint = (p: string): void => {
      if (this.matches(p)) this.opts.onHint(path.resolve(p));
    };
    w.on('raw', (_event: string, name: string, details: unknown) => {
      // A directory watcher's event names an entry of that directory (added, changed, removed, renamed).
      const dir = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (!name || typeof dir !== 'string') return;
      hint(path.resolve(dir, name));
    });
    w.on('add', hint);
    w.on('change', hint);
    w.on('unlink', hint);
    w.on('error', (err: unknown) => {
      // A folder it may not watch is one the scan may not list either: reported there, once, truthfully.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') return;
      this.opts.onError(describeError(err));
    });
    this.watcher = w;
  }

  async close(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    this.toWatch.clear();
    this.watchedDirs.clear();
    this.watchAll = false;
    this.walked = false;
    if (w) await w.close();
  }

  /** Queue a directory the walk found for chokidar (it is given them one at a time, see `pace`). */
  private watchLater(dir: string, entries: number): void {
    if (!this.watcher || this.watchedDirs.has(dir)) return;
    this.toWatch.set(dir, entries);
    if (!this.pacing) void this.pace();
  }

  /**
   * Give the queued directories to chokidar one at a time, each followed by a pause of its number of entries at
   * chokidar's own speed, so that only about one directory's entries are being statted at once.
   */
  private async pace(): Promise<void> {
    this.pacing = true;
    try {
      for (const [dir, entries] of this.toWatch) {
        this.toWatch.delete(dir);
        const w = this.watcher;
        if (!w) break;
        this.watchedDirs.add(dir);
        w.add(dir);
        const ms = Math.max(1, Math.ceil(entries / WATCH_ENTRIES_PER_MS));
        await new Promise((r) => setTimeout(r, ms).unref());
      }
    } finally {
      this.pacing = false;
      if (this.watcher && this.walked) this.watchAll = true;
    }
  }

  /** Walk the base directories and return every matching file (absolute, native separators). */
  async scan(): Promise<string[]> {
    const out = new Set<string>();
    const scan: ScanState = {
      seen: new Set(),
      unreadable: new Map(),
      linkedAgain: 0,
      links: [],
      realDirs: new Set(),
    };
    for (const root of this.roots) await this.walk(root.dir, 0, root.depth ?? MAX_DEPTH, out, scan, false);
    // Linked folders after every real one, so a folder is found under its real path when it has one.
    for (let link = scan.links.shift(); link; link = scan.links.shift())
      await this.walk(link.dir, link.depth, link.maxDepth, out, scan, true);
    this.unreadableDirs = scan.unreadable;
    this.linkedAgain = scan.linkedAgain;
    // A directory gone from the tree is given to chokidar again if it comes back (its watcher closed with it).
    const roots = new Set(this.baseDirs);
    for (const d of this.watchedDirs) if (!scan.realDirs.has(d) && !roots.has(d)) this.watchedDirs.delete(d);
    if (this.watcher) {
      this.walked = true;
      if (!this.pacing) this.watchAll = true;
    }
    return [...out];
  }

  private async walk(
    dir: string,
    depth: number,
    maxDepth: number,
    out: Set<string>,
    scan: ScanState,
    viaLink: boolean,
  ): Promise<void> {
    // Each real directory once: a symlink loop (or a second link to a folder) ends here.
    try {
      const st = await stat(fsPath(dir), { bigint: true });
      const id = `${st.dev}:${st.ino}`;
      if (scan.seen.has(id)) {
        scan.linkedAgain += 1;
        return;
      }
      scan.seen.add(id);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      if (code !== 'ENOENT' && code !== 'ENOTDIR') scan.unreadable.set(dir, code);
      return;
    }
    let entries;
    try {
      entries = await readdir(fsPath(dir), { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      if (code === 'EACCES' || code === 'EPERM') scan.unreadable.set(dir, code);
      else this.opts.onError(`${dir}: ${describeError(err)}`);
      return;
    }
    // chokidar watches the directories of the real tree (it does not follow links).
    if (!viaLink) {
      scan.realDirs.add(dir);
      this.watchLater(dir, entries.length);
    }
    for (const e of entries) {
      const name = nameText(e.name);
      const p = path.join(dir, name);
      if (e.isDirectory()) {
        if (depth < maxDepth) await this.walk(p, depth + 1, maxDepth, out, scan, viaLink);
        continue;
      }
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const target = await stat(fsPath(p)).catch(() => undefined);
        if (target?.isDirectory()) {
          if (depth < maxDepth) scan.links.push({ dir: p, depth: depth + 1, maxDepth });
          continue;
        }
        isFile = true; // a link to a file, or a dangling one (reported missing when looked at)
      }
      if (!isFile || !this.matches(p)) continue;
      if (hasRawBytes(name)) this.opts.onBadName?.(p);
      out.add(p);
    }
  }
}

interface ScanState {
  /** Real directories (`dev:ino`) walked in this scan. */
  readonly seen: Set<string>;
  readonly unreadable: Map<string, string>;
  linkedAgain: number;
  /** Symlinked folders still to walk (after the real ones). */
  readonly links: { dir: string; depth: number; maxDepth: number }[];
  /** Directories of the real tree (not reached through a link) walked in this scan. */
  readonly realDirs: Set<string>;
}

/** A file name as text, with the bytes that are not valid UTF-8 written as `\xNN` (as the agent's log shows it). */
export function escapeBadUtf8(name: Buffer): string {
  return pathText(nameText(name));
}
