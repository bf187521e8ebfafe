// Running Windows programs under Wine for the smoke test: a private prefix (its own C: drive and wineserver),
// Windows 10 reported to programs (Node 22's node.exe refuses Wine's default version), and every process started
// with stdin from /dev/null and stdout/stderr into files: node.exe under Wine dies at its first write to a Unix
// pipe (EBADF in new Socket; service-and-dashboards.md §5).

import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import path from 'node:path';

/** The Wine loader: `wine64`/`wine` on PATH, or where Debian's wine64 package puts it (not on PATH). */
export function findWine(): string | undefined {
  for (const name of ['wine64', 'wine']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  for (const p of ['/usr/lib/wine/wine64', '/usr/lib/wine/wine', '/usr/lib64/wine/wine64']) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function findMingwGcc(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v x86_64-w64-mingw32-gcc'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
}

export interface WineResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface WineProcess {
  readonly stdoutFile: string;
  readonly stderrFile: string;
  readonly exited: Promise<WineResult>;
  stdout(): string;
  stderr(): string;
}

export class WinePrefix {
  private seq = 0;

  constructor(
    readonly wine: string,
    /** Unix folder of the prefix; C: is <dir>/drive_c. */
    readonly dir: string,
    private readonly logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  /** The Unix environment Wine hands to Windows programs; an `undefined` value removes a variable. */
  private env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    // No Mono/Gecko install prompts during wineboot: nothing here needs .NET or a browser engine.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WINEPREFIX: this.dir,
      WINEDEBUG: '-all',
      WINEDLLOVERRIDES: 'mscoree,mshtml=',
    };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  /** Creates the prefix (wineboot) and makes it report Windows 10. The slow part: 15-60 s. */
  async init(timeoutMs: number): Promise<WineResult> {
    const boot = await this.start(['wineboot', '-i'], { timeoutMs }).exited;
    if (boot.code !== 0) return boot;
    return this.start(['winecfg', '/v', 'win10'], { timeoutMs }).exited;
  }

  /** Windows path (C:\..., c:/...) of a file in the prefix, as a Unix path. */
  unix(winPath: string): string {
    const m = /^([A-Za-z]):[\\/](.*)$/.exec(winPath);
    if (!m) throw new Error(`not an absolute Windows path: ${winPath}`);
    const rest = m[2]!.split(/[\\/]/).filter((s) => s !== '');
    if (m[1]!.toLowerCase() === 'z') return path.join('/', ...rest);
    if (m[1]!.toLowerCase() !== 'c') throw new Error(`only C: and Z: exist in the prefix: ${winPath}`);
    return path.join(this.dir, 'drive_c', ...rest);
  }

  /**
   * Starts a Windows program (a path or a name Wine finds, e.g. cmd) with its output in files. `cwd` is a
   * Unix folder (Wine makes it the Windows current directory).
   */
  start(
    args: readonly string[],
    opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
  ): WineProcess {
    const n = ++this.seq;
    const base = path.join(this.logDir, `${String(n).padStart(3, '0')}-${path.basename(args[0] ?? 'x')}`);
    const stdoutFile = `${base}.out`;
    const stderrFile = `${base}.err`;
    const out = openSync(stdoutFile, 'w');
    const err = openSync(stderrFile, 'w');
    const t0 = Date.now();
    const child = spawn(this.wine, [...args], {
      cwd: opts.cwd ?? this.logDir,
      env: this.env(opts.env),
      stdio: ['ignore', out, err],
    });
    closeSync(out);
    closeSync(err);
    const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    const exited = new Promise<WineResult>((resolve) => {
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              child.kill('SIGKILL');
            }, opts.timeoutMs);
      child.on('exit', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({
          code: code ?? (signal ? 128 : -1),
          stdout: read(stdoutFile),
          stderr: read(stderrFile),
          ms: Date.now() - t0,
        });
      });
      child.on('error', (e) => resolve({ code: -1, stdout: '', stderr: String(e), ms: Date.now() - t0 }));
    });
    return { stdoutFile, stderrFile, exited, stdout: () => read(stdoutFile), stderr: () => read(stderrFile) };
  }

  /**
   * Runs `cmd /c <tokens>` (the way another Windows program would touch the files). Tokens, not a line: Wine
   * escapes quotes inside one argument as \" for the C runtime, which cmd.exe does not undo, so paths here must
   * not contain blanks and nothing is quoted.
   */
  cmd(tokens: readonly string[], timeoutMs = 60_000): Promise<WineResult> {
    for (const t of tokens) if (/[\s"]/.test(t)) throw new Error(`cmd token needs quoting: ${t}`);
    return this.start(['cmd', '/c', ...tokens], { timeoutMs }).exited;
  }

  /** Stops this prefix's wineserver and every process in it (only this prefix's: the server is per prefix). */
  kill(): void {
    const server = path.join(path.dirname(this.wine), 'wineserver');
    const bin = existsSync(server) ? server : 'wineserver';
    spawnSync(bin, ['-k'], { env: this.env(), timeout: 30_000 });
  }

  remove(): void {
    this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Pids of processes (other than wineserver) that have `file` open, from /proc: under Wine, a Windows handle on a
 * file is also a Unix descriptor in the program's own process.
 */
export function processesHolding(file: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('wineserver')) continue;
      for (const fd of readdirSync(`/proc/${e}/fd`)) {
        if (readlinkSync(`/proc/${e}/fd/${fd}`) === file) {
          pids.push(Number(e));
          break;
        }
      }
    } catch {
      // gone meanwhile, or not ours to look at
    }
  }
  return pids;
}
