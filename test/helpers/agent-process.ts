// Runs the real casguard CLI as a child process (through tsx, so tests do not depend on a prior build) and
// collects its output. Used by end-to-end and crash tests.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mainTs = path.join(repoRoot, 'src/cli/main.ts');
// Resolved from this repository, so children started in temporary folders still find the loader.
export const tsxLoader = import.meta.resolve('tsx');

export interface AgentProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Resolves when stdout+stderr match the pattern, rejects after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export interface AgentOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Start the agent under `ulimit -n` of this many descriptors (through bash). */
  maxOpenFiles?: number;
}

export function startAgent(args: readonly string[], opts: AgentOptions): AgentProcess {
  const argv = ['--import', tsxLoader, mainTs, ...args];
  const [cmd, cmdArgs] =
    opts.maxOpenFiles === undefined
      ? [process.execPath, argv]
      : ['bash', ['-c', `ulimit -n ${opts.maxOpenFiles} && exec "$@"`, 'bash', process.execPath, ...argv]];
  const child = spawn(cmd, cmdArgs, {
    cwd: opts.cwd,
    env: { ...process.env, CASGUARD_CONFIG: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: AgentProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1))),
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (pattern.test(proc.stdout + proc.stderr)) {
            clearInterval(timer);
            clearTimeout(deadline);
            resolve();
            return true;
          }
          return false;
        };
        const timer = setInterval(check, 50);
        const deadline = setTimeout(() => {
          clearInterval(timer);
          reject(
            new Error(`timed out waiting for ${pattern}\nstdout:\n${proc.stdout}\nstderr:\n${proc.stderr}`),
          );
        }, timeoutMs);
        check();
      }),
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (proc.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (proc.stderr += d));
  return proc;
}

/** Runs a CLI command to completion. */
export async function runAgentCommand(
  args: readonly string[],
  opts: AgentOptions,
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = startAgent(args, opts);
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}
