// Rule files are validated with every problem reported as file:line; the shipped folder loads cleanly.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadRules, RulesError } from '../../src/config/rules-loader.js';
import { formatRuleProblem, parseRuleSources } from '../../src/detect/rule-parse.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const valid = `id: a-rule
uuid: 4f6b1c3e-2a5d-4e8f-9b7a-1c2d3e4f5a6b
name: A
description: d
severity: low
references: [https://support.microsoft.com/kb/2851708]
message: m
match: { field: event.code, equals: '4999' }
`;

describe('rule files', () => {
  it('config/rules loads the five built-in rules from disk', () => {
    const { rules, source } = loadRules(path.join(root, 'config/rules'));
    assert.equal(rules.length, 5);
    assert.match(source, /config\/rules$/);
  });

  it('reports a YAML syntax error with its line', () => {
    const { problems } = parseRuleSources([{ file: 'x.yml', text: 'id: a\nname: [unclosed\n' }]);
    assert.equal(problems.length > 0, true);
    assert.match(formatRuleProblem(problems[0]!), /^x\.yml:\d+:\d+ /);
  });

  it('rejects a second rule with the same id, pointing at its id line', () => {
    const { rules, problems } = parseRuleSources([
      { file: 'a.yml', text: valid },
      { file: 'b.yml', text: `# copy\n${valid}` },
    ]);
    assert.equal(rules.length, 1);
    assert.equal(formatRuleProblem(problems[0]!), 'b.yml:2:1  id  rule id or uuid already used in a.yml');
  });

  it('rejects a rule with two kinds or none, and suppression.by on a threshold', () => {
    const both = parseRuleSources([
      {
        file: 'c.yml',
        text: `${valid}threshold: { where: { field: a, exists: true }, by: [b], count: 2, window: 1m }\n`,
      },
    ]);
    assert.match(both.problems[0]!.message, /exactly one of match, threshold or sequence/);
    const by = parseRuleSources([
      {
        file: 'd.yml',
        text: valid.replace(
          "match: { field: event.code, equals: '4999' }",
          'threshold: { where: { field: a, exists: true }, by: [b], count: 2, window: 1m }\nsuppression: { by: [c] }',
        ),
      },
    ]);
    assert.equal(by.problems[0]!.path, 'suppression.by');
  });

  it('an empty or unreadable folder is an error, not an empty rule set', () => {
    assert.throws(() => loadRules(path.join(root, 'test/fixtures/detect/schemas')), RulesError);
    assert.throws(() => loadRules(path.join(root, 'no/such/folder')), /cannot be read/);
  });
});
