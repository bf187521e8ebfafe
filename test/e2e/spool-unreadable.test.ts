// Issue 19 finding 6 where a user met it: a spool segment that cannot be opened (here a folder under a
// segment's name: EISDIR) crashed the agent at every start, with 46,000 documents stuck behind it. Now the
// real agent sets it aside with a named event and ships as usual.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { repoRoot, startAgent } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('an unreadable spool segment under the real agent', () => {
  it('is set aside and reported; the agent starts, ships and stops with exit 0', async (t) => {
    const es = await startEsTestServer();
    t.after(() => es.stop());
    const cwd = tempDir('cg-spool-eisdir-');
    mkdirSync(path.join(cwd, 'inbox'));
    for (const f of readdirSync(path.join(repoRoot, 'samples')))
      copyFileSync(path.join(repoRoot, 'samples', f), path.join(cwd, 'inbox', f));
    const spool = path.join(cwd, 'data', 'spool', 'elasticsearch');
    mkdirSync(path.join(spool, 'seg-000000000001-46000.ndjson'), { recursive: true });
    const agent = startAgent(['run'], { cwd, env: { CASGUARD_ES_HOSTS: es.url } });
    await agent.waitFor(/casguard started/, 60_000);
    const until = Date.now() + 30_000;
    while (es.totalDocs() < 240 && Date.now() < until && agent.child.exitCode === null)
      await new Promise((r) => setTimeout(r, 200));
    assert.equal(agent.child.exitCode, null, `the agent is running\n${agent.stderr.slice(-1500)}`);
    assert.ok(es.totalDocs() >= 240, `${es.totalDocs()} documents shipped`);
    agent.child.kill('SIGTERM');
    assert.equal(await agent.exited, 0, agent.stderr.slice(-1500));
    assert.match(agent.stderr, /spool segment cannot be read; it was set aside/);
    assert.match(agent.stderr, /documents=46000/);
    assert.deepEqual(readdirSync(path.join(spool, 'set-aside')), ['seg-000000000001-46000.ndjson']);
  });
});
