// Which checkpoint a file's first bytes belong to: matchLen → matchHash → fingerprint over one input's
// checkpoints. A file is looked up by hashing its head at every covered length (one incremental pass), longest
// first, so a file first seen small is still recognised once it has grown.

import { prefixHashes } from './file-identity.js';
import type { Checkpoint, Registry } from './registry.js';

export class CheckpointIndex {
  private readonly byLen = new Map<number, Map<string, string>>();

  constructor(
    private readonly inputId: string,
    private readonly registry: Registry,
  ) {
    for (const cp of registry.entries(inputId)) this.add(cp);
  }

  /**
   * The reader key of a fingerprint: the fingerprint itself, since readers, paths and this index belong to one
   * input (a key with the input id in it was one more string per file, 20,000 of them in a large tree).
   */
  keyOf(fingerprint: string): string {
    return fingerprint;
  }

  find(head: Buffer): Checkpoint | undefined {
    const lengths = [...this.byLen.keys()].filter((n) => n <= head.length);
    if (lengths.length === 0) return undefined;
    const hashes = prefixHashes(head, lengths);
    lengths.sort((a, b) => b - a);
    for (const len of lengths) {
      const fp = this.byLen.get(len)?.get(hashes.get(len)!);
      if (fp) {
        const cp = this.registry.get(this.inputId, fp);
        if (cp) return cp;
      }
    }
    return undefined;
  }

  add(cp: Checkpoint): void {
    let m = this.byLen.get(cp.matchLen);
    if (!m) this.byLen.set(cp.matchLen, (m = new Map<string, string>()));
    m.set(cp.matchHash, cp.fingerprint);
  }

  remove(cp: Checkpoint): void {
    const m = this.byLen.get(cp.matchLen);
    if (m?.get(cp.matchHash) === cp.fingerprint) {
      m.delete(cp.matchHash);
      if (m.size === 0) this.byLen.delete(cp.matchLen);
    }
  }
}
