// Damaged segments: what each kind of damage costs (issue 19 finding 6).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSegment, SegmentParser } from './spool-segment-parser.js';

const item = (i: number): string =>
  `{"create":{"_index":"logs-exchange.activesync-default","_id":"d${i}"}}\n` +
  `{"@timestamp":"2013-09-19T14:02:12Z","message":"document ${i} ${'x'.repeat(i % 40)}"}\n`;
const body = (n: number): string => Array.from({ length: n }, (_, i) => item(i)).join('');
const ids = (items: { id: string }[]): string[] => items.map((it) => it.id);

describe('spool segment parser', () => {
  it('reads an intact segment completely, with no damage', () => {
    const r = parseSegment(body(2000));
    assert.equal(r.items.length, 2000);
    assert.deepEqual(r.damaged, []);
    assert.equal(r.items[5]!.lines, item(5));
  });

  it('keeps every whole item of a segment cut in half and reports the cut one as damaged', () => {
    const b = body(2000);
    const r = parseSegment(b.slice(0, Math.floor(b.length / 2)));
    assert.ok(r.items.length > 950 && r.items.length < 1010, `${r.items.length} recovered`);
    assert.deepEqual(ids(r.items), ids(parseSegment(body(r.items.length)).items));
    assert.equal(r.damaged.length, 1);
  });

  it('recovers the items before and after a zero-filled region and counts the bytes lost', () => {
    const b = Buffer.from(body(2000));
    const from = Math.floor(b.length * 0.4);
    const len = 16 * 1024;
    b.fill(0, from, from + len);
    const p = new SegmentParser();
    const r = p.parse(b.toString('utf8'));
    const end = p.end();
    const items = [...r.items, ...end.items];
    const lost = 2000 - items.length;
    assert.ok(lost > 0 && lost < 120, `${lost} lost to a 16 KiB hole`);
    assert.ok(p.damagedBytes >= len, `${p.damagedBytes} damaged bytes`);
    assert.equal(r.damaged.length + end.damaged.length, 1, 'one damaged run, not one per line');
    assert.ok(
      ids(items).includes('d0') && ids(items).includes('d1999'),
      "ids(items).includes('d0') && ids(items).includes('d1999')",
    );
  });

  it('recovers every item when a newline was inserted into a document', () => {
    const b = body(2000);
    const at = b.indexOf('document 5 ') + 4;
    const r = parseSegment(`${b.slice(0, at)}\n${b.slice(at)}`);
    assert.equal(r.items.length, 2000);
    assert.deepEqual(r.damaged, []);
    assert.equal(r.items[5]!.lines, item(5), 'the document is exactly what was spooled');
  });

  it('skips stray lines and a broken action, keeping the items around them', () => {
    const r = parseSegment(
      item(1) + 'garbage\n{"create":\n{}\n' + '{"delete":{"_index":"x","_id":"y"}}\n{}\n' + item(2),
    );
    assert.deepEqual(ids(r.items), ['d1', 'd2']);
    assert.equal(r.damaged.length, 1);
    assert.match(r.damaged[0]!.text, /garbage/);
  });
});
