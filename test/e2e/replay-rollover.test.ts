// Issue 13, finding 5: ids are unique per backing index only, so a `replay` of files shipped before a rollover
// would store every document a second time. `replay` asks the streams which ids they already hold (any backing
// index) and sends only the others. Measured here on the samples (724 documents in the two streams): with the
// check, 0 stored twice; with a key that may not read the streams (the check is skipped, with a warning), all
// 724 are stored twice: the figure the README gives.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import type { EsTestServer } from '../es-server/es-test-server.js';
import { raw } from '../es-server/test-helpers.js';
import { repoRoot, runAgentCommand } from '../helpers/agent-process.js';
import { WRITER_ROLE } from '../../src/setup/roles.js';
import { tempDir } from '../helpers/temp-dir.js';

const samples = [
  'u_ex130919.log',
  'Application-4999.xml',
  'EASMailboxLog_johndoe_iPad_ApplDMPGH8DWDFJ3.txt',
].map((f) => path.join(repoRoot, 'samples', f));
const STREAMS = ['logs-exchange.activesync-default', 'logs-exchange.application-default'];
const ADMIN = { username: 'elastic', password: 'pw-admin-1' };
const basic = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;

/** Stored copies in the two streams, and how many ids are stored more than once. */
function copies(es: EsTestServer): { stored: number; twice: number } {
  let stored = 0;
  let twice = 0;
  for (const s of STREAMS) {
    const docs = es.documents(s);
    stored += docs.length;
    twice += docs.length - new Set(docs.map((d) => d.id)).size;
  }
  return { stored, twice };
}

async function scenario(withRead: boolean): Promise<{ first: number; twice: number; out: string }> {
  const es = await startEsTestServer({ auth: ADMIN });
  try {
    const cwd = tempDir('cg-replay-rollover-');
    const adminEnv = {
      CASGUARD_ES_HOSTS: es.url,
      CASGUARD_ES_USERNAME: ADMIN.username,
      CASGUARD_ES_PASSWORD: ADMIN.password,
      CASGUARD_DATA_DIR: path.join(cwd, 'data'),
    };
    const setup = await runAgentCommand(['setup'], { cwd, env: adminEnv });
    assert.equal(setup.code, 0, setup.stdout + setup.stderr);
    // The README's writer role (src/setup/roles.ts), with `read` on the streams or without.
    const role = {
      cluster: [],
      indices: WRITER_ROLE.indices.map((i) =>
        i.names.some((n) => n.startsWith('logs-')) && withRead
          ? { names: [...i.names], privileges: [...i.privileges, 'read'] }
          : { names: [...i.names], privileges: [...i.privileges] },
      ),
    };
    for (const [p, body] of [
      ['/_security/role/writer', role],
      ['/_security/user/writer', { password: 'pw-writer-1', roles: ['writer'] }],
    ] as const) {
      const r = await raw(es.url, 'PUT', p, body, { authorization: basic });
      assert.equal(r.status, 200, r.text);
    }
    const env = { ...adminEnv, CASGUARD_ES_USERNAME: 'writer', CASGUARD_ES_PASSWORD: 'pw-writer-1' };

    const r1 = await runAgentCommand(['replay', ...samples], { cwd, env });
    assert.equal(r1.code, 0, r1.stdout + r1.stderr);
    const first = copies(es).stored;
    for (const s of STREAMS) {
      const r = await raw(es.url, 'POST', `/${s}/_rollover`, undefined, { authorization: basic });
      assert.equal(r.status, 200, r.text);
    }
    const r2 = await runAgentCommand(['replay', ...samples], { cwd, env });
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    return { first, twice: copies(es).twice, out: r2.stdout + r2.stderr };
  } finally {
    await es.stop();
  }
}

describe('replay across a rollover', () => {
  it('stores nothing twice when the key may read the streams', async () => {
    const r = await scenario(true);
    assert.equal(r.first, 724);
    assert.equal(r.twice, 0, r.out);
    assert.match(r.out, /724 document\(s\) were already stored in Elasticsearch \(in some backing index\)/);
  });

  it('without read on the streams, warns and stores every document of the second replay again', async () => {
    const r = await scenario(false);
    assert.equal(r.first, 724);
    assert.equal(r.twice, 724, 'what remains without the check: every document re-sent after the rollover');
    assert.match(r.out, /replay cannot check which documents the cluster already holds/);
  });
});
