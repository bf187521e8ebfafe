import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Serializer } from '@elastic/elasticsearch';
import { AllCreated, allCreatedCount, BulkAnswerSerializer } from './bulk-answer.js';

const ITEM = '{"create":{"status":201}}';
const answer = (items: string[], errors = false): string =>
  `{"errors":${errors},"items":[${items.join(',')}]}`;
const created = (n: number): string[] => Array.from({ length: n }, () => ITEM);

describe('the all-created bulk answer', () => {
  it('is recognised for any count, as the count of its items', () => {
    for (const n of [1, 2, 3, 4999, 5000, 1, 5000]) assert.equal(allCreatedCount(answer(created(n))), n);
  });

  it('is not recognised when anything differs from it', () => {
    const others = [
      answer([]),
      answer(created(3), true),
      answer([ITEM, '{"create":{"status":200}}', ITEM]),
      answer([ITEM, '{"index":{"status":201}}']),
      answer([ITEM, '{"create":{"status":201,"failure_store":"used"}}']),
      answer([ITEM, '{"create":{"status":400,"error":{"type":"x","reason":"y"}}}']),
      answer([ITEM, '{"create":{"status":409}}']),
      answer([ITEM, '{"create":{"status":2010}}']),
      answer([ITEM, '{"create":{"status":20}}']),
      `{"errors": false,"items":[${ITEM}]}`,
      `{"items":[${ITEM}],"errors":false}`,
      `{"took":3,"errors":false,"items":[${ITEM}]}`,
      `${answer(created(2))}\n`,
      answer(created(2)).slice(0, -1),
      `{"errors":false,"items":[${ITEM},,${ITEM}]}`,
      `{"errors":false,"items":[${ITEM}${ITEM},]}`,
      '',
      '{}',
    ];
    for (const text of others) assert.equal(allCreatedCount(text), undefined, text);
  });

  it('is recognised after other counts and texts were seen (its cached text follows the count)', () => {
    assert.equal(allCreatedCount(answer(created(7))), 7);
    assert.equal(allCreatedCount(answer([...created(6), '{"create":{"status":202}}'])), undefined);
    assert.equal(allCreatedCount(answer(created(8))), 8);
    assert.equal(allCreatedCount(answer(created(7))), 7);
  });
});

describe('BulkAnswerSerializer', () => {
  it('deserializes the all-created answer to its count, and any other text as the client does', () => {
    const s = new BulkAnswerSerializer();
    const base = new Serializer();
    const r = s.deserialize(answer(created(5)));
    assert.ok(r instanceof AllCreated, 'the all-created answer deserializes to its count');
    assert.equal(r.count, 5);
    for (const text of [
      answer([ITEM, '{"create":{"status":409}}'], true),
      '{"name":"node-1","version":{"number":"9.2.0"}}',
      '[1,2,3]',
    ])
      assert.deepEqual(s.deserialize(text), base.deserialize(text));
    // The client's own error for what is not JSON.
    assert.throws(() => s.deserialize('{"errors":false,"items":['), { name: 'DeserializationError' });
  });
});
