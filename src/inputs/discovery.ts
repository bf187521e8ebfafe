// Discovery: which files match an input's paths. chokidar (5.x, behind this one module) watches the static
// base directory of each pattern and turns file system events into hints; a periodic directory walk is the
// truth, because events are dropped under load, merged, or never sent on network shares
// (dependencies.md §1.5, §1.8). Patterns are compiled once with picomatch. chokidar options follow
// dependencies.md §1.4: atomic off (raw unlink/add, no reordering), awaitWriteFinish off (a log that is
// always written never looks stable), an error listener always attached, a bounded depth, and symlinks not
// followed by the watcher: the walk follows directory symlinks itself, each real directory (device and inode)
// at most once per scan, so a symlink loop costs one `stat`, not a tree that grows with every level.
// A directory the walk cannot read is reported truthfully (`unreadableDirs`), and so is a matching file whose
// name is not valid UTF-8 (`onBadName`), which the string paths of the rest of the agent cannot name.

import { watch, type FSWatcher } from 'chokidar';
import { readdir, stat } from 'node:fs/promises';
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
  /** A matching file whose name is not valid UTF-8 (shown with the bad bytes escaped as `\xNN`). */
  readonly onBadName?: (file: string) => void;
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
  /** Directories the last scan could not read, with the error code (EACCES, EPERM, ...). */
  unreadableDirs = new Map<string, string>();
  /** Directories reached again through a symlink in the last scan (walked once, by their first path). */
  linkedAgain = 0;

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
      followSymlinks: false, // the rescan follows them, once per real directory; chokidar would loop
      usePolling: this.opts.usePolling,
      interval: this.opts.pollIntervalMs,
      depth,
      // Called with and without stats; without stats, never ignore (it may be a directory to descend).
      // Native events: no file is watched by itself (a watcher, a Stats and closures per file cost about 7 KB
      // of heap each: 140 MB for 20,000 files); the directories' own events name the files that changed (the
      // 'raw' listener below). Polling (network shares) has no such events: matching files are polled.
      ignored: (p: string, stats?: { isFile(): boolean }) =>
        stats?.isFile() ? !this.opts.usePolling || !this.matches(p) : false,
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
    if (w) await w.close();
  }

  /** Walk the base directories and return every matching file (absolute, native separators). */
  async scan(): Promise<string[]> {
    const out = new Set<string>();
    const scan: ScanState = { seen: new Set(), unreadable: new Map(), linkedAgain: 0, links: [] };
    for (const root of this.roots) await this.walk(root.dir, 0, root.depth ?? MAX_DEPTH, out, scan);
    // Linked folders after every real one, so a folder is found under its real path when it has one.
    for (let link = scan.links.shift(); link; link = scan.links.shift())
      await this.walk(link.dir, link.depth, link.maxDepth, out, scan);
    this.unreadableDirs = scan.unreadable;
    this.linkedAgain = scan.linkedAgain;
    return [...out];
  }

  private async walk(
    dir: string,
    depth: number,
    maxDepth: number,
    out: Set<string>,
    scan: ScanState,
  ): Promise<void> {
    // Each real directory once: a symlink loop (or a second link to a folder) ends here.
    try {
      const st = await stat(dir, { bigint: true });
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
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      if (code === 'EACCES' || code === 'EPERM') scan.unreadable.set(dir, code);
      else this.opts.onError(`${dir}: ${describeError(err)}`);
      return;
    }
    for (const e of entries) {
      const name = e.name.toString('utf8');
      const p = path.join(dir, name);
      if (e.isDirectory()) {
        if (depth < maxDepth) await this.walk(p, depth + 1, maxDepth, out, scan);
        continue;
      }
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const target = await stat(p).catch(() => undefined);
        if (target?.isDirectory()) {
          if (depth < maxDepth) scan.links.push({ dir: p, depth: depth + 1, maxDepth });
          continue;
        }
        isFile = true; // a link to a file, or a dangling one (reported missing when looked at)
      }
      if (!isFile || !this.matches(p)) continue;
      if (!Buffer.from(name, 'utf8').equals(e.name)) {
        this.opts.onBadName?.(path.join(dir, escapeBadUtf8(e.name)));
        continue;
      }
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
}

/** A file name as text, with the bytes that are not valid UTF-8 written as `\xNN`. */
export function escapeBadUtf8(name: Buffer): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const b = name[i]!;
    const len =
      b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len > 0 && i + len <= name.length) {
      const part = name.subarray(i, i + len);
      const text = part.toString('utf8');
      if (Buffer.from(text, 'utf8').equals(part)) {
        out += text;
        i += len;
        continue;
      }
    }
    out += `\\x${b.toString(16).padStart(2, '0')}`;
    i += 1;
  }
  return out;
}
