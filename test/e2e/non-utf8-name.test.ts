// The real agent (`casguard run`, embedded default) with an IIS log whose file name is not valid UTF-8 (Latin-1
// `é` as the single byte 0xE9, as a copy from an old Windows share can leave it): every line becomes a document
// whose log.file.path shows the bad byte as U+FFFD, the agent logs once that the name is not UTF-8 (with the byte
// as \xE9), and after a stop, two appended lines and a start, exactly those two lines are shipped.
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, startAgent } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const sample = path.join(repoRoot, 'samples', 'u_ex130919.log');

function documents(cwd: string): { _id: string; _source: { log: { file: { path: string } } } }[] {
  const file = path.join(cwd, 'data/out/activesync.ndjson');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { _id: string; _source: { log: { file: { path: string } } } });
}

async function runUntil(cwd: string, want: number): Promise<string> {
  const agent = startAgent(['--log-level', 'info', 'run'], { cwd });
  try {
    const deadline = Date.now() + 30_000;
    while (documents(cwd).length < want) {
      if (Date.now() > deadline || agent.child.exitCode !== null)
        assert.fail(`${documents(cwd).length}/${want} documents\n${agent.stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1500)); // the checkpoint commit, and nothing more arrives
  } finally {
    agent.child.kill('SIGTERM');
    assert.equal(await agent.exited, 0, agent.stderr);
  }
  return agent.stdout + agent.stderr;
}

describe('a file name that is not valid UTF-8, through the agent', () => {
  it('is read, shown with U+FFFD in documents, logged once, and resumed after a restart', async () => {
    if (process.platform === 'win32') return; // NTFS names are UTF-16
    const cwd = tempDir('cg-non-utf8-');
    try {
      const inbox = path.join(cwd, 'inbox');
      mkdirSync(inbox);
      const raw = Buffer.concat([
        Buffer.from(`${inbox}/u_ex130919-caf`),
        Buffer.from([0xe9]),
        Buffer.from('.log'),
      ]);
      copyFileSync(sample, raw);
      const lines = readFileSync(sample, 'utf8')
        .split('\r\n')
        .filter((l) => l !== '' && !l.startsWith('#'));

      const out1 = await runUntil(cwd, lines.length);
      const first = documents(cwd);
      assert.equal(first.length, lines.length, 'one document per line');
      const shown = path.join(inbox, 'u_ex130919-caf\ufffd.log');
      assert.ok(
        first.every((d) => d._source.log.file.path === shown),
        'first.every((d) => d._source.log.file.path === shown)',
      );
      const reports = out1.split('\n').filter((l) => l.includes('file_name_not_utf8'));
      assert.equal(reports.length, 1, out1);
      assert.ok(reports[0]!.includes('u_ex130919-caf\\xe9.log'), reports[0]);

      const last = lines.at(-1)!;
      appendFileSync(raw, `${last}\r\n${last}\r\n`);
      await runUntil(cwd, lines.length + 2);
      const all = documents(cwd);
      assert.equal(all.length, lines.length + 2, 'only the two appended lines after the restart');
      assert.equal(new Set(all.map((d) => d._id)).size, all.length, 'no document twice');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
