import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EcsDocument } from '../pipeline/document.types.js';
import { appleBuild, kb2851708Of, parseBuild, releaseOf } from './eas-enrichers.js';
import { defaultEnrichers } from './index.js';

function enrich(doc: EcsDocument): EcsDocument {
  for (const e of defaultEnrichers) e(doc);
  return doc;
}

describe('EAS enrichment', () => {
  it('turns the iOS 7.0 user agent and model token into OS and device name', () => {
    const d = enrich({
      '@timestamp': 'x',
      user_agent: { original: 'Apple-iPad2C2/1101.465' },
      device: { model: { identifier: 'iPad2C2' } },
    });
    assert.deepEqual(d['user_agent'], {
      original: 'Apple-iPad2C2/1101.465',
      os: { name: 'iOS', version: '7.0', full: 'iOS 7.0 (11A465)' },
    });
    assert.deepEqual(d['device'], { model: { identifier: 'iPad2C2', name: 'iPad 2 - 3G' } });
  });

  it('decodes the five-digit letter suffix of Apple builds', () => {
    assert.equal(appleBuild('1102.55400001'), '11B554a');
    assert.equal(appleBuild('1905.258'), '19E258');
  });

  it('leaves unknown user agents, builds and models unknown', () => {
    const d = enrich({
      '@timestamp': 'x',
      user_agent: { original: 'Apple-iPhone99C9/9999.1' },
      device: { model: { identifier: 'Pixel' } },
    });
    assert.deepEqual(d['user_agent'], { original: 'Apple-iPhone99C9/9999.1' });
    assert.deepEqual(d['device'], { model: { identifier: 'Pixel' } });
    assert.equal(releaseOf(parseBuild('14.2.999.1')!), undefined);
  });

  it('rates builds against the KB 2851708 fixes', () => {
    assert.deepEqual(kb2851708Of(parseBuild('15.0.712.24')!), {
      status: 'fixed',
      fix: 'Exchange Server 2013 CU2 (15.0.712.24)',
    });
    assert.equal(kb2851708Of(parseBuild('15.0.620.29')!).status, 'affected');
    assert.equal(kb2851708Of(parseBuild('14.3.158.1')!).status, 'fixed');
    assert.equal(kb2851708Of(parseBuild('14.3.146.0')!).status, 'affected');
    assert.equal(kb2851708Of(parseBuild('14.2.328.9')!).status, 'affected');
    assert.equal(kb2851708Of(parseBuild('8.3.83.6')!).status, 'unknown');
  });

  it('names the release of file builds by their product build', () => {
    const d = enrich({ '@timestamp': 'x', microsoft: { exchange: { server: { build: '14.2.328.9' } } } });
    assert.deepEqual(d['microsoft'], {
      exchange: {
        server: {
          build: '14.2.328.9',
          release: 'Update Rollup 5 for Exchange Server 2010 SP2',
          kb2851708: { status: 'affected', fix: 'Exchange Server 2010 SP3 Update Rollup 2 (14.3.158.1)' },
        },
      },
    });
    assert.equal(releaseOf(parseBuild('15.0.516.25')!), 'Exchange Server 2013 RTM');
  });

  it('names common status codes for any command and small codes only for Provision', () => {
    const a = enrich({
      '@timestamp': 'x',
      microsoft: { exchange: { activesync: { command: 'Provision', status: 110 } } },
    });
    assert.equal(JSON.parse(JSON.stringify(a)).microsoft.exchange.activesync.status_name, 'ServerError');
    const b = enrich({
      '@timestamp': 'x',
      microsoft: { exchange: { activesync: { command: 'Ping', status: 3 } } },
    });
    assert.equal(JSON.parse(JSON.stringify(b)).microsoft.exchange.activesync.status_name, undefined);
  });
});
