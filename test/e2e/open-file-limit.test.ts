// Several inputs under a small `ulimit -n`: their maxOpenFiles together (256 each by default) exceed what the
// process may open. The agent says so once, at start, with the limit to raise, lowers each input's bound to its
// share, and reads everything (src/inputs/open-file-budget.ts).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, tsxLoader } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

function replayUnder(
  ulimit: number,
  dir: string,
  command = 'replay --no-progress -c cfg.yml a.log',
): { status: number | null; stdout: string; stderr: string } {
  const cmd = `ulimit -n ${ulimit} && exec "$0" --import "$1" "$2" ${command}`;
  const r = spawnSync(
    'bash',
    ['-c', cmd, process.execPath, tsxLoader, path.join(repoRoot, 'src/cli/main.ts')],
    { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, CASGUARD_CONFIG: '' } },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A folder with the IIS sample and a config of three inputs (two of them with nothing to read). */
function sampleDir(): string {
  const dir = tempDir('cg-nofile-');
  copyFileSync(path.join(repoRoot, 'samples', 'u_ex130919.log'), path.join(dir, 'a.log'));
  writeFileSync(
    path.join(dir, 'cfg.yml'),
    [
      'dataDir: ./data',
      'inputs:',
      "  - { id: one, paths: ['./a.log'] }",
      "  - { id: two, paths: ['./none-2/*.log'] }",
      "  - { id: three, paths: ['./none-3/*.log'] }",
      'outputs:',
      '  file: { path: ./out }',
      '  stdout: { alerts: false }',
    ].join('\n'),
  );
  return dir;
}

describe('open-file limit of the process', () => {
  it('lowers the inputs’ maxOpenFiles to fit ulimit -n, says so once, and reads everything', (t) => {
    const probe = spawnSync('bash', ['-c', 'ulimit -n 400 && ulimit -n']);
    if (probe.status !== 0 || probe.stdout.toString().trim() !== '400')
      return t.skip('cannot set ulimit -n 400 here');
    const dir = sampleDir();
    const r = replayUnder(400, dir);
    assert.equal(r.status, 0, r.stderr);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('open_files_above_process_limit'));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0]!, /may hold 768 open files .* limit of 400 \(ulimit -n\)/);
    assert.match(warnings[0]!, /each input now holds at most 112\b/);
    assert.doesNotMatch(r.stderr, /EMFILE|\n\s+at /);
    const lines = readFileSync(path.join(dir, 'a.log'), 'utf8')
      .split(/\r?\n/)
      .filter((l) => l !== '' && !l.startsWith('#')).length;
    const docs = readdirSync(path.join(dir, 'out'))
      .filter((n) => n.startsWith('activesync'))
      .map(
        (n) =>
          readFileSync(path.join(dir, 'out', n), 'utf8')
            .split('\n')
            .filter(Boolean).length,
      )
      .reduce((a, b) => a + b, 0);
    assert.equal(docs, lines);
    // A limit that fits all three: no warning.
    const roomy = replayUnder(768 + 64, sampleDir());
    assert.equal(roomy.status, 0, roomy.stderr);
    assert.match(roomy.stdout, /720 stored/);
    assert.doesNotMatch(roomy.stderr, /open_files_above_process_limit/);
  });

  it('`casguard test config` says the same before a start, and nothing when the limit is roomy', (t) => {
    const probe = spawnSync('bash', ['-c', 'ulimit -n 400 && ulimit -n']);
    if (probe.status !== 0 || probe.stdout.toString().trim() !== '400')
      return t.skip('cannot set ulimit -n 400 here');
    const r = replayUnder(400, sampleDir(), 'test config -c cfg.yml');
    assert.equal(r.status, 0, `a valid config whatever the limit: ${r.stderr}`);
    assert.match(r.stdout, /config OK/);
    const warning = r.stdout.split('\n').find((l) => l.includes('warning:'));
    assert.ok(warning, `no warning in: ${r.stdout}`);
    assert.match(warning, /may hold 768 open files .* limit of 400 \(ulimit -n\)/);
    assert.match(warning, /each input would hold at most 112\b/);
    const roomy = replayUnder(768 + 64, sampleDir(), 'test config -c cfg.yml');
    assert.equal(roomy.status, 0, roomy.stderr);
    assert.doesNotMatch(roomy.stdout, /warning:/);
  });
});
