import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CasguardConfig } from './config.schema.js';
import { ConfigError, loadConfig, parseConfigText } from './load-config.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function problemsOf(text: string, env: Record<string, string> = {}): ConfigError['problems'] {
  try {
    parseConfigText(text, '/etc/casguard.yml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail('expected the config to be rejected');
}

describe('configuration loading', () => {
  it('accepts the shipped example config', () => {
    const loaded = loadConfig({ file: path.join(repo, 'config/casguard.example.yml'), env: {} });
    assert.equal(loaded.config.inputs.length, 3);
    assert.equal(
      loaded.config.outputs.elasticsearch?.apiKey,
      undefined,
      'an unset ${VAR:-} means no API key',
    );
    assert.equal(loaded.config.outputs.elasticsearch?.maxBatchDocs, 2000);
  });

  it('uses the embedded default when no file is given', () => {
    const loaded = loadConfig({ env: {} });
    assert.equal(loaded.file, undefined);
    assert.equal(loaded.config.inputs[0]?.id, 'inbox');
    assert.deepEqual(loaded.config.inputs[0]?.paths, ['./inbox/**/*']);
    assert.equal(loaded.config.outputs.file?.path, './data/out');
    assert.equal(loaded.config.outputs.elasticsearch, undefined);
  });

  it('reports a misspelled key, a wrong type and a missing required value, each with path and line', () => {
    const problems = problemsOf(
      [
        'dataDir: ./data',
        'inputs:',
        '  - id: iis',
        '    pathz: [a.log]', // misspelled (and so `paths` is missing)
        '    pollIntervalMs: soon', // wrong type
        'outputs:',
        '  file: { path: ./out }',
      ].join('\n'),
    );
    const byPath = new Map(problems.map((p) => [p.path, p]));
    assert.match(
      byPath.get('inputs[0].pathz')?.message ?? '',
      /unknown key 'pathz' \(did you mean 'paths'\?\)/,
    );
    assert.equal(byPath.get('inputs[0].pathz')?.line, 4);
    assert.match(byPath.get('inputs[0].paths')?.message ?? '', /required value is missing/);
    assert.equal(byPath.get('inputs[0].paths')?.line, 3, 'a missing key is reported at its parent mapping');
    assert.match(
      byPath.get('inputs[0].pollIntervalMs')?.message ?? '',
      /wrong type: expected a number, found the text "soon"/,
    );
    assert.equal(byPath.get('inputs[0].pollIntervalMs')?.line, 5);
  });

  it('interpolates ${ENV_VAR} and reports unset variables by key path', () => {
    const text =
      'inputs: [{ id: a, paths: [x] }]\noutputs:\n  elasticsearch:\n    hosts: ["https://es:9200"]\n    apiKey: ${KEY}\n';
    const ok = parseConfigText(text, '/c.yml', { KEY: 'c2VjcmV0' });
    assert.equal(ok.config.outputs.elasticsearch?.apiKey, 'c2VjcmV0');
    const problems = problemsOf(text, {});
    assert.equal(problems[0]?.path, 'outputs.elasticsearch.apiKey');
    assert.match(problems[0]?.message ?? '', /KEY is not set/);
    assert.equal(problems[0]?.line, 5);
  });

  it('lets environment variables override the most used settings', () => {
    const loaded = loadConfig({
      env: {
        CASGUARD_ES_HOSTS: 'http://a:9200, http://b:9200',
        CASGUARD_ES_USERNAME: 'u',
        CASGUARD_ES_PASSWORD: 'hunter2-secret',
        CASGUARD_DATA_DIR: '/var/cg',
      },
    });
    assert.deepEqual(loaded.config.outputs.elasticsearch?.hosts, ['http://a:9200', 'http://b:9200']);
    assert.equal(loaded.config.outputs.elasticsearch?.username, 'u');
    assert.equal(loaded.config.dataDir, '/var/cg');
    assert.ok(
      loaded.notes.every((n) => !n.includes('hunter2')),
      'notes never carry secret values',
    );
  });

  it('reads CASGUARD_CONFIG and reports YAML syntax errors with a position', () => {
    const dir = tempDir('cg-config-');
    const file = path.join(dir, 'bad.yml');
    writeFileSync(file, 'inputs:\n  - id: a\n    paths: [x\n');
    assert.throws(
      () => loadConfig({ env: { CASGUARD_CONFIG: file } }),
      (err: unknown) =>
        err instanceof ConfigError && err.problems[0]?.line !== undefined && err.message.includes(file),
    );
  });

  it('documents every option of the schema in the example config', () => {
    const text = readFileSync(path.join(repo, 'config/casguard.example.yml'), 'utf8');
    const missing: string[] = [];
    const walk = (schema: z.ZodType, at: string): void => {
      let s: z.ZodType = schema;
      // Unwrap defaults, optionals, arrays and refinements down to the object that carries keys.
      for (;;) {
        const def = (
          s as unknown as {
            def: { type: string; innerType?: z.ZodType; element?: z.ZodType; in?: z.ZodType };
          }
        ).def;
        if (def.innerType) s = def.innerType;
        else if (def.type === 'array' && def.element) s = def.element;
        else if (def.type === 'pipe' && def.in) s = def.in;
        else break;
      }
      if (!(s instanceof z.ZodObject)) return;
      for (const [key, child] of Object.entries(s.shape as Record<string, z.ZodType>)) {
        if (!new RegExp(`^\\s*#?\\s*(- )?${key}:`, 'm').test(text)) missing.push(`${at}${key}`);
        walk(child, `${at}${key}.`);
      }
    };
    walk(CasguardConfig, '');
    assert.deepEqual(missing, [], 'options without an entry in config/casguard.example.yml');
  });

  it('rejects duplicate keys and non-mapping documents', () => {
    assert.ok(
      problemsOf('dataDir: a\ndataDir: b\ninputs: []\n').length > 0,
      "problemsOf('dataDir: a\\ndataDir: b\\ninputs: []\\n').length > 0",
    );
    assert.match(problemsOf('- just\n- a list\n')[0]?.message ?? '', /mapping/);
  });
});
