// Every field of every EAS golden output is either an ECS field with a value of ECS's type
// (ecs-field-types.generated.ts, from ../shared/schemas/ecs/ecs_flat.yml) or listed in EAS_OWN_FIELDS with a value
// of the type given there. Arrays are checked element by element; `flattened` fields are not descended into.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDocument } from './ecs-check.js';
import { ECS_FIELD_TYPES } from './ecs-field-types.generated.js';
import { GOLDEN_SETS, goldenInputs, runGolden } from './golden-sets.js';

describe('EAS golden outputs use ECS or declared own fields with the right types', () => {
  it('has a generated ECS table', () =>
    assert.ok(Object.keys(ECS_FIELD_TYPES).length > 1000, 'Object.keys(ECS_FIELD_TYPES).length > 1000'));
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
