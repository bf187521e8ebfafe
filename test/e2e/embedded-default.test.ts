// The README's first command, as a newcomer meets it: sample logs dropped into ./inbox, `casguard run` with no
// config, documents under ./data/out within 30 s, the KB 2851708 alert printed, and SIGTERM ending the process
// within 5 s with nothing half-written.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, startAgent } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const samples = path.join(repoRoot, 'samples');

function dataLines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

/** Sample records: IIS lines that are not # directives, mailbox-log entries, one event per line in the XML export. */
function expectedCounts(): { activesync: number; application: number } {
  const iis = readFileSync(path.join(samples, 'u_ex130919.log'), 'utf8')
    .split('\r\n')
    .filter((l) => l !== '' && !l.startsWith('#'));
  const events = readFileSync(path.join(samples, 'Application-4999.xml'), 'utf8')
    .split('\r\n')
    .filter((l) => l.startsWith('<Event'));
  const entries =
    readFileSync(path.join(samples, 'EASMailboxLog_johndoe_iPad_ApplDMPGH8DWDFJ3.txt'), 'utf8').match(
      /^ Log Entry: \d+$/gm,
    ) ?? [];
  return { activesync: iis.length + entries.length, application: events.length };
}

describe('embedded default', () => {
  it('turns every sample line into a document within 30 s, prints the alert and stops cleanly on SIGTERM', async () => {
    const cwd = tempDir('cg-demo-');
    mkdirSync(path.join(cwd, 'inbox'));
    for (const f of readdirSync(samples)) copyFileSync(path.join(samples, f), path.join(cwd, 'inbox', f));
    const want = expectedCounts();
    const agent = startAgent(['run'], { cwd });
    const out = path.join(cwd, 'data/out');
    const started = Date.now();
    try {
      for (;;) {
        const a = dataLines(path.join(out, 'activesync.ndjson')).length;
        const w = dataLines(path.join(out, 'application.ndjson')).length;
        if (a >= want.activesync && w >= want.application) break;
        if (Date.now() - started > 30_000)
          assert.fail(
            `after 30 s: ${a}/${want.activesync} EAS and ${w}/${want.application} event documents\n${agent.stderr}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
      await agent.waitFor(/ALERT new (high|critical) .*KB 2851708/, 10_000);
    } finally {
      const killedAt = Date.now();
      agent.child.kill('SIGTERM');
      const code = await agent.exited;
      const tookMs = Date.now() - killedAt;
      assert.equal(code, 0, agent.stderr);
      assert.ok(tookMs < 5000, `stopped in ${tookMs} ms`);
    }
    // Nothing half-written: every line of every output file is a whole JSON document.
    for (const f of readdirSync(out)) {
      for (const line of dataLines(path.join(out, f))) {
        const hit = JSON.parse(line) as { _id: string; _index: string; _source: Record<string, unknown> };
        assert.ok(hit._id && hit._index && hit._source['@timestamp'], `${f}: ${line.slice(0, 120)}`);
      }
    }
    const eas = dataLines(path.join(out, 'activesync.ndjson')).map((l) => JSON.parse(l)._source);
    assert.equal(eas.length, want.activesync, 'exactly one document per IIS line and mailbox-log entry');
    const provision = eas.filter((d) => d.microsoft?.exchange?.activesync?.command === 'Provision');
    assert.ok(
      provision.length > 0 && provision.every((d) => d.microsoft.exchange.activesync.status === 110),
      'provision.length > 0 && provision.every((d) => d.microsoft.exchange.activesync.status === 110)',
    );
    const registry = path.join(cwd, 'data/registry/registry.json');
    assert.ok(existsSync(registry), 'checkpoints were written on stop');
  });
});
