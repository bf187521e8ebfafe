import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EcsDocument } from '../../pipeline/document.types.js';
import { project, projectedValues, projectionFromValues } from './worker-protocol.js';

const paths = [
  'log.file.path',
  'user.name',
  'device.id',
  'event.category',
  'http.response.status_code',
  'tls.version',
].map((p) => p.split('.'));

function doc(): EcsDocument {
  return {
    '@timestamp': '2013-09-19T14:00:05.000Z',
    event: { category: ['web'], action: 'Provision' },
    user: { name: 'jdoe' },
    http: { response: { status_code: 200 } },
    device: { id: 'ApplDNQKLK2MF4K0' },
    log: { file: { path: 'C:\\inetpub\\logs\\u_ex130919.log' } },
  };
}

/** What the main thread got before: the projection's JSON, parsed. */
const viaObject = (d: EcsDocument): EcsDocument =>
  JSON.parse(JSON.stringify(project(d, paths))) as EcsDocument;

describe('a matched projection sent as its values', () => {
  it('rebuilds the same projection as its JSON object, keys in the same order', () => {
    const d = doc();
    const values = projectedValues(d, paths);
    assert.ok(values, 'a document with a string @timestamp and plain values crosses as values');
    const rebuilt = projectionFromValues(JSON.parse(JSON.stringify(values)) as typeof values, paths);
    assert.equal(JSON.stringify(rebuilt), JSON.stringify(viaObject(d)));
    assert.deepEqual(rebuilt, viaObject(d));
    assert.equal(values.length, paths.length + 1);
    assert.equal(values[6], null, 'tls.version is absent');
  });

  it('gives up where the values could not say it exactly: null, a number JSON cannot write, a non-string time', () => {
    const withNull = doc();
    (withNull['user'] as Record<string, unknown>)['name'] = null;
    assert.equal(projectedValues(withNull, paths), undefined);
    const withNaN = doc();
    ((withNaN['http'] as Record<string, Record<string, unknown>>)['response'] as Record<string, unknown>)[
      'status_code'
    ] = Number.NaN;
    assert.equal(projectedValues(withNaN, paths), undefined);
    const noTime = doc() as unknown as Record<string, unknown>;
    noTime['@timestamp'] = 1379599205000;
    assert.equal(projectedValues(noTime as unknown as EcsDocument, paths), undefined);
  });

  it('rebuilds the same projection when one path holds another, in either order', () => {
    const nested = [
      'microsoft.exchange.server',
      'microsoft.exchange.server.kb2851708.status',
      'user',
      'user.name',
    ];
    for (const order of [nested, [...nested].reverse()]) {
      const ps = order.map((p) => p.split('.'));
      for (const server of ['EXCAS01', { kb2851708: { status: 110 }, other: 'x' }]) {
        const d = { ...doc(), microsoft: { exchange: { server } } } as EcsDocument;
        const before = JSON.stringify(d);
        const values = projectedValues(d, ps);
        assert.ok(values, `values for ${JSON.stringify(server)}`);
        const rebuilt = projectionFromValues(JSON.parse(JSON.stringify(values)) as typeof values, ps);
        assert.equal(JSON.stringify(rebuilt), JSON.stringify(project(d, ps)), `order ${order.join(' ')}`);
        assert.equal(JSON.stringify(d), before, 'the document is not changed');
      }
    }
  });
});
