// Every field of every EAS golden output is either an ECS field with a value of ECS's type
// (ecs-field-types.generated.ts, from ../shared/schemas/ecs/ecs_flat.yml) or listed in EAS_OWN_FIELDS with a value
// of the type given there. Arrays are checked element by element; `flattened` fields are not descended into.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EAS_OWN_FIELDS } from '../../../src/normalize/eas/eas-own-fields.js';
import { ECS_FIELD_TYPES } from './ecs-field-types.generated.js';
import { GOLDEN_SETS, goldenInputs, runGolden } from './golden-sets.js';

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function valueFits(type: string, v: unknown): boolean {
  switch (type) {
    case 'keyword':
    case 'constant_keyword':
    case 'wildcard':
    case 'text':
    case 'match_only_text':
      return typeof v === 'string';
    case 'long':
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'float':
    case 'double':
    case 'scaled_float':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'date':
      return typeof v === 'string' && ISO.test(v) && !Number.isNaN(Date.parse(v));
    case 'ip':
      return typeof v === 'string' && (IPV4.test(v) || (v.includes(':') && IPV6.test(v)));
    case 'flattened':
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return false;
  }
}

/** Problems found in one document: unknown fields and type mismatches. */
export function checkDocument(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const walk = (prefix: string, value: unknown): void => {
    const values = Array.isArray(value) ? value : [value];
    const own = EAS_OWN_FIELDS[prefix];
    const type = own ?? ECS_FIELD_TYPES[prefix];
    if (type !== undefined && type !== 'object') {
      for (const v of values) {
        if (!valueFits(type, v))
          problems.push(`${prefix}: ${JSON.stringify(v)?.slice(0, 60)} is not ${type}`);
      }
      return;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
      return;
    }
    problems.push(`${prefix}: not in ECS nor in EAS_OWN_FIELDS`);
  };
  walk('', doc);
  return problems;
}

describe('EAS golden outputs use ECS or declared own fields with the right types', () => {
  it('has a generated ECS table', () => assert.ok(Object.keys(ECS_FIELD_TYPES).length > 1000));
  it('catches an unknown field and a wrong type', () => {
    assert.deepEqual(checkDocument({ '@timestamp': '2013-09-19T14:22:11.000Z', foo: 1 }), [
      'foo: not in ECS nor in EAS_OWN_FIELDS',
    ]);
    assert.equal(checkDocument({ http: { response: { status_code: '200' } } }).length, 1);
  });
  for (const set of GOLDEN_SETS) {
    for (const file of goldenInputs(set)) {
      it(`${set.dir}/${file}`, () => {
        const { documents } = runGolden(set, file);
        const problems = new Set<string>();
        for (const d of documents as { doc: Record<string, unknown> }[]) {
          for (const p of checkDocument(d.doc)) problems.add(p);
        }
        assert.deepEqual([...problems], []);
      });
    }
  }
});
