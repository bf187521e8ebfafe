// Security as Elasticsearch answers it: 401 with its challenges, 403 naming the action, the API key and the
// privileges that would grant it, per bulk item where Elasticsearch refuses per item, and _has_privileges from
// the real grants of the Elasticsearch privilege names (IndexPrivilege, ClusterPrivilegeResolver).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEsTestServer } from './es-test-server.js';
import type { EsTestServer, RoleDescriptor } from './es-test-server.js';
import { apiKeyHeader, assertError, basic, client8, ndjson, raw, bulk } from './test-helpers.js';

const ts = '2013-09-19T14:02:12Z';
const STREAMS = ['logs-exchange.activesync-*', 'logs-exchange.application-*'];

/** What casguard's `run` needs: create documents in its streams (auto-creating them), index alerts. */
const WRITER: Record<string, RoleDescriptor> = {
  casguard_writer: {
    cluster: [],
    indices: [
      { names: STREAMS, privileges: ['create_doc', 'auto_configure'] },
      { names: ['casguard-alerts-*'], privileges: ['index', 'auto_configure'] },
    ],
  },
};
/** What casguard's `setup` needs. */
const SETUP: Record<string, RoleDescriptor> = {
  casguard_setup: {
    cluster: ['monitor', 'manage_index_templates', 'manage_ilm'],
    indices: [
      {
        names: [...STREAMS, 'casguard-alerts-*'],
        privileges: ['create_index', 'view_index_metadata', 'manage'],
      },
    ],
  },
};

describe('security: authentication, authorization, _has_privileges', () => {
  let es: EsTestServer;
  let writer: string;
  let setup: string;
  before(async () => {
    es = await startEsTestServer({ version: '9.1.0', security: { anonymous: false } });
    writer = es.createApiKey(WRITER, { name: 'writer' }).encoded;
    setup = es.createApiKey(SETUP, { name: 'setup' }).encoded;
  });
  after(async () => {
    await es.stop();
  });

  it('answers 401 with the challenges when credentials are missing or wrong', async () => {
    const none = await raw(es.url, 'GET', '/_cluster/health?pretty');
    assertError(
      none,
      401,
      'security_exception',
      /missing authentication credentials for REST request \[\/_cluster\/health\?pretty\]/,
    );
    const challenges = none.rawHeaders.filter(
      (_, i) => i % 2 === 1 && none.rawHeaders[i - 1]!.toLowerCase() === 'www-authenticate',
    );
    assert.deepEqual(challenges, [
      'Basic realm="security", charset="UTF-8"',
      'Bearer realm="security"',
      'ApiKey',
    ]);
    assert.deepEqual(none.json.error.header['WWW-Authenticate'], [
      'Basic realm="security", charset="UTF-8"',
      'Bearer realm="security"',
      'ApiKey',
    ]);
    const wrong = await raw(es.url, 'GET', '/', undefined, basic('elastic', 'nope'));
    assertError(
      wrong,
      401,
      'security_exception',
      /unable to authenticate user \[elastic\] for REST request \[\/\]/,
    );
    const key = await raw(
      es.url,
      'GET',
      '/',
      undefined,
      apiKeyHeader(Buffer.from('nokey:secret').toString('base64')),
    );
    assertError(
      key,
      401,
      'security_exception',
      /unable to authenticate with provided credentials and anonymous access is not allowed/,
    );
    assert.equal(
      key.json.error.additional_unsuccessful_credentials,
      'API key: unable to find apikey with id nokey',
    );
    const id = writer ? Buffer.from(writer, 'base64').toString().split(':')[0]! : '';
    const badSecret = await raw(
      es.url,
      'GET',
      '/',
      undefined,
      apiKeyHeader(Buffer.from(`${id}:wrong`).toString('base64')),
    );
    assert.equal(
      badSecret.json.error.additional_unsuccessful_credentials,
      `API key: invalid credentials for API key [${id}]`,
    );
  });

  it('lets a writer-only key create documents and auto-create its streams, and nothing else', async () => {
    const c = client8(es.url, { auth: { apiKey: writer } });
    const r = await bulk(
      c,
      ndjson([{ index: 'logs-exchange.activesync-default', id: 'a', doc: { '@timestamp': ts } }]),
    );
    assert.equal(r.items[0].create.status, 201, JSON.stringify(r.items[0]));
    // GET / is cluster:monitor/main: the monitor cluster privilege, which a writer does not need.
    const info = await raw(es.url, 'GET', '/', undefined, apiKeyHeader(writer));
    assertError(
      info,
      403,
      'security_exception',
      /^.*action \[cluster:monitor\/main\] is unauthorized for API key id \[[^\]]+\] of user \[elastic\], this action is granted by the cluster privileges \[monitor,manage,all\]/,
    );
    const t = await raw(
      es.url,
      'PUT',
      '/_index_template/x',
      { index_patterns: ['x-*'] },
      apiKeyHeader(writer),
    );
    assertError(
      t,
      403,
      'security_exception',
      /action \[indices:admin\/index_template\/put\] is unauthorized .* granted by the cluster privileges \[manage_index_templates,manage,all\]/,
    );
    const p = await raw(es.url, 'PUT', '/_ilm/policy/x', { policy: { phases: {} } }, apiKeyHeader(writer));
    assertError(
      p,
      403,
      'security_exception',
      /action \[cluster:admin\/ilm\/put\] .* \[manage_ilm,manage,all\]/,
    );
    const ro = await raw(
      es.url,
      'POST',
      '/logs-exchange.activesync-default/_rollover',
      undefined,
      apiKeyHeader(writer),
    );
    assertError(
      ro,
      403,
      'security_exception',
      /action \[indices:admin\/rollover\] .* on indices \[logs-exchange.activesync-default\], this action is granted by the index privileges \[manage_follow_index,manage,all\]/,
    );
  });

  it('refuses per bulk item: auto_create, bulk[s] on the backing index, and the item action', async () => {
    const noCreate = es.createApiKey({
      r: { indices: [{ names: ['logs-*'], privileges: ['create_doc'] }] },
    }).encoded;
    const readOnlyA = es.createApiKey({
      r: {
        indices: [
          { names: ['logs-a-*'], privileges: ['read'] },
          { names: ['logs-b-*'], privileges: ['create_doc', 'auto_configure'] },
          { names: ['logs-c-*'], privileges: ['delete'] },
        ],
      },
    }).encoded;
    // Streams that exist already, created by the superuser.
    const admin = client8(es.url, { auth: { username: 'elastic', password: 'changeme' } });
    await bulk(
      admin,
      ndjson(
        ['logs-a-default', 'logs-c-default'].map((index) => ({
          index,
          id: 'seed',
          doc: { '@timestamp': ts },
        })),
      ),
    );

    const r1 = await bulk(
      client8(es.url, { auth: { apiKey: noCreate } }),
      ndjson([{ index: 'logs-new-default', id: '1', doc: { '@timestamp': ts } }]),
    );
    assert.equal(r1.items[0].create.status, 403);
    assert.equal(r1.items[0].create.error.type, 'security_exception');
    assert.match(
      r1.items[0].create.error.reason,
      /^action \[indices:admin\/auto_create\] is unauthorized for API key id \[[^\]]+\] of user \[elastic\] on indices \[logs-new-default\], this action is granted by the index privileges \[auto_configure,create_index,manage,all\]$/,
    );

    const r2 = await bulk(
      client8(es.url, { auth: { apiKey: readOnlyA } }),
      ndjson([
        { index: 'logs-a-default', id: '1', doc: { '@timestamp': ts } },
        { index: 'logs-b-default', id: '1', doc: { '@timestamp': ts } },
        { index: 'logs-c-default', id: '1', doc: { '@timestamp': ts } },
        { op: 'index', index: 'logs-b-default', id: '2', doc: { '@timestamp': ts } },
      ]),
    );
    const items = r2.items.map(
      (i: Record<string, { status: number; error?: { reason: string } }>) => Object.values(i)[0]!,
    );
    assert.deepEqual(
      items.map((i: { status: number }) => i.status),
      [403, 201, 403, 400],
    );
    assert.match(
      items[0].error!.reason,
      /^action \[indices:data\/write\/bulk\[s\]\] is unauthorized .* on indices \[\.ds-logs-a-default-\d{4}\.\d{2}\.\d{2}-000001\], this action is granted by the index privileges \[create_doc,create,delete,index,write,all\]$/,
    );
    assert.match(
      items[2].error!.reason,
      /^action \[indices:data\/write\/index:op_type\/create\] is unauthorized .* on indices \[logs-c-default\], this action is granted by the index privileges \[create_doc,create,index,write,all\]$/,
    );
    assert.equal(r2.errors, true);

    // A key without any write privilege: the bulk request itself is refused.
    const reader = es.createApiKey({ r: { indices: [{ names: ['*'], privileges: ['read'] }] } }).encoded;
    await assert.rejects(
      bulk(
        client8(es.url, { auth: { apiKey: reader } }),
        ndjson([{ index: 'logs-a-default', id: 'x', doc: {} }]),
      ),
      (e: { statusCode?: number; body?: { error?: { reason?: string } } }) => {
        assert.equal(e.statusCode, 403);
        assert.match(e.body!.error!.reason!, /action \[indices:data\/write\/bulk\] is unauthorized/);
        return true;
      },
    );
  });

  it('lets a setup key install templates and policies and create streams, and refuses its bulk writes', async () => {
    const h = apiKeyHeader(setup);
    assert.equal(
      (
        await raw(
          es.url,
          'PUT',
          '/_ilm/policy/casguard-logs',
          { policy: { phases: { hot: { actions: { rollover: { max_age: '30d' } } } } } },
          h,
        )
      ).status,
      200,
    );
    assert.equal(
      (
        await raw(
          es.url,
          'PUT',
          '/_index_template/logs-exchange.application',
          { index_patterns: ['logs-exchange.application-*'], data_stream: {}, priority: 150 },
          h,
        )
      ).status,
      200,
    );
    assert.equal(
      (await raw(es.url, 'PUT', '/_data_stream/logs-exchange.application-default', undefined, h)).status,
      200,
    );
    assert.equal(
      (await raw(es.url, 'GET', '/_data_stream/logs-exchange.application-default', undefined, h)).status,
      200,
    );
    assert.equal(
      (await raw(es.url, 'POST', '/logs-exchange.application-default/_rollover', undefined, h)).status,
      200,
      'manage grants rollover',
    );
    assert.equal((await raw(es.url, 'GET', '/', undefined, h)).status, 200);
    const w = await raw(
      es.url,
      'POST',
      '/_bulk',
      ndjson([{ index: 'logs-exchange.application-default', id: 's', doc: { '@timestamp': ts } }]),
      { ...h, 'content-type': 'application/x-ndjson' },
    );
    assertError(
      w,
      403,
      'security_exception',
      /action \[indices:data\/write\/bulk\] is unauthorized for API key id/,
    );
  });

  it('answers _has_privileges from the real grants', async () => {
    const body = {
      cluster: ['monitor', 'manage_index_templates', 'manage_ilm'],
      index: [
        {
          names: ['logs-exchange.activesync-default'],
          privileges: [
            'create_doc',
            'auto_configure',
            'create_index',
            'view_index_metadata',
            'index',
            'create',
          ],
        },
      ],
    };
    const w = await raw(es.url, 'POST', '/_security/user/_has_privileges', body, apiKeyHeader(writer));
    assert.equal(w.status, 200);
    assert.equal(w.json.username, 'elastic');
    assert.equal(w.json.has_all_requested, false);
    assert.deepEqual(w.json.cluster, { monitor: false, manage_index_templates: false, manage_ilm: false });
    assert.deepEqual(w.json.index['logs-exchange.activesync-default'], {
      create_doc: true,
      auto_configure: true,
      create_index: false,
      view_index_metadata: false,
      index: false,
      create: false,
    });
    const s = await raw(es.url, 'POST', '/_security/user/_has_privileges', body, apiKeyHeader(setup));
    assert.deepEqual(s.json.cluster, { monitor: true, manage_index_templates: true, manage_ilm: true });
    assert.equal(s.json.index['logs-exchange.activesync-default'].create_index, true);
    // A pattern is held only when the grant covers every name it can match.
    const wide = await raw(
      es.url,
      'POST',
      '/_security/user/_has_privileges',
      { index: [{ names: ['logs-*'], privileges: ['create_doc'] }] },
      apiKeyHeader(writer),
    );
    assert.equal(wide.json.index['logs-*'].create_doc, false);
    const narrow = await raw(
      es.url,
      'POST',
      '/_security/user/_has_privileges',
      { index: [{ names: ['logs-exchange.activesync-*'], privileges: ['create_doc'] }] },
      apiKeyHeader(writer),
    );
    assert.equal(narrow.json.index['logs-exchange.activesync-*'].create_doc, true);
    const unknown = await raw(
      es.url,
      'POST',
      '/_security/user/_has_privileges',
      { index: [{ names: ['x'], privileges: ['create_docs'] }] },
      apiKeyHeader(writer),
    );
    assertError(unknown, 400, 'illegal_argument_exception', /unknown index privilege \[create_docs\]/);
  });

  it('limits an API key by its owner, and a user by its roles (PUT _security/role and _security/user)', async () => {
    const admin = basic('elastic', 'changeme');
    assert.equal(
      (
        await raw(
          es.url,
          'PUT',
          '/_security/role/reader',
          { indices: [{ names: ['logs-*'], privileges: ['read'] }] },
          admin,
        )
      ).status,
      200,
    );
    assert.equal(
      (await raw(es.url, 'PUT', '/_security/user/rd', { password: 'rd-password', roles: ['reader'] }, admin))
        .status,
      200,
    );
    const denied = await raw(
      es.url,
      'PUT',
      '/_index_template/y',
      { index_patterns: ['y-*'] },
      basic('rd', 'rd-password'),
    );
    assertError(
      denied,
      403,
      'security_exception',
      /is unauthorized for user \[rd\] with effective roles \[reader\]/,
    );
    // rd creates a key asking for create_doc: the key is limited by rd's own privileges.
    const key = await raw(
      es.url,
      'POST',
      '/_security/api_key',
      {
        name: 'k',
        role_descriptors: { w: { indices: [{ names: ['logs-*'], privileges: ['create_doc'] }] } },
      },
      basic('rd', 'rd-password'),
    );
    assertError(key, 403, 'security_exception', /cluster:admin\/xpack\/security\/api_key\/create/);
    const k2 = es.createApiKey(
      { w: { indices: [{ names: ['logs-*'], privileges: ['create_doc'] }] } },
      { owner: 'rd' },
    ).encoded;
    const hp = await raw(
      es.url,
      'POST',
      '/_security/user/_has_privileges',
      { index: [{ names: ['logs-a-b'], privileges: ['create_doc', 'read'] }] },
      apiKeyHeader(k2),
    );
    assert.deepEqual(hp.json.index['logs-a-b'], { create_doc: false, read: false });
    const badRole = await raw(es.url, 'PUT', '/_security/role/bad', { cluster: ['manage_templates'] }, admin);
    assertError(badRole, 400, 'illegal_argument_exception', /unknown cluster privilege \[manage_templates\]/);
    const made = await raw(
      es.url,
      'POST',
      '/_security/api_key',
      { name: 'made', role_descriptors: {} },
      admin,
    );
    assert.equal(made.status, 200);
    assert.equal((await raw(es.url, 'GET', '/', undefined, apiKeyHeader(made.json.encoded))).status, 200);
  });

  it('keeps the legacy options: auth accepts only the given credentials, deniedPrivileges removes privileges', async () => {
    const a = await startEsTestServer({
      auth: { apiKey: Buffer.from('kid:ksecret').toString('base64') },
      deniedPrivileges: ['create_doc'],
    });
    try {
      assert.equal(
        (await raw(a.url, 'GET', '/', undefined, apiKeyHeader(Buffer.from('kid:ksecret').toString('base64'))))
          .status,
        200,
      );
      assert.equal((await raw(a.url, 'GET', '/')).status, 401);
      const hp = await raw(
        a.url,
        'POST',
        '/_security/user/_has_privileges',
        { index: [{ names: ['logs-x'], privileges: ['create_doc', 'create_index', 'write'] }] },
        apiKeyHeader(Buffer.from('kid:ksecret').toString('base64')),
      );
      assert.deepEqual(hp.json.index['logs-x'], { create_doc: false, create_index: true, write: false });
    } finally {
      await a.stop();
    }
  });
});
