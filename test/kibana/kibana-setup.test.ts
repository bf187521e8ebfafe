// `casguard setup --kibana` against the Kibana test server: every object and rule imported with no error, a second
// run overwrites and reports nothing new, a broken object is reported by name with Kibana's error, and the ways
// Kibana refuses (wrong space, 401, 403, an older version, a 500, nobody listening) are each a clear failure that
// never prints a credential.

import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultOwnFields } from '../../src/cli/commands/setup-command.js';
import { setupKibana } from '../../src/cli/commands/kibana-setup.js';
import type { CliIo } from '../../src/cli/io.js';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { toKibanaNdjson } from '../../src/detect/export/kibana-export.js';
import { KibanaClient } from '../../src/outputs/kibana/kibana-client.js';
import { importKibanaContent, savedObjectResults } from '../../src/outputs/kibana/kibana-import.js';
import { KibanaConfig } from '../../src/outputs/kibana/kibana.config.js';
import { clusterAssets } from '../../src/setup/cluster-assets.js';
import { checkSavedObjects } from '../../src/setup/kibana/saved-object-check.js';
import { kibanaSavedObjects, savedObjectsNdjson } from '../../src/setup/kibana/saved-objects.js';
import { repoRoot, runAgentCommand } from '../helpers/agent-process.js';
import {
  startKibanaTestServer,
  SUPERUSER,
  type KibanaTestServer,
} from '../kibana-server/kibana-test-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const KEY = Buffer.from('casguard-setup:v3ry-s3cret-key').toString('base64');
const READ_ONLY = Buffer.from('viewer:an0ther-s3cret').toString('base64');
const OWN = defaultOwnFields();
const RULES = builtinRules();

function captureIo(): CliIo & { stdout: string[]; stderr: string[]; code: number } {
  const io = {
    stdout: [] as string[],
    stderr: [] as string[],
    code: 0,
    out: (l: string) => io.stdout.push(l),
    err: (l: string) => io.stderr.push(l),
    setExitCode: (c: number) => (io.code = c),
    env: {},
  };
  return io;
}

const config = (url: string, extra: Record<string, unknown> = {}): KibanaConfig =>
  KibanaConfig.parse({ url, apiKey: KEY, ...extra });

describe('casguard setup --kibana', () => {
  let k: KibanaTestServer;
  let dir: string;
  before(async () => {
    k = await startKibanaTestServer({
      version: '8.11.0',
      spaces: ['soc'],
      apiKeys: {
        [KEY]: SUPERUSER,
        [READ_ONLY]: { spaces: '*', savedObjects: 'read', securitySolution: 'read' },
      },
    });
    dir = tempDir('casguard-kibana-');
  });
  after(async () => {
    await k.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports every object and rule with no error, and a second run overwrites and reports nothing new', async () => {
    const env = { CASGUARD_KIBANA_API_KEY: KEY, CASGUARD_DATA_DIR: path.join(dir, 'data') };
    const first = await runAgentCommand(['setup', '--kibana', k.url], { cwd: dir, env });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(
      first.stdout,
      /kibana setup OK: 15 saved objects \(15 new, 0 overwritten\), 5 detection rules \(5 new, 0 replaced\)\n/,
    );
    assert.equal(first.stdout.match(/^created /gm)?.length, 20);
    assert.doesNotMatch(first.stdout + first.stderr, /FAILED|NOT IMPORTED/);
    assert.ok(
      !(first.stdout + first.stderr).includes(KEY) &&
        !(first.stdout + first.stderr).includes('v3ry-s3cret-key'),
      "!(first.stdout + first.stderr).includes(KEY) && !(first.stdout + first.stderr).includes('v3ry-s3cret-key')",
    );
    const stored = [...k.objects().values()];
    assert.equal(stored.length, 15);
    assert.equal(k.rules().size, 5);
    // What Kibana holds is a sound set: every reference resolves, every JSON attribute parses.
    assert.deepEqual(checkSavedObjects(stored), []);
    assert.ok(
      stored.every((o) => o.coreMigrationVersion === '8.8.0'),
      "stored.every((o) => o.coreMigrationVersion === '8.8.0')",
    );

    const requestsBefore = k.requests.length;
    const second = await runAgentCommand(['setup', '--kibana', k.url], { cwd: dir, env });
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(
      second.stdout,
      /kibana setup OK: 15 saved objects \(0 new, 15 overwritten\), 5 detection rules \(0 new, 5 replaced\): nothing new/,
    );
    assert.doesNotMatch(second.stdout, /^created /m, 'nothing reported as new');
    assert.equal(k.objects().size, 15, 'overwritten in place, no copies');
    assert.equal(k.rules().size, 5);
    assert.ok(
      k.requests.slice(requestsBefore).includes('POST /api/saved_objects/_import?overwrite=true'),
      "k.requests.slice(requestsBefore).includes('POST /api/saved_objects/_import?overwrite=true')",
    );
  });

  it('reports a broken object (a missing data view reference) by name with Kibana error, and nothing is written', async () => {
    const objects = kibanaSavedObjects(clusterAssets({ namespace: 'default', ownFields: OWN }), 'soc');
    const broken = objects.map((o) =>
      o.id === 'casguard-lens-alerts-soc'
        ? { ...o, references: [{ ...o.references[0]!, id: 'casguard-no-such-data-view' }] }
        : o,
    );
    const client = new KibanaClient(config(k.url, { space: 'soc' }));
    try {
      const report = await importKibanaContent(client, {
        savedObjects: {
          ndjson: savedObjectsNdjson(broken),
          fileName: 'casguard-kibana.ndjson',
          objects: broken.map((o) => ({ type: o.type, id: o.id, title: String(o.attributes.title) })),
        },
        rules: {
          ndjson: toKibanaNdjson(RULES),
          fileName: 'casguard-rules.ndjson',
          rules: RULES.map((r) => ({ ruleId: r.uuid, name: r.name })),
        },
      });
      const failed = report.results.filter((r) => r.outcome === 'failed');
      assert.deepEqual(failed, [
        {
          type: 'lens',
          id: 'casguard-lens-alerts-soc',
          title: 'casguard alerts',
          outcome: 'failed',
          reason:
            'missing_references: index-pattern:casguard-no-such-data-view (not in the import and not in the space)',
        },
      ]);
      const notImported = report.results.filter((r) => r.outcome === 'not imported');
      assert.equal(notImported.length, 14);
      assert.match(
        notImported[0]!.reason!,
        /Kibana writes nothing while lens:casguard-lens-alerts-soc has missing_references/,
      );
      assert.equal(k.objects('soc').size, 0, 'Kibana created none of them');
      assert.ok(
        report.results.filter((r) => r.type === 'rule').every((r) => r.outcome === 'created'),
        "report.results.filter((r) => r.type === 'rule').every((r) => r.outcome === 'created')",
      );
    } finally {
      client.close();
    }
  });

  it('installs into another space under its own ids, so each space is overwritten in place', async () => {
    const io = captureIo();
    const code = await setupKibana(config(k.url, { space: 'soc' }), io, OWN, RULES);
    assert.equal(code, 0, io.stderr.join('\n'));
    assert.equal(k.objects('soc').size, 15);
    assert.ok(
      k.objects('soc').has('dashboard:casguard-kb2851708-device-health-soc'),
      "k.objects('soc').has('dashboard:casguard-kb2851708-device-health-soc')",
    );
    const again = captureIo();
    assert.equal(await setupKibana(config(k.url, { space: 'soc' }), again, OWN, RULES), 0);
    assert.match(again.stdout.join('\n'), /nothing new/);
    assert.equal(k.objects('soc').size, 15);
  });

  it('refuses a space that does not exist instead of importing where nobody can see it', async () => {
    const io = captureIo();
    assert.equal(await setupKibana(config(k.url, { space: 'secops' }), io, OWN, RULES), 3);
    assert.match(io.stderr.join('\n'), /kibana setup FAILED: the Kibana space "secops" does not exist/);
    assert.equal(k.objects('secops').size, 0);
  });

  it('says why when the credentials are wrong (401), without printing them', async () => {
    const io = captureIo();
    const bad = Buffer.from('casguard-setup:wrong-s3cret').toString('base64');
    assert.equal(await setupKibana(config(k.url, { apiKey: bad }), io, OWN, RULES), 3);
    const all = io.stdout.concat(io.stderr).join('\n');
    assert.match(all, /kibana setup FAILED: Kibana status: HTTP 401 Unauthorized: Unauthorized/);
    assert.ok(
      !all.includes(bad) && !all.includes('wrong-s3cret'),
      "!all.includes(bad) && !all.includes('wrong-s3cret')",
    );
  });

  it('fails every object with Kibana 403 answer when the role may not write', async () => {
    const io = captureIo();
    assert.equal(await setupKibana(config(k.url, { apiKey: READ_ONLY }), io, OWN, RULES), 3);
    const out = io.stdout.join('\n');
    assert.equal(
      out.match(
        /^FAILED +(index-pattern|lens|dashboard) .*HTTP 403 Forbidden: Unable to bulk_create dashboard,index-pattern,lens/gm,
      )?.length,
      15,
    );
    assert.equal(
      out.match(/^FAILED +rule .*HTTP 403 Forbidden: API \[POST .*\] is unauthorized for user/gm)?.length,
      5,
    );
    assert.match(io.stderr.join('\n'), /kibana setup FAILED: 20 of 20 objects not in place/);
  });

  it('refuses a Kibana older than the stamps need, and imports into a 9.x Kibana', async () => {
    const old = await startKibanaTestServer({ version: '8.9.0' });
    const nine = await startKibanaTestServer({ version: '9.1.0' });
    try {
      const io = captureIo();
      assert.equal(await setupKibana(KibanaConfig.parse({ url: old.url }), io, OWN, RULES), 3);
      assert.match(io.stderr.join('\n'), /Kibana 8\.9\.0 is older than 8\.11\.0/);
      const io9 = captureIo();
      assert.equal(
        await setupKibana(KibanaConfig.parse({ url: nine.url }), io9, OWN, RULES),
        0,
        io9.stderr.join('\n'),
      );
      assert.equal(nine.objects().size, 15);
    } finally {
      await old.stop();
      await nine.stop();
    }
  });

  it('reports a 500 on an import against each of its objects, and nobody listening as unreachable', async () => {
    const flaky = await startKibanaTestServer();
    try {
      flaky.failNext(1, 500, '/api/saved_objects/_import');
      const io = captureIo();
      assert.equal(await setupKibana(KibanaConfig.parse({ url: flaky.url }), io, OWN, RULES), 3);
      const out = io.stdout.join('\n');
      assert.equal(
        out.match(
          /^FAILED +(index-pattern|lens|dashboard) .*saved objects import: HTTP 500 Internal Server Error/gm,
        )?.length,
        15,
      );
      assert.equal(out.match(/^created +rule /gm)?.length, 5, 'the rules import still ran');
    } finally {
      await flaky.stop();
    }
    const io = captureIo();
    assert.equal(await setupKibana(KibanaConfig.parse({ url: flaky.url }), io, OWN, RULES), 3);
    assert.match(
      io.stderr.join('\n'),
      /kibana setup FAILED: cannot reach Kibana at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
    );
  });

  it('counts an answer that leaves an object out as a failure of that object', () => {
    const sent = [
      { type: 'lens', id: 'a', title: 'A' },
      { type: 'lens', id: 'b', title: 'B' },
    ];
    const r = savedObjectResults(sent, {
      success: true,
      successCount: 1,
      successResults: [{ type: 'lens', id: 'a' }],
    });
    assert.deepEqual(
      r.map((x) => [x.id, x.outcome]),
      [
        ['a', 'created'],
        ['b', 'failed'],
      ],
    );
  });

  it("uses the Elasticsearch output's credentials when the config has no kibana block", async () => {
    const cfgFile = path.join(dir, 'casguard.yml');
    writeFileSync(
      cfgFile,
      [
        'inputs:',
        '  - id: inbox',
        '    paths: ["./inbox/**/*"]',
        'outputs:',
        '  elasticsearch:',
        '    hosts: ["http://127.0.0.1:1"]',
        `    apiKey: "${KEY}"`,
        '',
      ].join('\n'),
    );
    // Elasticsearch is down (port 1): its half fails, the Kibana half still runs with the borrowed key.
    const r = await runAgentCommand(['setup', '--config', cfgFile, '--kibana', k.url], { cwd: dir });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /using the Elasticsearch output's credentials for Kibana/);
    assert.match(r.stdout, /kibana setup OK/);
    assert.ok(!(r.stdout + r.stderr).includes(KEY), '!(r.stdout + r.stderr).includes(KEY)');
  });

  it('export dashboards writes the import file by hand, which Kibana takes as the curl of its --help shows', async () => {
    const out = path.join(dir, 'export');
    const plain = await runAgentCommand(['export', 'dashboards', '--out', out], { cwd: dir });
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.match(plain.stderr, /wrote 15 saved objects to .*casguard-kibana\.ndjson/);
    // The default space's file is the golden file of the saved-objects test, byte for byte.
    assert.equal(
      readFileSync(path.join(out, 'casguard-kibana.ndjson'), 'utf8'),
      readFileSync(path.join(repoRoot, 'test/golden/kibana/casguard-kibana.ndjson'), 'utf8'),
    );
    const file = path.join(dir, 'soc.ndjson');
    const r = await runAgentCommand(['export', 'dashboards', '--space', 'soc', '--out', file], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const text = readFileSync(file, 'utf8');
    // By hand: multipart POST with kbn-xsrf (curl -F file=@...), not casguard's own client.
    const form = new FormData();
    form.append('file', new Blob([text], { type: 'application/ndjson' }), 'soc.ndjson');
    const res = await fetch(`${k.url}/s/soc/api/saved_objects/_import?overwrite=true`, {
      method: 'POST',
      headers: { authorization: `ApiKey ${KEY}`, 'kbn-xsrf': 'true' },
      body: form,
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { success: boolean; successCount: number; errors?: unknown[] };
    assert.deepEqual(
      [body.success, body.successCount, body.errors ?? []],
      [true, 15, []],
      JSON.stringify(body),
    );
    const bad = await runAgentCommand(['export', 'dashboards', '--space', 'Not A Space'], { cwd: dir });
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /--space must be a Kibana space id/);
  });

  it('talks TLS to Kibana: trusts the kibana.tls.caFile certificate, refuses an unknown one unless verify is off', async () => {
    const tlsDir = path.join(repoRoot, 'test/fixtures/kibana/tls');
    const secure = await startKibanaTestServer({
      apiKeys: { [KEY]: SUPERUSER },
      tls: {
        key: readFileSync(path.join(tlsDir, 'kibana-test.key'), 'utf8'),
        cert: readFileSync(path.join(tlsDir, 'kibana-test.crt'), 'utf8'),
      },
    });
    try {
      assert.match(secure.url, /^https:/);
      const withTls = (tls: string): string => {
        const file = path.join(dir, `tls-${tls.length}.yml`);
        writeFileSync(
          file,
          [
            'inputs:',
            '  - id: inbox',
            '    paths: ["./inbox/**/*"]',
            'kibana:',
            `  url: ${secure.url}`,
            `  apiKey: "${KEY}"`,
            `  tls: ${tls}`,
            '',
          ].join('\n'),
        );
        return file;
      };
      const env = { CASGUARD_DATA_DIR: path.join(dir, 'data-tls') };
      const ca = withTls(`{ caFile: "${path.join(tlsDir, 'kibana-test.crt')}" }`);
      const ok = await runAgentCommand(['setup', '-c', ca, '--kibana', secure.url], { cwd: dir, env });
      assert.match(
        ok.stdout,
        /kibana setup OK: 15 saved objects \(15 new, 0 overwritten\)/,
        ok.stdout + ok.stderr,
      );
      assert.equal(secure.objects().size, 15);
      const unknown = withTls('{ verify: true }');
      const refused = await runAgentCommand(['setup', '-c', unknown, '--kibana', secure.url], {
        cwd: dir,
        env,
      });
      assert.equal(refused.code, 3, refused.stdout + refused.stderr);
      assert.match(
        refused.stdout + refused.stderr,
        /kibana setup FAILED: cannot reach Kibana .*self-signed certificate/,
      );
      const noVerify = withTls('{ verify: false }');
      const again = await runAgentCommand(['setup', '-c', noVerify, '--kibana', secure.url], {
        cwd: dir,
        env,
      });
      assert.match(
        again.stdout,
        /kibana setup OK: 15 saved objects \(0 new, 15 overwritten\)/,
        again.stdout + again.stderr,
      );
    } finally {
      await secure.stop();
    }
  });
});
