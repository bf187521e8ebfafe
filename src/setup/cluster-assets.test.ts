// What the setup bodies promise on a real cluster: standard index mode where the cluster knows the setting
// (so 9.x does not turn the data streams into logsdb), malformed values refused, no date detection, streams
// auto-created from casguard's templates even where `action.auto_create_index` is off.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Asset } from './cluster-assets.js';
import { clusterAssets, knowsIndexMode, parseEsVersion } from './cluster-assets.js';

const OWN = { 'casguard.format': 'keyword' } as const;

function byName(assets: Asset[], name: string): Record<string, unknown> {
  const a = assets.find((x) => x.name === name);
  assert.ok(a, `asset ${name}`);
  return a.body;
}

function settingsOf(body: Record<string, unknown>): Record<string, unknown> {
  return (body.template as { settings: Record<string, unknown> }).settings;
}

describe('cluster assets', () => {
  it('sets index.mode standard for clusters that know the setting (8.5 and later, and by default)', () => {
    for (const esVersion of ['8.5.0', '8.15.3', '8.19.0', '9.0.0', '9.1.0', '10.0.0-SNAPSHOT', undefined]) {
      const assets = clusterAssets({
        namespace: 'default',
        ownFields: OWN,
        ...(esVersion ? { esVersion } : {}),
      });
      assert.equal(settingsOf(byName(assets, 'casguard@settings'))['index.mode'], 'standard', esVersion);
    }
  });

  it('leaves index.mode out for 8.0-8.4, which refuse it as an unknown setting', () => {
    for (const esVersion of ['8.0.1', '8.4.3']) {
      const assets = clusterAssets({ namespace: 'default', ownFields: OWN, esVersion });
      assert.ok(!('index.mode' in settingsOf(byName(assets, 'casguard@settings'))), esVersion);
    }
  });

  it('refuses malformed values in the data streams and the alerts index', () => {
    const assets = clusterAssets({ namespace: 'default', ownFields: OWN });
    assert.equal(settingsOf(byName(assets, 'casguard@settings'))['index.mapping.ignore_malformed'], false);
    assert.equal(settingsOf(byName(assets, 'casguard-alerts'))['index.mapping.ignore_malformed'], false);
  });

  it('turns date detection off in the mappings every index template composes', () => {
    const assets = clusterAssets({ namespace: 'default', ownFields: OWN });
    const ecs = byName(assets, 'casguard-ecs@mappings');
    assert.equal((ecs.template as { mappings: Record<string, unknown> }).mappings.date_detection, false);
    for (const a of assets.filter((x) => x.kind === 'index_template')) {
      const own = (a.body.template as { mappings?: { date_detection?: boolean } } | undefined)?.mappings;
      const composed = (a.body.composed_of as string[] | undefined) ?? [];
      assert.ok(composed.includes('casguard-ecs@mappings') || own?.date_detection === false, a.name);
    }
  });

  it('allows auto-creation from every casguard index template', () => {
    const templates = clusterAssets({ namespace: 'default', ownFields: OWN }).filter(
      (a) => a.kind === 'index_template',
    );
    assert.deepEqual(
      templates.map((t) => [t.name, t.body.allow_auto_create]),
      [
        ['logs-exchange.activesync', true],
        ['logs-exchange.application', true],
        ['casguard-alerts', true],
        ['casguard-agents', true],
        ['casguard-alert-shares', true],
      ],
    );
  });

  it('reads versions as Elasticsearch reports them and refuses anything else', () => {
    assert.deepEqual(parseEsVersion('8.15.3'), [8, 15]);
    assert.deepEqual(parseEsVersion('9.1'), [9, 1]);
    assert.deepEqual(parseEsVersion('9.2.0-SNAPSHOT'), [9, 2]);
    assert.equal(knowsIndexMode('8.4.99'), false);
    assert.equal(knowsIndexMode('7.17.0'), false);
    assert.throws(() => parseEsVersion('nine'), /not of the form MAJOR.MINOR/);
    assert.throws(() => clusterAssets({ namespace: 'default', ownFields: OWN, esVersion: '8' }), /8/);
  });
});
