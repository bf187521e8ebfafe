// Output on a terminal (issue 17), through a real pseudo-terminal (util-linux `script`): `replay` draws a
// progress bar and colours log levels; NO_COLOR, FORCE_COLOR=0 and TERM=dumb turn colour off. Skipped with a
// reason where `script` is missing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, tsxLoader } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

// eslint-disable-next-line no-control-regex -- looking for escape codes is the point
const COLOUR = /\x1b\[3\dm/; // an SGR foreground colour, as winston's colorize writes it

function onTerminal(env: Record<string, string>): { out: string; code: number | null } | string {
  if (process.platform === 'win32') return 'no pseudo-terminal tool on Windows';
  const probe = spawnSync('script', ['-qefc', 'true', '/dev/null'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return 'util-linux `script` is not available';
  const cwd = tempDir('cg-tty-');
  const cmd = [
    process.execPath,
    '--import',
    tsxLoader,
    path.join(repoRoot, 'src/cli/main.ts'),
    'replay',
    path.join(repoRoot, 'samples', 'u_ex130919.log'),
  ]
    .map((a) => JSON.stringify(a))
    .join(' ');
  const base = { ...process.env };
  delete base['NO_COLOR'];
  delete base['FORCE_COLOR'];
  const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...base, CASGUARD_CONFIG: '', TERM: 'xterm', ...env },
  });
  return { out: r.stdout + r.stderr, code: r.status };
}

describe('terminal output', () => {
  it('draws a progress bar and colours log levels on a terminal', (t) => {
    const r = onTerminal({});
    if (typeof r === 'string') return t.skip(r);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, COLOUR);
    // eslint-disable-next-line no-control-regex -- strips the terminal control sequences
    const plain = r.out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    assert.match(plain, /100% u_ex130919\.log 221 KiB\/221 KiB 724 records [\d.]+ (KiB|MiB)\/s ETA/);
  });

  for (const env of [{ NO_COLOR: '1' }, { FORCE_COLOR: '0' }, { TERM: 'dumb' }] as Record<string, string>[])
    it(`has no colour with ${Object.entries(env)[0]!.join('=')}`, (t) => {
      const r = onTerminal(env);
      if (typeof r === 'string') return t.skip(r);
      assert.equal(r.code, 0, r.out);
      assert.doesNotMatch(r.out, COLOUR);
      assert.match(r.out, /replay done/);
    });
});
