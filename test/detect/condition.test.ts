import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCondition, compileKey, shortHost } from '../../src/detect/condition.js';
import { ConditionSchema, type Condition } from '../../src/detect/rule.schema.js';
import type { EcsDocument } from '../../src/pipeline/document.types.js';

const doc: EcsDocument = {
  '@timestamp': '2013-09-19T14:00:00.000Z',
  event: { code: '4999', action: 'Provision', type: ['access', 'error'] },
  host: { name: 'CAS01.contoso.com' },
  microsoft: { exchange: { activesync: { status: 110 } } },
  user_agent: { original: 'Apple-iPad2C2/1101.465' },
};
const m = (c: Condition): boolean => compileCondition(ConditionSchema.parse(c))(doc);

describe('conditions', () => {
  it('equals compares a long with its string form and is case-sensitive unless ignore_case', () => {
    assert.equal(m({ field: 'microsoft.exchange.activesync.status', equals: '110' }), true);
    assert.equal(m({ field: 'event.code', equals: 4999 }), true);
    assert.equal(m({ field: 'event.action', equals: 'provision' }), false);
    assert.equal(m({ field: 'event.action', equals: 'provision', ignore_case: true }), true);
  });
  it('one_of, contains, prefix and regex', () => {
    assert.equal(m({ field: 'event.action', one_of: ['Sync', 'Provision'] }), true);
    assert.equal(m({ field: 'event.action', one_of: ['Sync', 'Ping'] }), false);
    assert.equal(m({ field: 'user_agent.original', contains: 'iPad2' }), true);
    assert.equal(m({ field: 'user_agent.original', prefix: 'Apple-' }), true);
    assert.equal(m({ field: 'user_agent.original', prefix: 'apple-' }), false);
    assert.equal(m({ field: 'user_agent.original', regex: '^Apple-iPad\\d' }), true);
  });
  it('an array field matches when any element matches', () => {
    assert.equal(m({ field: 'event.type', equals: 'error' }), true);
    assert.equal(m({ field: 'event.type', equals: 'info' }), false);
  });
  it('exists and numeric comparisons', () => {
    assert.equal(m({ field: 'host.name', exists: true }), true);
    assert.equal(m({ field: 'device.id', exists: false }), true);
    assert.equal(m({ field: 'device.id', exists: true }), false);
    assert.equal(m({ field: 'microsoft.exchange.activesync.status', gt: 100 }), true);
    assert.equal(m({ field: 'microsoft.exchange.activesync.status', gte: 110 }), true);
    assert.equal(m({ field: 'microsoft.exchange.activesync.status', lt: 110 }), false);
    assert.equal(m({ field: 'microsoft.exchange.activesync.status', lte: 110 }), true);
    assert.equal(m({ field: 'event.code', gt: 4000 }), true, 'numeric strings compare as numbers');
    assert.equal(m({ field: 'missing.field', lt: 1 }), false);
  });
  it('all, any and not combine', () => {
    const c: Condition = {
      all: [
        { field: 'event.code', equals: '4999' },
        { any: [{ field: 'event.action', equals: 'Sync' }, { not: { field: 'device.id', exists: true } }] },
      ],
    };
    assert.equal(m(c), true);
    assert.equal(m({ not: c }), false);
  });
  it('rejects a condition with two operators or an unknown key', () => {
    assert.equal(ConditionSchema.safeParse({ field: 'a', equals: 1, contains: 'x' }).success, false);
    assert.equal(ConditionSchema.safeParse({ field: 'a', like: 'x' }).success, false);
  });
  it('keys normalise host names and fall back to other fields', () => {
    assert.equal(shortHost('CAS01.contoso.com'), 'cas01');
    assert.equal(shortHost('10.0.0.5'), '10.0.0.5');
    const k = compileKey([{ field: 'host.name', normalize: 'short_host' }]);
    assert.equal(k.of(doc), 'cas01');
    const fb = compileKey([{ field: 'host.name', fallback: ['observer.hostname'], normalize: 'short_host' }]);
    const iisDoc: EcsDocument = { '@timestamp': 'x', observer: { hostname: 'CAS02' } };
    assert.equal(fb.of(iisDoc), 'cas02');
    assert.equal(compileKey(['device.id']).of(doc), undefined);
  });
});
