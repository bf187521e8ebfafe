import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SourceRecord } from '../../pipeline/record.types.js';
import { IisParser } from './iis-parser.js';

const src = { inputId: 't', path: '/x/u_ex130919.log', fingerprint: 'f' };
const rec = (text: string, offset = 0): SourceRecord => ({
  source: src,
  offset,
  endOffset: offset + text.length,
  text,
});

describe('IisParser', () => {
  it('maps columns by the latest #Fields, which may change mid-file', () => {
    const p = new IisParser();
    assert.equal(p.parse(rec('#Fields: date time cs-method sc-status')).kind, 'skip');
    const a = p.parse(rec('2013-09-19 14:22:11 POST 200'));
    assert.equal(a.kind, 'event');
    p.parse(rec('#Fields: date time sc-status cs-method s-port'));
    const b = p.parse(rec('2013-09-19 14:22:12 500 GET 443'));
    assert.ok(b.kind === 'event', "b.kind === 'event'");
    assert.equal(b.event.values[b.event.layout.index['cs-method']!], 'GET');
  });

  it('fails with a reason on a wrong column count, bad time, binary data and over-long lines', () => {
    const p = new IisParser();
    p.parse(rec('#Fields: date time cs-method sc-status'));
    const cases: [string, string][] = [
      ['2013-09-19 14:22:11 POST', 'iis.column_count'],
      ['2013-09-1x 14:22:11 POST 200', 'iis.timestamp'],
      ['2013-09-19 14:22:11 PO\u0000ST 200', 'iis.encoding'],
      ['2013-09-19 14:22:11 P\ufffdST 200', 'iis.encoding'],
      ['x'.repeat(10 * 1024 * 1024), 'iis.line_too_long'],
    ];
    for (const [text, code] of cases) {
      const r = p.parse(rec(text));
      assert.equal(r.kind, 'failure', text.slice(0, 40));
      assert.equal(r.kind === 'failure' ? r.code : '', code);
    }
  });

  it('assumes the IIS default layout for 14 or 15 columns only when no #Fields was seen', () => {
    const p = new IisParser();
    const r = p.parse(
      rec(
        '2016-08-16 19:46:59 10.207.7.100 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Search 443 u 10.207.7.213 Python - 200 0 0 390',
      ),
    );
    assert.ok(r.kind === 'event', "r.kind === 'event'");
    assert.equal(r.event.layout.assumed, true);
    assert.equal(r.event.values[r.event.layout.index['cs(referer)']!], '-');
    assert.equal(p.parse(rec('2016-08-16 19:46:59 a b')).kind, 'failure');
  });

  it('restores #Fields from a snapshot', () => {
    const p = new IisParser();
    p.parse(rec('#Fields: date time cs-method'));
    const q = new IisParser();
    q.restore(JSON.parse(JSON.stringify(p.snapshot())));
    assert.equal(q.parse(rec('2013-09-19 14:22:11 POST')).kind, 'event');
  });
});
