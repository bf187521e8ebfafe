// `casguard setup` and `casguard test output` logic against the test server, as the CLI prints it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { setupCluster, defaultOwnFields } from '../../src/cli/commands/setup-command.js';
import { testOutput } from '../../src/cli/commands/test-output-command.js';
import type { CliIo } from '../../src/cli/io.js';
import { ElasticsearchOutputConfig } from '../../src/outputs/elasticsearch/elasticsearch.config.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';

function captureIo(): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    setExitCode: () => undefined,
    env: {},
  };
}

describe('setup and test output commands', () => {
  it('setup prints what it created, and the second run changes nothing', async () => {
    const es = await startEsTestServer();
    try {
      const cfg = ElasticsearchOutputConfig.parse({ hosts: [es.url] });
      const io1 = captureIo();
      assert.equal(await setupCluster(cfg, io1, nullLogger, defaultOwnFields()), 0);
      assert.ok(
        io1.lines.includes('created   index template logs-exchange.activesync'),
        io1.lines.join('\n'),
      );
      assert.match(io1.lines.at(-1)!, /^setup OK: 13 changes/);
      const io2 = captureIo();
      assert.equal(await setupCluster(cfg, io2, nullLogger, defaultOwnFields()), 0);
      assert.equal(io2.lines.filter((l) => l.startsWith('unchanged')).length, 13);
      assert.equal(io2.lines.at(-1), 'setup OK: everything was already in place');
    } finally {
      await es.stop();
    }
  });

  it('setup sends index.mode standard to clusters that know it and leaves it out for 8.0-8.4', async () => {
    for (const [version, mode] of [
      ['8.0.1', undefined],
      ['8.4.3', undefined],
      ['8.15.0', 'standard'],
      ['9.1.0', 'standard'],
    ] as const) {
      const es = await startEsTestServer({ version });
      try {
        const cfg = ElasticsearchOutputConfig.parse({ hosts: [es.url] });
        assert.equal(await setupCluster(cfg, captureIo(), nullLogger, defaultOwnFields()), 0, version);
        const res = await fetch(`${es.url}/_component_template/casguard@settings`);
        // Elasticsearch answers settings normalised: nested objects, values as strings.
        const body = (await res.json()) as {
          component_templates: {
            component_template: {
              template: { settings: { index: { mode?: string; mapping?: { ignore_malformed?: string } } } };
            };
          }[];
        };
        const index = body.component_templates[0]!.component_template.template.settings.index;
        assert.equal(index.mode, mode, version);
        assert.equal(index.mapping?.ignore_malformed, 'false', version);
      } finally {
        await es.stop();
      }
    }
  });

  it('test output reports every check ok after setup', async () => {
    const es = await startEsTestServer({ version: '9.1.0' });
    try {
      const cfg = ElasticsearchOutputConfig.parse({ hosts: [es.url] });
      await setupCluster(cfg, captureIo(), nullLogger, defaultOwnFields());
      const io = captureIo();
      assert.equal(await testOutput(cfg, io, nullLogger), 0);
      assert.deepEqual(
        io.lines.map((l) => l.split(':')[0]),
        [
          'ok      connect',
          'ok      version',
          'ok      privileges for run',
          'ok      privileges for replay',
          'ok      privileges for setup',
          'ok      data streams',
          'output OK',
        ],
      );
    } finally {
      await es.stop();
    }
  });

  it('test output names missing privileges and absent data streams', async () => {
    const es = await startEsTestServer({ deniedPrivileges: ['create_doc', 'manage_ilm'] });
    try {
      const io = captureIo();
      const cfg = ElasticsearchOutputConfig.parse({ hosts: [es.url] });
      assert.equal(await testOutput(cfg, io, nullLogger), 3);
      const text = io.lines.join('\n');
      assert.match(
        text,
        /FAILED {2}privileges for run: casguard run would fail: \S+ lacks logs-exchange.activesync-default:create_doc \(bulk create of documents\)/,
      );
      assert.match(text, /PUT \/_security\/role\/casguard_writer /);
      assert.match(
        text,
        /note {4}privileges for setup: casguard setup would fail with these credentials: needs cluster:manage_ilm/,
      );
      assert.match(text, /note {4}data streams: .* absent: run casguard setup/);
    } finally {
      await es.stop();
    }
  });

  it('test output reports a refused login without printing the credentials', async () => {
    const es = await startEsTestServer({ auth: { username: 'elastic', password: 'right-password' } });
    try {
      const io = captureIo();
      const cfg = ElasticsearchOutputConfig.parse({
        hosts: [es.url],
        username: 'elastic',
        password: 'wrong-password-123',
      });
      assert.equal(await testOutput(cfg, io, nullLogger), 3);
      const text = io.lines.join('\n');
      assert.match(text, /FAILED {2}connect: .*HTTP 401/);
      assert.ok(!text.includes('wrong-password-123'), "!text.includes('wrong-password-123')");
      assert.ok(
        !text.includes(Buffer.from('elastic:wrong-password-123').toString('base64')),
        "!text.includes(Buffer.from('elastic:wrong-password-123').toString('base64'))",
      );
    } finally {
      await es.stop();
    }
  });

  it('setup reports a refused login as status, type and reason, not raw JSON, without the credentials', async () => {
    const es = await startEsTestServer({ auth: { username: 'elastic', password: 'right-password' } });
    try {
      const io = captureIo();
      const cfg = ElasticsearchOutputConfig.parse({
        hosts: [es.url],
        username: 'elastic',
        password: 'wrong-password-123',
      });
      assert.equal(await setupCluster(cfg, io, nullLogger, defaultOwnFields()), 3);
      const text = io.lines.join('\n');
      assert.match(text, /^setup FAILED: HTTP 401 security_exception: /m);
      assert.doesNotMatch(text, /\{"error"|"root_cause"/);
      assert.ok(!text.includes('wrong-password-123'), "!text.includes('wrong-password-123')");
    } finally {
      await es.stop();
    }
  });

  it('test output reports an unreachable cluster', async () => {
    const es = await startEsTestServer();
    await es.stop();
    const io = captureIo();
    const cfg = ElasticsearchOutputConfig.parse({ hosts: [es.url], requestTimeoutMs: 500 });
    assert.equal(await testOutput(cfg, io, nullLogger), 3);
    assert.match(io.lines.join('\n'), /FAILED {2}connect: .*connection failed/);
  });
});
