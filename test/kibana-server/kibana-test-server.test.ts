// The Kibana test server answers as Kibana does (each expectation cites the Kibana behaviour it stands for; see
// the header of kibana-test-server.ts), so tests of casguard's importer against it mean something.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startKibanaTestServer, SUPERUSER, type KibanaTestServer } from './kibana-test-server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are parsed JSON checked field by field
type Json = any;

const KEY = Buffer.from('id1:secret1').toString('base64');
const READER = Buffer.from('id2:secret2').toString('base64');

function form(filename: string, content: string): { body: Buffer; type: string } {
  const b = 'XyZ123';
  return {
    type: `multipart/form-data; boundary=${b}`,
    body: Buffer.from(
      `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/ndjson\r\n\r\n${content}\r\n--${b}--\r\n`,
    ),
  };
}

async function call(
  url: string,
  opts: {
    method?: string;
    key?: string | null;
    xsrf?: boolean;
    file?: [string, string];
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key !== null) headers['authorization'] = `ApiKey ${opts.key ?? KEY}`;
  if (opts.xsrf !== false) headers['kbn-xsrf'] = 'test';
  let body: Buffer | undefined;
  if (opts.file) {
    const f = form(...opts.file);
    headers['content-type'] = f.type;
    body = f.body;
  }
  const res = await fetch(url, {
    method: opts.method ?? (body ? 'POST' : 'GET'),
    headers,
    ...(body ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

const dv = (id: string): string =>
  JSON.stringify({
    type: 'index-pattern',
    id,
    attributes: { title: `${id}-*` },
    references: [],
    typeMigrationVersion: '8.0.0',
  });
const lens = (id: string, dataView: string): string =>
  JSON.stringify({
    type: 'lens',
    id,
    attributes: { title: id },
    references: [{ type: 'index-pattern', id: dataView, name: 'indexpattern-datasource-layer-l1' }],
    typeMigrationVersion: '8.9.0',
  });
const rule = (ruleId: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    rule_id: ruleId,
    name: ruleId,
    description: 'd',
    risk_score: 21,
    severity: 'low',
    type: 'query',
    query: '*',
    language: 'kuery',
    ...extra,
  });

describe('Kibana test server', () => {
  let k: KibanaTestServer;
  before(async () => {
    k = await startKibanaTestServer({
      version: '8.11.0',
      spaces: ['soc'],
      apiKeys: {
        [KEY]: SUPERUSER,
        [READER]: { spaces: ['default'], savedObjects: 'read', securitySolution: 'read' },
      },
    });
  });
  after(() => k.stop());

  it('authenticates before anything else: 401 Boom body without or with a wrong key', async () => {
    const none = await call(`${k.url}/api/status`, { key: null });
    assert.deepEqual(none, {
      status: 401,
      body: { statusCode: 401, error: 'Unauthorized', message: 'Unauthorized' },
    });
    const wrong = await call(`${k.url}/api/saved_objects/_import`, {
      key: 'bm9wZTpub3Bl',
      xsrf: false,
      file: ['a.ndjson', ''],
    });
    assert.equal(wrong.status, 401, 'auth is checked before the xsrf header');
  });

  it('refuses a POST without kbn-xsrf (400) and accepts kbn-version instead', async () => {
    const r = await call(`${k.url}/api/saved_objects/_import`, { xsrf: false, file: ['a.ndjson', dv('x1')] });
    assert.deepEqual(r, {
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'Request must contain a kbn-xsrf header.' },
    });
    const v = await call(`${k.url}/api/saved_objects/_import`, {
      xsrf: false,
      headers: { 'kbn-version': '8.11.0' },
      file: ['a.ndjson', dv('x1')],
    });
    assert.equal(v.status, 200);
  });

  it('reports the version on /api/status', async () => {
    const r = await call(`${k.url}/api/status`);
    assert.equal(r.body.version.number, '8.11.0');
  });

  it('takes only .ndjson files and only multipart bodies', async () => {
    const r = await call(`${k.url}/api/saved_objects/_import`, { file: ['export.json', dv('x')] });
    assert.deepEqual(r.body, {
      statusCode: 400,
      error: 'Bad Request',
      message: 'Invalid file extension .json',
    });
    const res = await fetch(`${k.url}/api/saved_objects/_import`, {
      method: 'POST',
      headers: { authorization: `ApiKey ${KEY}`, 'kbn-xsrf': 'x', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 415);
  });

  it('imports, then answers a re-import without overwrite with conflict errors and writes nothing', async () => {
    const file = [dv('c-dv'), lens('c-lens', 'c-dv')].join('\n');
    const first = await call(`${k.url}/api/saved_objects/_import`, { file: ['a.ndjson', file] });
    assert.equal(first.body.success, true);
    assert.equal(first.body.successCount, 2);
    assert.deepEqual(first.body.warnings, []);
    assert.equal(
      first.body.errors,
      undefined,
      'no errors key when there are none (Kibana spreads it only when non-empty)',
    );
    const again = await call(`${k.url}/api/saved_objects/_import`, { file: ['a.ndjson', file] });
    assert.equal(again.body.success, false);
    assert.deepEqual(
      again.body.errors.map((e: Json) => [e.type, e.id, e.error.type]),
      [
        ['index-pattern', 'c-dv', 'conflict'],
        ['lens', 'c-lens', 'conflict'],
      ],
    );
    const over = await call(`${k.url}/api/saved_objects/_import?overwrite=true`, {
      file: ['a.ndjson', file],
    });
    assert.equal(over.body.success, true);
    assert.ok(
      over.body.successResults.every((s: Json) => s.overwrite === true),
      'over.body.successResults.every((s: Json) => s.overwrite === true)',
    );
  });

  it('reports missing data view references and then creates NOTHING, yet lists the rest in successResults', async () => {
    const before = k.objects().size;
    const r = await call(`${k.url}/api/saved_objects/_import?overwrite=true`, {
      file: ['a.ndjson', [dv('m-dv'), lens('m-ok', 'm-dv'), lens('m-broken', 'nowhere')].join('\n')],
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.success, false);
    assert.equal(r.body.successCount, 2);
    assert.deepEqual(r.body.errors, [
      {
        id: 'm-broken',
        type: 'lens',
        meta: { title: 'm-broken', icon: 'lensApp' },
        error: { type: 'missing_references', references: [{ type: 'index-pattern', id: 'nowhere' }] },
      },
    ]);
    assert.equal(k.objects().size, before, 'nothing was written');
  });

  it('does not validate references to other types (a dashboard naming a missing lens is created)', async () => {
    const d = JSON.stringify({
      type: 'dashboard',
      id: 'd-only',
      attributes: { title: 'd', panelsJSON: '[]' },
      references: [{ type: 'lens', id: 'not-there', name: 'p1:panel_p1' }],
      typeMigrationVersion: '8.9.0',
    });
    const r = await call(`${k.url}/api/saved_objects/_import?overwrite=true`, { file: ['a.ndjson', d] });
    assert.equal(r.body.success, true);
  });

  it('fails an unsupported type alone (unresolvable) and still creates the rest', async () => {
    const r = await call(`${k.url}/api/saved_objects/_import?overwrite=true`, {
      file: [
        'a.ndjson',
        [dv('u-dv'), JSON.stringify({ type: 'wigwags', id: 'w1', attributes: { title: 'w' } })].join('\n'),
      ],
    });
    assert.equal(r.body.success, false);
    assert.deepEqual(r.body.errors[0].error, { type: 'unsupported_type' });
    assert.ok(k.objects().has('index-pattern:u-dv'), "k.objects().has('index-pattern:u-dv')");
  });

  it('fails a dashboard attribute the 8.9.0 create schema forbids as an unknown error', async () => {
    const d = JSON.stringify({
      type: 'dashboard',
      id: 'd-bad',
      attributes: { title: 'd', nonsense: 1 },
      references: [],
      typeMigrationVersion: '8.9.0',
    });
    const r = await call(`${k.url}/api/saved_objects/_import?overwrite=true`, { file: ['a.ndjson', d] });
    assert.equal(r.body.errors[0].error.type, 'unknown');
    assert.match(r.body.errors[0].error.message, /attributes\.nonsense/);
  });

  it('refuses objects newer than it knows with 422 for the whole request', async () => {
    const d = JSON.stringify({
      type: 'dashboard',
      id: 'd-new',
      attributes: { title: 'd' },
      references: [],
      typeMigrationVersion: '10.3.0',
    });
    const r = await call(`${k.url}/api/saved_objects/_import?overwrite=true`, { file: ['a.ndjson', d] });
    assert.equal(r.status, 422);
    assert.match(r.body.message, /belongs to a more recent version of Kibana \[10\.3\.0\]/);
  });

  it('accepts an import into a space that does not exist (as Kibana does), while the spaces API says 404', async () => {
    const r = await call(`${k.url}/s/ghost/api/saved_objects/_import`, { file: ['a.ndjson', dv('g-dv')] });
    assert.equal(r.body.success, true);
    assert.ok(k.objects('ghost').has('index-pattern:g-dv'), "k.objects('ghost').has('index-pattern:g-dv')");
    assert.equal((await call(`${k.url}/api/spaces/space/ghost`)).status, 404);
    assert.equal((await call(`${k.url}/api/spaces/space/soc`)).status, 200);
  });

  it('gives an id taken in another space a new destinationId (multiple-isolated types)', async () => {
    await call(`${k.url}/api/saved_objects/_import?overwrite=true`, { file: ['a.ndjson', dv('shared-dv')] });
    const r = await call(`${k.url}/s/soc/api/saved_objects/_import?overwrite=true`, {
      file: ['a.ndjson', dv('shared-dv')],
    });
    assert.equal(r.body.success, true);
    assert.match(r.body.successResults[0].destinationId, /^[0-9a-f-]{36}$/);
  });

  it('answers 403 to a role without saved-object write privileges or outside its spaces', async () => {
    const r = await call(`${k.url}/api/saved_objects/_import?overwrite=true`, {
      key: READER,
      file: ['a.ndjson', dv('r-dv')],
    });
    assert.deepEqual(r.body, {
      statusCode: 403,
      error: 'Forbidden',
      message: 'Unable to bulk_create index-pattern, missing saved_object:index-pattern/bulk_create',
    });
    const rules = await call(`${k.url}/api/detection_engine/rules/_import?overwrite=true`, {
      key: READER,
      file: ['r.ndjson', rule('r0')],
    });
    assert.equal(rules.status, 403);
    assert.match(
      rules.body.message,
      /is unauthorized for user, this action is granted by the Kibana privileges \[securitySolution\]/,
    );
  });

  it('imports rules: counts, a duplicate rule_id, an existing rule without overwrite (409), missing fields', async () => {
    const url = `${k.url}/api/detection_engine/rules/_import`;
    const first = await call(url, { file: ['r.ndjson', [rule('r1'), rule('r2')].join('\n')] });
    assert.equal(first.body.success, true);
    assert.equal(first.body.success_count, 2);
    assert.equal(first.body.rules_count, 2);
    const again = await call(url, {
      file: ['r.ndjson', [rule('r1'), rule('r3'), rule('r3'), rule('r4', { name: undefined })].join('\n')],
    });
    assert.equal(again.body.success, false);
    assert.equal(again.body.success_count, 0);
    assert.deepEqual(again.body.errors, [
      { rule_id: 'r1', error: { status_code: 409, message: 'rule_id: "r1" already exists' } },
      { rule_id: 'r3', error: { status_code: 400, message: 'More than one rule with rule-id: "r3" found' } },
      { rule_id: 'r4', error: { status_code: 400, message: 'name: Required' } },
    ]);
    const over = await call(`${url}?overwrite=true`, { file: ['r.ndjson', rule('r1')] });
    assert.equal(over.body.success, true);
    const ext = await call(url, { file: ['r.json', rule('r9')] });
    assert.deepEqual(ext, {
      status: 400,
      body: { message: 'Invalid file extension .json', status_code: 400 },
    });
    const found = await call(`${k.url}/api/detection_engine/rules?rule_id=r1`);
    assert.equal(found.body.rule_id, 'r1');
    const missing = await call(`${k.url}/api/detection_engine/rules?rule_id=zz`);
    assert.deepEqual(missing, {
      status: 404,
      body: { message: 'rule_id: "zz" not found', status_code: 404 },
    });
  });

  it('skips the export-details line of either export', async () => {
    const r = await call(`${k.url}/api/saved_objects/_import?overwrite=true`, {
      file: [
        'a.ndjson',
        [dv('e-dv'), JSON.stringify({ exportedCount: 1, missingRefCount: 0, missingReferences: [] })].join(
          '\n',
        ),
      ],
    });
    assert.equal(r.body.successCount, 1);
    const rr = await call(`${k.url}/api/detection_engine/rules/_import?overwrite=true`, {
      file: [
        'r.ndjson',
        [rule('e1'), JSON.stringify({ exported_count: 1, exported_rules_count: 1 })].join('\n'),
      ],
    });
    assert.equal(rr.body.rules_count, 1);
  });
});
