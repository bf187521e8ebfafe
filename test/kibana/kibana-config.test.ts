// The `kibana` config block and how `setup` resolves it with --kibana / --space and the Elasticsearch output.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveKibanaConfig } from '../../src/cli/commands/kibana-setup.js';
import { ConfigError, parseConfigText } from '../../src/config/load-config.js';
import { ElasticsearchOutputConfig } from '../../src/outputs/elasticsearch/elasticsearch.config.js';

const BASE = 'inputs:\n  - id: a\n    paths: ["x/*"]\n';

describe('kibana config', () => {
  it('reads the block with defaults, and an empty ${VAR:-} secret as unset', () => {
    const { config } = parseConfigText(
      `${BASE}kibana:\n  url: https://kb.example:5601/kibana\n  apiKey: '\${CASGUARD_KIBANA_API_KEY:-}'\n`,
      '/x/c.yml',
      {},
    );
    assert.deepEqual(JSON.parse(JSON.stringify(config.kibana)), {
      url: 'https://kb.example:5601/kibana',
      space: 'default',
      tls: { verify: true },
      requestTimeoutMs: 120000,
    });
    assert.equal(config.kibana?.apiKey, undefined);
  });

  it('rejects unknown keys, a bad space id and a username without password, with their positions', () => {
    assert.throws(
      () => parseConfigText(`${BASE}kibana:\n  url: http://kb:5601\n  spaces: soc\n`, '/x/c.yml', {}),
      (e: unknown) =>
        e instanceof ConfigError &&
        /kibana\.spaces +unknown key 'spaces'/.test(e.message) &&
        /c\.yml:6/.test(e.message),
    );
    assert.throws(
      () => parseConfigText(`${BASE}kibana:\n  url: http://kb:5601\n  space: SOC Team\n`, '/x/c.yml', {}),
      /kibana\.space +a Kibana space id/,
    );
    assert.throws(
      () => parseConfigText(`${BASE}kibana:\n  url: http://kb:5601\n  username: u\n`, '/x/c.yml', {}),
      /username and password go together/,
    );
  });

  it('takes CASGUARD_KIBANA_* from the environment, without a block in the file', () => {
    const { config, notes } = parseConfigText(BASE, '/x/c.yml', {
      CASGUARD_KIBANA_URL: 'http://kb:5601',
      CASGUARD_KIBANA_API_KEY: 'a2V5OnZhbHVl',
      CASGUARD_KIBANA_SPACE: 'soc',
    });
    assert.equal(config.kibana?.url, 'http://kb:5601');
    assert.equal(config.kibana?.apiKey, 'a2V5OnZhbHVl');
    assert.equal(config.kibana?.space, 'soc');
    assert.ok(
      notes.includes('kibana.apiKey from CASGUARD_KIBANA_API_KEY'),
      "notes.includes('kibana.apiKey from CASGUARD_KIBANA_API_KEY')",
    );
    assert.ok(!notes.join('\n').includes('a2V5OnZhbHVl'), 'notes never carry a value');
  });

  it('resolves --kibana and --space over the block, and borrows the Elasticsearch credentials only without its own', () => {
    const es = ElasticsearchOutputConfig.parse({
      hosts: ['http://es:9200'],
      username: 'elastic',
      password: 'pw-es',
    });
    assert.equal(resolveKibanaConfig(undefined, {}, es), undefined, 'no block, no flag: no Kibana');
    const borrowed = resolveKibanaConfig(undefined, { kibana: 'http://kb:5601', space: 'soc' }, es);
    assert.ok(borrowed && 'config' in borrowed, "borrowed && 'config' in borrowed");
    assert.equal(borrowed.config.username, 'elastic');
    assert.equal(borrowed.config.space, 'soc');
    assert.match(borrowed.note ?? '', /Elasticsearch output's credentials/);
    const own = resolveKibanaConfig(
      {
        url: 'http://old:5601',
        space: 'default',
        apiKey: 'b3duOmtleQ==',
        tls: { verify: true },
        requestTimeoutMs: 1000,
      },
      { kibana: 'http://new:5601' },
      es,
    );
    assert.ok(own && 'config' in own, "own && 'config' in own");
    assert.equal(own.config.url, 'http://new:5601');
    assert.equal(own.config.apiKey, 'b3duOmtleQ==');
    assert.equal(own.config.username, undefined);
    assert.equal(own.note, undefined);
    const noUrl = resolveKibanaConfig(
      { space: 'default', apiKey: 'x', tls: { verify: true }, requestTimeoutMs: 1000 },
      {},
      es,
    );
    assert.ok(noUrl && 'error' in noUrl, "noUrl && 'error' in noUrl");
    assert.match(noUrl.error, /no Kibana URL/);
    const badUrl = resolveKibanaConfig(undefined, { kibana: 'ftp://kb' }, undefined);
    assert.ok(badUrl && 'error' in badUrl, "badUrl && 'error' in badUrl");
  });
});
