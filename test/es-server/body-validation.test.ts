// The test server refuses malformed setup bodies as Elasticsearch does: status 400 and the exception type of
// Elasticsearch's mapper parsers, ObjectParser, ILM validation, settings validation and template validation.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEsTestServer } from './es-test-server.js';
import type { EsTestServer } from './es-test-server.js';
import { builtinLogsAssets } from './builtin-templates.js';
import { FIELD_PARAMS } from './mapping-params.js';
import { assertError, raw } from './test-helpers.js';

const put = (es: EsTestServer, path: string, body: unknown) => raw(es.url, 'PUT', path, body);

describe('validation of setup bodies', () => {
  let es: EsTestServer;
  before(async () => {
    es = await startEsTestServer({ version: '8.15.0' });
  });
  after(async () => {
    await es.stop();
  });

  it('refuses ignore_above on a long (KeywordFieldMapper has it, NumberFieldMapper does not)', async () => {
    const a = await put(es, '/_component_template/c1', {
      template: {
        mappings: { properties: { http: { properties: { status: { type: 'long', ignore_above: 1024 } } } } },
      },
    });
    assertError(
      a,
      400,
      'mapper_parsing_exception',
      /Failed to parse mapping: unknown parameter \[ignore_above\] on mapper \[status\] of type \[long\]/,
    );
    assert.equal(a.json.error.caused_by.type, 'mapper_parsing_exception');
    assert.equal(
      a.json.error.root_cause[0].reason,
      'unknown parameter [ignore_above] on mapper [status] of type [long]',
    );
    assert.equal(es.componentTemplates.has('c1'), false, 'nothing stored');
  });

  it('refuses doc_values on text', async () => {
    const a = await put(es, '/_component_template/c2', {
      template: { mappings: { properties: { message: { type: 'text', doc_values: false } } } },
    });
    assertError(
      a,
      400,
      'mapper_parsing_exception',
      /unknown parameter \[doc_values\] on mapper \[message\] of type \[text\]/,
    );
  });

  it('refuses an unknown field type', async () => {
    const a = await put(es, '/_component_template/c3', {
      template: { mappings: { properties: { user: { properties: { name: { type: 'strnig' } } } } } },
    });
    assertError(
      a,
      400,
      'mapper_parsing_exception',
      /No handler for type \[strnig\] declared on field \[name\]/,
    );
  });

  it('refuses an unknown mapping parameter, on a leaf and on an object', async () => {
    const leaf = await put(es, '/_component_template/c4', {
      template: { mappings: { properties: { tag: { type: 'keyword', index_option: 'docs' } } } },
    });
    assertError(
      leaf,
      400,
      'mapper_parsing_exception',
      /unknown parameter \[index_option\] on mapper \[tag\] of type \[keyword\]/,
    );
    const obj = await put(es, '/_component_template/c4', {
      template: { mappings: { properties: { host: { type: 'object', ignore_above: 10, properties: {} } } } },
    });
    assertError(
      obj,
      400,
      'mapper_parsing_exception',
      /Mapping definition for \[host\] has unsupported parameters: {2}\[ignore_above : 10\]/,
    );
    const root = await put(es, '/_component_template/c4', {
      template: { mappings: { _doc2: { properties: {} } } },
    });
    assertError(root, 400, 'mapper_parsing_exception', /Root mapping definition has unsupported parameters/);
    const boost = await put(es, '/_component_template/c4', {
      template: { mappings: { properties: { a: { type: 'keyword', boost: 2 } } } },
    });
    assertError(boost, 400, 'mapper_parsing_exception', /Unknown parameter \[boost\] on mapper \[a\]/);
  });

  it('refuses a parameter value of the wrong kind and a bad dynamic template', async () => {
    const b = await put(es, '/_component_template/c5', {
      template: { mappings: { properties: { a: { type: 'keyword', doc_values: 'yes' } } } },
    });
    assertError(
      b,
      400,
      'mapper_parsing_exception',
      /Failed to parse value \[yes\] as only \[true\] or \[false\] are allowed/,
    );
    const dt = await put(es, '/_component_template/c5', {
      template: {
        mappings: {
          dynamic_templates: [
            { s: { match_mapping_type: 'string', mapping: { type: 'long', ignore_above: 1 } } },
          ],
        },
      },
    });
    assertError(dt, 400, 'mapper_parsing_exception', /dynamic template \[s\] has invalid content/);
    const dtp = await put(es, '/_component_template/c5', {
      template: {
        mappings: {
          dynamic_templates: [{ s: { match_mapping_typ: 'string', mapping: { type: 'keyword' } } }],
        },
      },
    });
    assertError(
      dtp,
      400,
      'mapper_parsing_exception',
      /Illegal dynamic template parameter: \[match_mapping_typ\]/,
    );
  });

  it('refuses an invalid date format for @timestamp', async () => {
    const a = await put(es, '/_component_template/c6', {
      template: {
        mappings: { properties: { '@timestamp': { type: 'date', format: 'yyyy-MM-dd HH:mm:ss foo' } } },
      },
    });
    assertError(
      a,
      400,
      'mapper_parsing_exception',
      /Error parsing \[format\] on field \[@timestamp\]: Invalid format: \[yyyy-MM-dd HH:mm:ss foo\]: Unknown pattern letter: f/,
    );
    // MapperParsingException wraps the IllegalArgumentException: the root cause is the mapper_parsing_exception.
    assert.equal(a.json.error.caused_by.type, 'illegal_argument_exception');
  });

  it('refuses a data stream template that maps @timestamp as something else than a date', async () => {
    assert.equal(
      (
        await put(es, '/_component_template/ts-keyword', {
          template: { mappings: { properties: { '@timestamp': { type: 'keyword' } } } },
        })
      ).status,
      200,
    );
    const a = await put(es, '/_index_template/ts', {
      index_patterns: ['ts-*'],
      data_stream: {},
      priority: 200,
      composed_of: ['ts-keyword'],
    });
    assertError(
      a,
      400,
      'illegal_argument_exception',
      /data stream timestamp field \[@timestamp\] is of type \[keyword\], but \[date,date_nanos\] is expected/,
    );
    assert.match(
      a.json.error.reason,
      /composable template \[ts\] template after composition with component templates \[ts-keyword\] is invalid/,
    );
    // The same mapping is fine for a template that creates plain indices.
    assert.equal(
      (
        await put(es, '/_index_template/ts-plain', {
          index_patterns: ['tsp-*'],
          priority: 200,
          composed_of: ['ts-keyword'],
        })
      ).status,
      200,
    );
  });

  it('refuses an index template composed of a component template that does not exist', async () => {
    const a = await put(es, '/_index_template/missing', {
      index_patterns: ['m-*'],
      composed_of: ['nope@mappings'],
    });
    assertError(
      a,
      400,
      'invalid_index_template_exception',
      /specifies component templates \[nope@mappings\] that do not exist/,
    );
  });

  it('refuses an unknown field of an index template and a template without index patterns', async () => {
    const a = await put(es, '/_index_template/t1', { index_patterns: ['t1-*'], priorty: 5 });
    assertError(a, 400, 'x_content_parse_exception', /\[index_template\] unknown field \[priorty\]/);
    const b = await put(es, '/_index_template/t1', { priority: 5 });
    assertError(b, 400, 'x_content_parse_exception', /Required \[index_patterns\]/);
    const c = await put(es, '/_index_template/t1', { index_patterns: ['t1-*'], template: { setings: {} } });
    assertError(c, 400, 'x_content_parse_exception', /\[template\] unknown field \[setings\]/);
  });

  it('refuses an unknown ILM action, an unknown phase, an action in the wrong phase', async () => {
    const action = await put(es, '/_ilm/policy/p1', {
      policy: { phases: { hot: { actions: { rolover: { max_age: '1d' } } } } },
    });
    assertError(action, 400, 'x_content_parse_exception', /unknown field \[rolover\]/);
    const phase = await put(es, '/_ilm/policy/p1', { policy: { phases: { lukewarm: { actions: {} } } } });
    assertError(
      phase,
      400,
      'illegal_argument_exception',
      /Timeseries lifecycle does not support phase \[lukewarm\]/,
    );
    const wrong = await put(es, '/_ilm/policy/p1', {
      policy: { phases: { hot: { actions: { delete: {} } } } },
    });
    assertError(
      wrong,
      400,
      'illegal_argument_exception',
      /invalid action \[delete\] defined in phase \[hot\]/,
    );
    const param = await put(es, '/_ilm/policy/p1', {
      policy: { phases: { hot: { actions: { rollover: { max_ages: '1d' } } } } },
    });
    assertError(param, 400, 'x_content_parse_exception', /\[rollover\] unknown field \[max_ages\]/);
    const time = await put(es, '/_ilm/policy/p1', {
      policy: { phases: { delete: { min_age: '90 days', actions: { delete: {} } } } },
    });
    assertError(
      time,
      400,
      'illegal_argument_exception',
      /failed to parse setting \[min_age\] with value \[90 days\] as a time value/,
    );
    const good = await put(es, '/_ilm/policy/p1', {
      policy: {
        phases: {
          hot: { min_age: '0ms', actions: { rollover: { max_age: '30d' } } },
          delete: { min_age: '90d', actions: { delete: {} } },
        },
      },
    });
    assert.equal(good.status, 200, good.text);
  });

  it('refuses an unknown index setting in a template, in an index creation and in PUT _settings', async () => {
    // TransportPutComponentTemplateAction validates the settings first: an IllegalArgumentException.
    const t = await put(es, '/_component_template/s1', {
      template: { settings: { 'index.lifecycle.nam': 'x' } },
    });
    assertError(
      t,
      400,
      'illegal_argument_exception',
      /unknown setting \[index.lifecycle.nam\] did you mean (any of )?\[index.lifecycle.name/,
    );
    const t2 = await put(es, '/_component_template/s1', {
      template: { settings: { index: { flux_capacitor: 1 } } },
    });
    assertError(
      t2,
      400,
      'illegal_argument_exception',
      /unknown setting \[index.flux_capacitor\] please check that any required plugins are installed/,
    );
    // An index template's own settings are checked by MetadataIndexTemplateService#validate.
    const it2 = await put(es, '/_index_template/s1', {
      index_patterns: ['s1-*'],
      template: { settings: { 'index.flux_capacitor': 1 } },
    });
    assertError(
      it2,
      400,
      'invalid_index_template_exception',
      /index_template \[s1\] invalid, cause \[Validation Failed: 1: unknown setting \[index.flux_capacitor\]/,
    );
    const i = await put(es, '/plain-s1', { settings: { 'index.flux_capacitor': 1 } });
    assertError(i, 400, 'illegal_argument_exception', /unknown setting \[index.flux_capacitor\]/);
    const v = await put(es, '/plain-s1', { settings: { 'index.mapping.total_fields.limit': 'many' } });
    assertError(
      v,
      400,
      'illegal_argument_exception',
      /Failed to parse value \[many\] for setting \[index.mapping.total_fields.limit\]/,
    );
    const p = await put(es, '/plain-s1', { settings: { 'index.creation_date': '1' } });
    assertError(
      p,
      400,
      'validation_exception',
      /Validation Failed: 1: private index setting \[index.creation_date\] can not be set explicitly;/,
    );
    const k = await put(es, '/plain-s1', { setting: {} });
    assertError(k, 400, 'parse_exception', /unknown key \[setting\] for create index/);
    assert.equal((await put(es, '/plain-s1', { settings: { number_of_replicas: 0 } })).status, 200);
    const s = await put(es, '/plain-s1/_settings', { index: { 'mapping.ignore_malformd': true } });
    assertError(
      s,
      400,
      'illegal_argument_exception',
      /did you mean (any of )?\[index.mapping.ignore_malformed/,
    );
  });

  it('refuses an invalid index name', async () => {
    const a = await put(es, '/Bad-Name', {});
    assertError(a, 400, 'invalid_index_name_exception', /must be lowercase/);
  });

  it('refuses a component template update that would break a composable template using it', async () => {
    assert.equal(
      (
        await put(es, '/_component_template/ok-ts', {
          template: { mappings: { properties: { '@timestamp': { type: 'date' } } } },
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await put(es, '/_index_template/uses-ok', {
          index_patterns: ['uses-*'],
          data_stream: {},
          priority: 300,
          composed_of: ['ok-ts'],
        })
      ).status,
      200,
    );
    const a = await put(es, '/_component_template/ok-ts', {
      template: { mappings: { properties: { '@timestamp': { type: 'ip' } } } },
    });
    assertError(
      a,
      400,
      'illegal_argument_exception',
      /updating component template \[ok-ts\] results in invalid composable template \[uses-ok\]/,
    );
  });

  it("accepts Elasticsearch's own built-in templates (the validation is not stricter than Elasticsearch)", async () => {
    const bare = await startEsTestServer({ builtinLogsTemplate: false });
    try {
      for (const logsdb of [false, true]) {
        const b = builtinLogsAssets({ logsdb, major: 9, minor: 2 });
        for (const [n, body] of Object.entries(b.componentTemplates)) {
          const a = await put(bare, `/_component_template/${n}`, body);
          assert.equal(a.status, 200, `${n}: ${a.text}`);
        }
        const lc = await put(bare, '/_ilm/policy/logs@lifecycle', {
          policy: b.ilmPolicies['logs@lifecycle'],
        });
        assert.equal(lc.status, 200, lc.text);
        const t = await put(bare, '/_index_template/logs', b.indexTemplates.logs);
        assert.equal(t.status, 200, t.text);
      }
    } finally {
      await bare.stop();
    }
  });

  it('has a parameter table for every type casguard maps', () => {
    for (const t of [
      'keyword',
      'long',
      'integer',
      'boolean',
      'date',
      'ip',
      'text',
      'float',
      'match_only_text',
      'wildcard',
      'flattened',
      'double',
      'short',
      'constant_keyword',
      'scaled_float',
      'geo_point',
      'date_nanos',
      'unsigned_long',
      'half_float',
      'byte',
    ])
      assert.ok(FIELD_PARAMS[t], t);
    assert.ok(!('ignore_above' in FIELD_PARAMS.long!), "!('ignore_above' in FIELD_PARAMS.long!)");
    assert.ok('ignore_above' in FIELD_PARAMS.keyword!, "'ignore_above' in FIELD_PARAMS.keyword!");
    assert.ok(!('doc_values' in FIELD_PARAMS.text!), "!('doc_values' in FIELD_PARAMS.text!)");
  });
});
