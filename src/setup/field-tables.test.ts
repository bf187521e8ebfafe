// The generated ECS and winlog tables match ../shared/schemas (when present), and the mapping setup builds
// gives every ECS field ECS's type.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ECS_FIELDS, ECS_VERSION } from './ecs-fields.generated.js';
import { WINLOG_FIELDS } from './winlog-fields.generated.js';
import { deriveEcsFields, deriveWinlogFields, ecsVersionFromSources } from './generate-field-tables.js';
import { buildProperties, clusterAssets } from './cluster-assets.js';

const ECS_FLAT = '../shared/schemas/ecs/ecs_flat.yml';
const WINLOG = '../shared/schemas/winlog/winlogbeat-fields.common.json';
const ECS_SOURCES = '../shared/schemas/ecs/SOURCES.md';

function typeAt(props: Record<string, unknown>, dotted: string): string | undefined {
  const parts = dotted.split('.');
  let node: Record<string, unknown> | undefined = { properties: props };
  for (const p of parts) {
    const children = node?.properties as Record<string, Record<string, unknown>> | undefined;
    node = children?.[p];
    if (!node) return undefined;
  }
  return (node?.type as string | undefined) ?? 'object';
}

describe('field tables', () => {
  it('the generated ECS table equals what ecs_flat.yml says', (t) => {
    if (!existsSync(ECS_FLAT)) {
      t.skip('../shared absent');
      return;
    }
    assert.deepEqual(ECS_FIELDS, deriveEcsFields(readFileSync(ECS_FLAT, 'utf8')));
  });

  it('ECS_VERSION (ecs.version of every document) is the version ecs_flat.yml was copied from', (t) => {
    assert.match(ECS_VERSION, /^\d+\.\d+\.\d+$/);
    if (!existsSync(ECS_SOURCES)) {
      t.skip('../shared absent');
      return;
    }
    assert.equal(ECS_VERSION, ecsVersionFromSources(readFileSync(ECS_SOURCES, 'utf8')));
  });

  it('reads the ECS version from the SOURCES.md wording and refuses a file without one', () => {
    assert.equal(ecsVersionFromSources('copied from tag v9.4.0.\n**ECS version: 9.4.0** (the ...'), '9.4.0');
    assert.throws(() => ecsVersionFromSources('no version here'), /ECS version/);
  });

  it('the generated winlog table equals the Winlogbeat field definitions', (t) => {
    if (!existsSync(WINLOG)) {
      t.skip('../shared absent');
      return;
    }
    assert.deepEqual(WINLOG_FIELDS, deriveWinlogFields(readFileSync(WINLOG, 'utf8')));
  });

  it('maps ECS fields with ECS types, e.g. source.ip ip, http.response.status_code long, @timestamp date', () => {
    assert.equal(ECS_FIELDS['source.ip']?.type, 'ip');
    assert.equal(ECS_FIELDS['http.response.status_code']?.type, 'long');
    assert.equal(ECS_FIELDS['@timestamp']?.type, 'date');
    assert.equal(ECS_FIELDS['message']?.type, 'match_only_text');
    assert.equal(WINLOG_FIELDS['winlog.event_id']?.type, 'keyword');
    const props = buildProperties(ECS_FIELDS);
    for (const [name, def] of Object.entries(ECS_FIELDS)) {
      const got = typeAt(props, name);
      const want = def.type === 'object' ? 'object' : def.type;
      assert.equal(got, want, name);
    }
  });

  it('puts own fields into the exchange component template with their declared types', () => {
    const assets = clusterAssets({
      namespace: 'default',
      ownFields: {
        'microsoft.exchange.activesync.status': 'long',
        'casguard.format': 'keyword',
        'casguard.alert.first_seen': 'date',
      },
    });
    const comp = assets.find((a) => a.name === 'casguard-exchange@mappings')!;
    const props = ((comp.body.template as Record<string, unknown>).mappings as Record<string, unknown>)
      .properties as Record<string, unknown>;
    assert.equal(typeAt(props, 'microsoft.exchange.activesync.status'), 'long');
    assert.equal(typeAt(props, 'casguard.format'), 'keyword');
    assert.equal(typeAt(props, 'casguard.alert.first_seen'), 'date');
  });
});
