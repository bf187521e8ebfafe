// Every exported rule validates against the schema its consumer uses: Kibana bodies and the NDJSON import file
// against detection-rules' api_schemas 8.19 and 9.5, the TOML `[rule]` table (parsed with smol-toml) likewise,
// Sigma rules and correlations against the Sigma 2.1 JSON schemas. Schemas are copies in test/fixtures/detect.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseToml } from 'smol-toml';
import { parseAllDocuments } from 'yaml';
import { rulesExport } from '../../src/cli/commands/rules-export-command.js';
import { loadRules } from '../../src/config/rules-loader.js';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { toKibanaNdjson, toKibanaRule } from '../../src/detect/export/kibana-export.js';
import { exportRules } from '../../src/detect/export/rules-export.js';
import { toSigmaDocuments, toSigmaYaml } from '../../src/detect/export/sigma-export.js';
import { toDetectionRulesToml } from '../../src/detect/export/toml-export.js';
import { tempDir } from '../helpers/temp-dir.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/detect');
const readJson = (p: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(fixtures, p), 'utf8'));

const drafts = new Ajv({ strict: false, allErrors: true });
const kibanaValidators = new Map<string, ValidateFunction>();
function kibanaSchema(stack: string, type: string): ValidateFunction {
  const k = `${stack}/${type}`;
  let v = kibanaValidators.get(k);
  if (!v) {
    const schema = readJson(`schemas/elastic-detection-rules/${stack}/${stack}.${type}.json`);
    delete schema['$schema']; // draft-04; see SOURCES.md
    v = drafts.compile(schema);
    kibanaValidators.set(k, v);
  }
  return v;
}
const sigmaAjv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(sigmaAjv);
const sigmaRule = sigmaAjv.compile(readJson('schemas/sigma/sigma-detection-rule-schema.json'));
const sigmaCorrelation = sigmaAjv.compile(readJson('schemas/sigma/sigma-correlation-rules-schema.json'));

function assertValid(v: ValidateFunction, body: unknown, what: string): void {
  const ok = v(body);
  assert.ok(ok, `${what}: ${JSON.stringify(v.errors, null, 1)}`);
}

const rules = builtinRules();

describe('Kibana export', () => {
  for (const stack of ['8.19', '9.5'])
    it(`every rule body validates against the detection-rules ${stack} schema of its type`, () => {
      for (const r of rules) {
        const body = toKibanaRule(r);
        assertValid(kibanaSchema(stack, body.type), body, `${r.id} (${body.type})`);
      }
    });

  it('maps the five rules to query, threshold and eql rules with their ids and thresholds', () => {
    const byId = new Map(rules.map((r) => [r.id, toKibanaRule(r)]));
    assert.equal(byId.get('kb2851708-watson-hashcore')!.type, 'query');
    assert.equal(byId.get('kb2851708-provision-exception')!.type, 'query');
    const storm = byId.get('kb2851708-provision-storm')!;
    assert.equal(storm.type, 'threshold');
    assert.deepEqual(storm['threshold'], { field: ['device.id'], value: 100 });
    assert.equal(storm['from'], 'now-1h');
    assert.equal(storm.rule_id, '90e7ef9e-ea75-44d5-8372-dc1c37a89a37');
    const corr = byId.get('kb2851708-host-correlation')!;
    assert.equal(corr.type, 'eql');
    assert.equal(
      corr['query'],
      'sequence by host.name with maxspan=15m\n' +
        '  [any where event.code == "4999" and microsoft.exchange.watson.method : "*MessageDigestForNonCryptographicPurposes.HashCore*" and microsoft.exchange.watson.exception == "System.ArgumentOutOfRangeException"]\n' +
        '  [any where microsoft.exchange.activesync.status == 110 and (microsoft.exchange.activesync.command : "Provision" or event.action : "Provision") and ' +
        '(error.type : "*ArgumentOutOfRangeException*" or microsoft.exchange.activesync.error : "*ArgumentOutOfRangeException*" or error.stack_trace : "*HashCore*" or ' +
        '(user_agent.os.name == "iOS" and user_agent.os.version : "7.*" and not microsoft.exchange.activesync.error != null and not error.type != null and not error.code != null))] with runs=5',
    );
    assert.equal(byId.get('kb2851708-vulnerable-host-ios7')!['severity'], 'low');
  });

  it('the KQL of the Watson rule reads as an analyst would write it', () => {
    const w = toKibanaRule(rules.find((r) => r.id === 'kb2851708-watson-hashcore')!);
    assert.equal(
      w['query'],
      'event.code : "4999" and (event.provider : "MSExchange Common" or winlog.provider_name : "MSExchange Common") and ' +
        'microsoft.exchange.watson.method : *MessageDigestForNonCryptographicPurposes.HashCore* and ' +
        'microsoft.exchange.watson.exception : "System.ArgumentOutOfRangeException" and ' +
        '(microsoft.exchange.watson.app : "AirSync" or not microsoft.exchange.watson.app : *)',
    );
  });

  it('the NDJSON import file has one valid rule per line with rule_id and version, like a Kibana export', () => {
    const lines = toKibanaNdjson(rules).trimEnd().split('\n');
    assert.equal(lines.length, 5);
    const real = JSON.parse(
      readFileSync(path.join(fixtures, 'detection-rule-export-with-exception-list.ndjson'), 'utf8').split(
        '\n',
      )[0]!,
    );
    for (const line of lines) {
      const body = JSON.parse(line) as Record<string, unknown> & { type: string };
      assertValid(kibanaSchema('9.5', body.type), body, 'ndjson line');
      assert.equal(typeof body['rule_id'], 'string');
      assert.equal(body['version'], 1);
      // every key we send is one Kibana itself exports for rules
      for (const k of Object.keys(body))
        if (!['threshold', 'alert_suppression', 'note', 'meta', 'license'].includes(k))
          assert.ok(k in real, `unexpected key ${k}`);
    }
  });
});

describe('detection-rules TOML export', () => {
  for (const stack of ['8.19', '9.5'])
    it(`parses with smol-toml and its [rule] table validates against ${stack}`, () => {
      for (const r of rules) {
        const toml = parseToml(toDetectionRulesToml(r)) as {
          metadata: Record<string, unknown>;
          rule: Record<string, unknown> & { type: string };
        };
        assert.match(String(toml.metadata['creation_date']), /^\d{4}\/\d{2}\/\d{2}$/);
        assertValid(kibanaSchema(stack, toml.rule.type), toml.rule, `${r.id} toml`);
        assert.equal(toml.rule['rule_id'], r.uuid);
        assert.equal(String(toml.rule['query']).trim(), String(toKibanaRule(r)['query']));
      }
    });
});

describe('Sigma export', () => {
  it('every document validates against the Sigma detection or correlation schema', () => {
    for (const r of rules) {
      const docs = parseAllDocuments(toSigmaYaml(r)).map((d) => d.toJS() as Record<string, unknown>);
      assert.ok(docs.length >= 1, 'docs.length >= 1');
      for (const d of docs)
        assertValid('correlation' in d ? sigmaCorrelation : sigmaRule, d, `${r.id}: ${String(d['title'])}`);
    }
  });

  it('a threshold becomes an event_count correlation and a sequence a temporal correlation over its steps', () => {
    const storm = toSigmaDocuments(rules.find((r) => r.id === 'kb2851708-provision-storm')!);
    assert.deepEqual(storm[1]!['correlation'], {
      type: 'event_count',
      rules: ['kb2851708_provision_storm_event'],
      'group-by': ['device.id'],
      timespan: '1h',
      condition: { gte: 100 },
    });
    const corr = toSigmaDocuments(rules.find((r) => r.id === 'kb2851708-host-correlation')!);
    assert.equal(corr.length, 4);
    assert.deepEqual(corr[3]!['correlation'], {
      type: 'temporal',
      rules: [
        'kb2851708_host_correlation_watson_hashcore',
        'kb2851708_host_correlation_provision_status_110_count',
      ],
      'group-by': ['host.name'],
      timespan: '15m',
    });
    assert.deepEqual((corr[0]!['logsource'] as Record<string, unknown>)['product'], 'windows');
  });

  it('the Watson rule reads as a Sigma rule with one selection per test', () => {
    const [w] = toSigmaDocuments(rules.find((r) => r.id === 'kb2851708-watson-hashcore')!);
    assert.deepEqual(w!['detection'], {
      selection_1: { 'event.code': '4999' },
      selection_2: { 'event.provider': 'MSExchange Common' },
      selection_3: { 'winlog.provider_name': 'MSExchange Common' },
      selection_4: {
        'microsoft.exchange.watson.method|contains': 'MessageDigestForNonCryptographicPurposes.HashCore',
      },
      selection_5: { 'microsoft.exchange.watson.exception': 'System.ArgumentOutOfRangeException' },
      selection_6: { 'microsoft.exchange.watson.app': 'AirSync' },
      selection_7: { 'microsoft.exchange.watson.app|exists': true },
      condition:
        'selection_1 and (selection_2 or selection_3) and selection_4 and selection_5 and (selection_6 or not selection_7)',
    });
  });
});

describe('rules export command', () => {
  it('writes the Kibana bodies and the NDJSON import file into --out', () => {
    const dir = tempDir('casguard-export-');
    try {
      const lines: string[] = [];
      const io = {
        out: (l: string) => lines.push(l),
        err: (l: string) => lines.push(l),
        setExitCode: () => undefined,
        env: {},
      };
      const code = rulesExport({ format: 'kibana', out: dir }, () => builtinRules(), io);
      assert.equal(code, 0);
      assert.deepEqual(
        readdirSync(dir).sort(),
        exportRules(rules, 'kibana')
          .map((f) => f.path)
          .sort(),
      );
      assert.equal(readFileSync(path.join(dir, 'casguard-rules.ndjson'), 'utf8'), toKibanaNdjson(rules));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports every problem of a broken rule folder with file and line, exit 1', () => {
    const dir = path.join(fixtures, 'bad-rules');
    const err: string[] = [];
    const io = {
      out: () => undefined,
      err: (l: string) => err.push(l),
      setExitCode: () => undefined,
      env: {},
    };
    const code = rulesExport({ format: 'sigma', rules: dir }, (d) => loadRules(d).rules, io);
    assert.equal(code, 1);
    const text = err.join('\n');
    assert.match(text, /rules INVALID: 2 problems/);
    assert.match(text, /bad-rules\/broken\.yml:6:\d+ {2}severity {2}/);
    assert.match(text, /bad-rules\/broken\.yml:11:\d+ {2}threshold\.count {2}/);
  });
});
