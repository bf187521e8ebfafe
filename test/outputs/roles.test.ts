// Issue 13, finding 4: the two roles of the README, created on the test server (with security on) exactly as
// the README writes them, give keys with which `test output` predicts what `run`/`replay` and `setup` then do:
// a writer-only key passes every check `run` needs and nothing is a failure; `setup` with it fails as predicted;
// a setup key sets up; a key lacking create_index on the streams is predicted to fail setup, and does.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import type { EsTestServer, RoleDescriptor } from '../es-server/es-test-server.js';
import { raw } from '../es-server/test-helpers.js';
import { repoRoot, runAgentCommand } from '../helpers/agent-process.js';
import { SETUP_ROLE, WRITER_ROLE } from '../../src/setup/roles.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The IIS sample's request lines (not its `#` header lines): one document each. */
const SAMPLE_LINES = readFileSync(path.join(repoRoot, 'samples', 'u_ex130919.log'), 'utf8')
  .split(/\r?\n/)
  .filter((l) => l !== '' && !l.startsWith('#')).length;

/** The JSON body that follows `PUT /_security/role/<name>` in the README. */
function readmeRole(name: string): RoleDescriptor {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf(`PUT /_security/role/${name}\n`);
  assert.ok(start >= 0, `README has PUT /_security/role/${name}`);
  const body = readme.slice(readme.indexOf('\n', start) + 1, readme.indexOf('```', start));
  return JSON.parse(body) as RoleDescriptor;
}

const samples = ['u_ex130919.log', 'Application-4999.xml'].map((f) => path.join(repoRoot, 'samples', f));
const ADMIN = { username: 'elastic', password: 'pw-elastic-1' };

describe('the README roles and casguard test output', () => {
  let es: EsTestServer;
  let cwd: string;
  const env = (user: string): Record<string, string> => ({
    CASGUARD_ES_HOSTS: es.url,
    CASGUARD_ES_USERNAME: user,
    CASGUARD_ES_PASSWORD: `pw-${user}`,
    CASGUARD_DATA_DIR: path.join(cwd, `data-${user}`),
  });
  const put = async (p: string, body: unknown): Promise<void> => {
    const auth = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
    const r = await raw(es.url, 'PUT', p, body, { authorization: auth });
    assert.equal(r.status, 200, `${p}: ${r.text}`);
  };

  before(async () => {
    es = await startEsTestServer({ version: '9.1.0', auth: ADMIN });
    cwd = tempDir('cg-roles-');
    await put('/_security/role/casguard_writer', readmeRole('casguard_writer'));
    await put('/_security/role/casguard_setup', readmeRole('casguard_setup'));
    // The setup role without `manage` on the streams: it may read them, not create them.
    const noCreate = structuredClone(readmeRole('casguard_setup'));
    noCreate.indices![0]!.privileges = ['view_index_metadata'];
    await put('/_security/role/setup_without_create_index', noCreate);
    for (const [user, role] of [
      ['writer', 'casguard_writer'],
      ['setupper', 'casguard_setup'],
      ['nocreate', 'setup_without_create_index'],
    ] as const)
      await put(`/_security/user/${user}`, { password: `pw-${user}`, roles: [role] });
  });
  after(async () => {
    await es.stop();
  });

  it('README roles are the ones test output checks', () => {
    assert.deepEqual(readmeRole('casguard_writer'), WRITER_ROLE);
    assert.deepEqual(readmeRole('casguard_setup'), SETUP_ROLE);
  });

  it('with a key lacking create_index on the streams, setup is predicted to fail and does', async () => {
    const t = await runAgentCommand(['test', 'output'], { cwd, env: env('nocreate') });
    assert.match(
      t.stdout,
      /note {4}privileges for setup: casguard setup would fail with these credentials: needs logs-exchange\.activesync-default:create_index/,
    );
    const s = await runAgentCommand(['setup'], { cwd, env: env('nocreate') });
    assert.equal(s.code, 3, s.stdout + s.stderr);
    assert.match(
      s.stderr,
      /setup FAILED: setup of data_stream logs-exchange\.activesync-default failed: HTTP 403/,
    );
  });

  it('a setup key sets up; test output says run would fail with it', async () => {
    const s = await runAgentCommand(['setup'], { cwd, env: env('setupper') });
    assert.equal(s.code, 0, s.stdout + s.stderr);
    const t = await runAgentCommand(['test', 'output'], { cwd, env: env('setupper') });
    assert.equal(t.code, 3, t.stdout + t.stderr);
    assert.match(
      t.stderr,
      /FAILED {2}privileges for run: casguard run would fail: setupper lacks .*create_doc/,
    );
    assert.match(t.stderr, /PUT \/_security\/role\/casguard_writer \{"cluster":\[\],"indices"/);
    assert.match(t.stdout, /ok {6}privileges for setup: may install/);
  });

  it('a writer-only key passes every check run needs, nothing else is a failure, and replay ships with it', async () => {
    const t = await runAgentCommand(['test', 'output'], { cwd, env: env('writer') });
    assert.equal(t.code, 0, t.stdout + t.stderr);
    assert.doesNotMatch(t.stdout + t.stderr, /FAILED/);
    assert.deepEqual(
      t.stdout
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith(' '))
        .map((l) => l.split(':')[0]),
      [
        'ok      connect',
        'note    version',
        'ok      privileges for run',
        'note    privileges for replay',
        'note    privileges for setup',
        'note    data streams',
        'output OK',
      ],
    );
    assert.match(t.stdout, /casguard setup would fail with these credentials: needs cluster:manage_ilm/);

    // What test output promised: run's writes (documents, alerts, new fields) all go through with this key.
    const r = await runAgentCommand(['replay', ...samples], { cwd, env: env('writer') });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(es.docs('logs-exchange.activesync-default').size, SAMPLE_LINES);
    assert.equal(es.docs('logs-exchange.application-default').size, 2);
    assert.ok(es.docs('casguard-alerts-default').size > 0, "es.docs('casguard-alerts-default').size > 0");
    assert.equal(es.stats.itemsByStatus[403] ?? 0, 0, 'no item was refused for privileges');

    const s = await runAgentCommand(['setup'], { cwd, env: env('writer') });
    assert.equal(s.code, 3, 'setup fails with the writer key, as predicted');
  });
});
