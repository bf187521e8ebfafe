// The inputs' file handles against the process's open-file limit. Each input holds at most `maxOpenFiles` handles
// (handle-pool.ts), 256 by default; several inputs under a small `ulimit -n` (1,024 is the usual soft limit of a
// shell; the systemd unit sets LimitNOFILE=65536) could together ask for more descriptors than the process may
// open, and then reads, spool and registry writes and connections fail with EMFILE at random. At start the
// inputs' bounds are lowered to fit, with one warning that says which limit to raise. Windows has no such
// per-process limit (its handle table grows), so nothing is read there.

import { readFileSync } from 'node:fs';

/** Descriptors kept for the agent's own files and sockets (logs, registry, spool, dead letters, connections). */
export const AGENT_OWN_DESCRIPTORS = 64;

/** The soft limit of open files of this process (`Max open files` in /proc/self/limits); undefined if unknown. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    if (process.platform !== 'linux') return undefined;
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m || m[1] === 'unlimited') return undefined;
  const n = Number(m[1]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export interface OpenFileBudget {
  /** Each input's bound, lowered where needed (the same order as given). */
  readonly maxOpenFiles: readonly number[];
  /** Set when a bound was lowered: the share each input may hold. */
  readonly perInput?: number;
}

/** Fits the inputs' `maxOpenFiles` under `limit` minus what the agent keeps for itself. */
export function fitOpenFiles(requested: readonly number[], limit: number | undefined): OpenFileBudget {
  const total = requested.reduce((a, b) => a + b, 0);
  if (limit === undefined || requested.length === 0 || total + AGENT_OWN_DESCRIPTORS <= limit)
    return { maxOpenFiles: requested };
  const perInput = Math.max(1, Math.floor((limit - AGENT_OWN_DESCRIPTORS) / requested.length));
  return { maxOpenFiles: requested.map((n) => Math.min(n, perInput)), perInput };
}
