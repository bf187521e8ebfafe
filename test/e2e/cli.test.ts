// The CLI as a user meets it: help, exit codes, `test config` on good and bad files.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, runAgentCommand } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('casguard CLI', () => {
  it('prints help for every command and exits 0', async () => {
    for (const args of [['--help'], ['run', '--help'], ['replay', '--help'], ['test', 'config', '--help']]) {
      const r = await runAgentCommand(args, { cwd: repoRoot });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: casguard/);
    }
  });

  it('exits 2 on an unknown command', async () => {
    const r = await runAgentCommand(['frobnicate'], { cwd: repoRoot });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
  });

  it('test config exits 0 on the example config', async () => {
    const r = await runAgentCommand(['test', 'config', '--config', 'config/casguard.example.yml'], {
      cwd: repoRoot,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /config OK/);
  });

  it('test config exits 1 and names every bad key path with its line', async () => {
    const dir = tempDir('cg-cli-');
    const file = path.join(dir, 'bad.yml');
    writeFileSync(
      file,
      [
        'dataDir: ./data',
        'inputs:',
        '  - id: iis',
        '    format: auto',
        'outputs:',
        '  file:',
        '    path: 42',
        '  stdot: {}',
        '',
      ].join('\n'),
    );
    const r = await runAgentCommand(['test', 'config', '--config', file], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+\\s+inputs\\[0\\]\\.paths\\s+required value is missing`,
      ),
    );
    assert.match(r.stderr, /:7:\d+\s+outputs\.file\.path\s+wrong type: expected a text, found the number 42/);
    assert.match(r.stderr, /:8:\d+\s+outputs\.stdot\s+unknown key 'stdot' \(did you mean 'stdout'\?\)/);
  });

  it('test config exits 1 when the file does not exist', async () => {
    const r = await runAgentCommand(['test', 'config', '--config', '/nonexistent/casguard.yml'], {
      cwd: repoRoot,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read config file \(ENOENT\)/);
  });
});
