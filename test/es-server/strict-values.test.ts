// Values Elasticsearch refuses: dates in another format than the field's (`2013-09-19 14:00:05` for the default
// strict_date_optional_time||epoch_millis), `_id` over 512 bytes (the whole bulk request is invalid), keyword terms
// over 32,766 UTF-8 bytes (unless ignore_above keeps them out of the index), IP literals, numbers out of range.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEsTestServer } from './es-test-server.js';
import type { EsTestServer } from './es-test-server.js';
import { bulk, client8, ndjson, raw } from './test-helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- bulk answers are inspected loosely */

describe('strict values', () => {
  let es: EsTestServer;
  before(async () => {
    es = await startEsTestServer({ version: '8.15.0' });
    const a = await raw(es.url, 'PUT', '/strict', {
      mappings: {
        properties: {
          '@timestamp': { type: 'date' },
          when: { type: 'date', format: 'yyyy-MM-dd HH:mm:ss' },
          nanos: { type: 'date_nanos' },
          tag: { type: 'keyword' },
          short_tag: { type: 'keyword', ignore_above: 1024 },
          ip: { type: 'ip' },
          count: { type: 'integer' },
          ratio: { type: 'float' },
          flag: { type: 'boolean' },
        },
      },
    });
    assert.equal(a.status, 200, a.text);
  });
  after(async () => {
    await es.stop();
  });

  async function one(doc: Record<string, unknown>, id = 'x'): Promise<any> {
    const r = await bulk(client8(es.url), ndjson([{ op: 'index', index: 'strict', id, doc }]));
    return r.items[0].index;
  }

  it('refuses "2013-09-19 14:00:05" as @timestamp with the default format, as Elasticsearch words it', async () => {
    const item = await one({ '@timestamp': '2013-09-19 14:00:05' });
    assert.equal(item.status, 400);
    assert.equal(item.error.type, 'document_parsing_exception');
    assert.equal(
      item.error.reason,
      "[1:15] failed to parse field [@timestamp] of type [date] in document with id 'x'. Preview of field's value: '2013-09-19 14:00:05'",
    );
    assert.deepEqual(item.error.caused_by, {
      type: 'illegal_argument_exception',
      reason:
        'failed to parse date field [2013-09-19 14:00:05] with format [strict_date_optional_time||epoch_millis]',
      caused_by: { type: 'date_time_parse_exception', reason: 'Failed to parse with all enclosed parsers' },
    });
    for (const ok of [
      '2013-09-19T14:00:05Z',
      '2013-09-19T14:00:05.123+02:00',
      '2013-09-19',
      1379599205000,
      '1379599205000',
    ])
      assert.ok((await one({ '@timestamp': ok })).status < 300, String(ok));
    for (const bad of ['2013-9-19T14:00:05Z', '2013-02-30', 'yesterday', '2013-09-19T25:00:00Z', true])
      assert.equal((await one({ '@timestamp': bad })).status, 400, String(bad));
  });

  it('parses a date with the format its mapping declares', async () => {
    assert.ok(
      (await one({ when: '2013-09-19 14:00:05' })).status < 300,
      "(await one({ when: '2013-09-19 14:00:05' })).status < 300",
    );
    assert.equal((await one({ when: '2013-09-19T14:00:05Z' })).status, 400);
    assert.ok(
      (await one({ nanos: '2013-09-19T14:00:05.123456789Z' })).status < 300,
      "(await one({ nanos: '2013-09-19T14:00:05.123456789Z' })).status < 300",
    );
    const before1970 = await one({ nanos: '1969-12-31T23:59:59Z' });
    assert.equal(before1970.status, 400);
    assert.match(
      before1970.error.caused_by.reason,
      /is before the epoch in 1970 and cannot be stored in nanosecond resolution/,
    );
  });

  it('refuses the whole bulk request when an _id is longer than 512 bytes', async () => {
    const long = 'a'.repeat(513);
    const r = await raw(
      es.url,
      'POST',
      '/_bulk',
      ndjson([
        { op: 'index', index: 'strict', id: 'fine', doc: {} },
        { op: 'index', index: 'strict', id: long, doc: {} },
      ]),
      { 'content-type': 'application/x-ndjson' },
    );
    assert.equal(r.status, 400);
    assert.equal(r.json.error.type, 'action_request_validation_exception');
    assert.equal(
      r.json.error.reason,
      `Validation Failed: 1: id [${long}] is too long, must be no longer than 512 bytes but was: 513;`,
    );
    assert.equal(es.docs('strict').has('fine'), false, 'nothing of the request was applied');
    // 512 bytes is fine, and bytes are counted in UTF-8.
    assert.equal(
      (await bulk(client8(es.url), ndjson([{ op: 'index', index: 'strict', id: 'b'.repeat(512), doc: {} }])))
        .errors,
      false,
    );
    const utf8 = 'é'.repeat(257); // 514 bytes
    const r2 = await raw(
      es.url,
      'POST',
      '/_bulk',
      ndjson([{ op: 'index', index: 'strict', id: utf8, doc: {} }]),
      { 'content-type': 'application/x-ndjson' },
    );
    assert.match(r2.json.error.reason, /must be no longer than 512 bytes but was: 514/);
  });

  it('refuses a keyword term over 32,766 bytes unless ignore_above keeps it out of the index', async () => {
    const big = 'é'.repeat(16384); // 32,768 bytes in UTF-8, 16,384 characters
    const item = await one({ tag: big });
    assert.equal(item.status, 400);
    assert.equal(item.error.type, 'illegal_argument_exception');
    assert.match(
      item.error.reason,
      /^Document contains at least one immense term in field="tag" \(whose UTF8 encoding is longer than the max length 32766\), all of which were skipped\./,
    );
    assert.equal(item.error.caused_by.type, 'max_bytes_length_exceeded_exception');
    assert.match(item.error.caused_by.reason, /bytes can be at most 32766 in length; got 32768/);
    assert.ok(
      (await one({ tag: 'x'.repeat(32766) })).status < 300,
      "(await one({ tag: 'x'.repeat(32766) })).status < 300",
    );
    const ignored = await one({ short_tag: big }, 'ign');
    assert.ok(ignored.status < 300, 'ignored.status < 300');
    assert.deepEqual((await raw(es.url, 'GET', '/strict/_doc/ign')).json._ignored, ['short_tag']);
  });

  it('validates IP literals as InetAddresses does', async () => {
    for (const ok of ['10.0.0.1', '::1', 'fe80::1', '::ffff:10.0.0.1', '2001:db8::8a2e:370:7334'])
      assert.ok((await one({ ip: ok })).status < 300, ok);
    for (const bad of [
      '10.0.0.256',
      '010.0.0.1',
      'fe80::1%eth0',
      '1:2:3:4:5:6:7:8:9',
      'localhost',
      '10.0.0',
    ]) {
      const item = await one({ ip: bad });
      assert.equal(item.status, 400, bad);
      assert.equal(item.error.caused_by.reason, `'${bad}' is not an IP string literal.`);
    }
  });

  it('checks numbers and booleans', async () => {
    assert.ok((await one({ count: '12' })).status < 300, 'coerced');
    assert.ok((await one({ count: 1.9 })).status < 300, 'truncated');
    const range = await one({ count: 3000000000 });
    assert.equal(range.status, 400);
    assert.equal(range.error.caused_by.reason, 'Value [3000000000] is out of range for an integer');
    const nan = await one({ count: 'many' });
    assert.deepEqual(nan.error.caused_by, {
      type: 'number_format_exception',
      reason: 'For input string: "many"',
    });
    assert.equal((await one({ ratio: 'NaN' })).status, 400);
    const b = await one({ flag: 'yes' });
    assert.equal(
      b.error.caused_by.reason,
      'Failed to parse value [yes] as only [true] or [false] are allowed.',
    );
    assert.ok((await one({ flag: 'false' })).status < 300, "(await one({ flag: 'false' })).status < 300");
  });

  it('names an object given to a keyword, with the value preview Elasticsearch prints', async () => {
    const item = await one({ tag: { a: 1, b: [2, 3] } });
    assert.equal(item.status, 400);
    assert.match(
      item.error.reason,
      /failed to parse field \[tag\] of type \[keyword\] in document with id 'x'\. Preview of field's value: '\{a=1, b=\[2, 3\]\}'/,
    );
    const obj = await one({ ip: { v: 4 } });
    assert.equal(obj.status, 400);
  });
});
