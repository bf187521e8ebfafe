// Unreadable files and folders (issue 19 with issue 17): a `chmod 000` file in a watched folder and a folder
// that cannot be listed are each reported once (a named event, not one per rescan), counted in a gauge and held
// as a /health condition, which clears when they become readable; then their lines are read.
// The permission is real: as root (which chmod does not stop) the input runs in a child process as the
// unprivileged user `nobody` (setpriv); as any other user, the child runs as that user.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir, waitFor } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const NOBODY = 65534;

interface Out {
  log?: { event: string; path?: string; kind?: string };
  doc?: string;
  status?: { health: Record<string, { count?: number }>; gauge: string };
}

function runAsUnprivileged(): { cmd: string; prefix: string[] } | string {
  if (process.platform === 'win32') return 'POSIX permissions only';
  if (process.getuid?.() !== 0) return { cmd: process.execPath, prefix: [] };
  const probe = spawnSync('setpriv', [
    '--reuid',
    String(NOBODY),
    '--regid',
    String(NOBODY),
    '--clear-groups',
    'true',
  ]);
  if (probe.status !== 0) return 'running as root and setpriv cannot switch to nobody';
  return {
    cmd: 'setpriv',
    prefix: ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath],
  };
}

describe('unreadable files and folders', () => {
  const how = runAsUnprivileged();
  it(
    'are reported once each, degrade /health while they last, and are read once they can be',
    { skip: typeof how === 'string' ? how : false },
    async () => {
      if (typeof how === 'string') return;
      const tmp = await tempDir('casguard-unreadable-');
      const logs = path.join(tmp.dir, 'logs');
      const data = path.join(tmp.dir, 'data');
      const secret = path.join(logs, 'secret.log');
      const locked = path.join(logs, 'locked');
      try {
        await chmod(tmp.dir, 0o755);
        await mkdir(logs);
        await mkdir(locked);
        await mkdir(data);
        await writeFile(path.join(logs, 'open.log'), 'open-1\n');
        await writeFile(secret, 'secret-1\n');
        await writeFile(path.join(locked, 'inner.log'), 'inner-1\n');
        await chmod(secret, 0o000);
        await chmod(locked, 0o000);
        if (process.getuid?.() === 0) await chown(data, NOBODY, NOBODY);
        const child = spawn(
          how.cmd,
          [...how.prefix, '--import', 'tsx', path.join(here, 'unreadable-child.ts'), logs, data],
          {
            cwd: repo,
            stdio: ['pipe', 'pipe', 'inherit'],
          },
        );
        const seen: Out[] = [];
        const lines = createInterface({ input: child.stdout });
        lines.on('line', (l) => {
          try {
            seen.push(JSON.parse(l) as Out);
          } catch {
            // not ours
          }
        });
        const events = (name: string): Out['log'][] =>
          seen.filter((o) => o.log?.event === name).map((o) => o.log);
        const docs = (): string[] => seen.flatMap((o) => (o.doc ? [o.doc] : []));
        const lastStatus = (): Out['status'] => seen.filter((o) => o.status).at(-1)?.status;
        try {
          await waitFor(
            () => events('path_unreadable').length >= 2 && docs().includes('open-1'),
            20000,
            'reports',
          );
          await new Promise((r) => setTimeout(r, 1200)); // six rescans at 200 ms
          const reported = events('path_unreadable');
          assert.equal(reported.length, 2, 'once each, not once per rescan');
          assert.deepEqual(reported.map((e) => `${e!.kind}:${path.basename(e!.path!)}`).sort(), [
            'directory:locked',
            'file:secret.log',
          ]);
          assert.equal(events('watcher_error').length, 0, 'not called a watcher error');
          assert.equal(events('file_read_error').length, 0);
          const status = lastStatus()!;
          assert.equal(status.health['input:test:unreadable']?.count, 2, '/health is degraded');
          assert.match(status.gauge, /casguard_input_unreadable_paths\{input="test"\} 2/);
          assert.deepEqual(docs(), ['open-1']);

          await chmod(secret, 0o644);
          await chmod(locked, 0o755);
          await waitFor(() => docs().includes('secret-1') && docs().includes('inner-1'), 20000, 'the lines');
          await waitFor(
            () => lastStatus()?.health['input:test:unreadable'] === undefined,
            5000,
            '/health clears',
          );
          assert.equal(events('path_readable_again').length, 2);
          assert.match(lastStatus()!.gauge, /casguard_input_unreadable_paths\{input="test"\} 0/);
        } finally {
          child.stdin.end();
          await new Promise((r) => child.once('exit', r));
        }
      } finally {
        await chmod(secret, 0o644).catch(() => undefined);
        await chmod(locked, 0o755).catch(() => undefined);
        await tmp.cleanup();
      }
    },
  );
});
