// The generated Kibana saved objects: every field a panel, column filter or query names is mapped by what
// `casguard setup` installs, with a type the column's operation accepts; references resolve; JSON-in-string
// attributes parse; the shapes are Kibana's own (compared key by key with a real export, copied from
// ../shared/corpus/kibana/ into test/fixtures/kibana/); ids and output are stable (golden file, UPDATE_GOLDEN=1
// regenerates).

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultOwnFields } from '../../src/cli/commands/setup-command.js';
import { clusterAssets } from '../../src/setup/cluster-assets.js';
import { DATA_VIEWS } from '../../src/setup/kibana/data-views.js';
import { installedFields } from '../../src/setup/kibana/installed-fields.js';
import { DASHBOARD_ID, DASHBOARD_TITLE } from '../../src/setup/kibana/kb-dashboard.js';
import {
  checkSavedObjects,
  kqlStringFields,
  type ObjectLike,
} from '../../src/setup/kibana/saved-object-check.js';
import { kibanaSavedObjects, savedObjectsNdjson } from '../../src/setup/kibana/saved-objects.js';
import type { SavedObject } from '../../src/setup/kibana/saved-object.types.js';
import { repoRoot } from '../helpers/agent-process.js';

const CORPUS = path.join(repoRoot, 'test/fixtures/kibana/ssh-security-dashboard-export.ndjson');
const GOLDEN = path.join(repoRoot, 'test/golden/kibana/casguard-kibana.ndjson');

const assets = clusterAssets({ namespace: 'default', ownFields: defaultOwnFields() });
const objects = kibanaSavedObjects(assets);
const fieldsByDataView = new Map<string, ReturnType<typeof installedFields>>(
  Object.values(DATA_VIEWS).map((dv) => [dv.id, installedFields(assets, dv.pattern)] as const),
);

const clone = (o: SavedObject): SavedObject => JSON.parse(JSON.stringify(o)) as SavedObject;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking parsed JSON of known shape
type Json = Record<string, any>;
const lensColumns = (o: SavedObject): Json[] =>
  (Object.values((o.attributes as Json).state.datasourceStates.formBased.layers) as Json[]).flatMap((l) =>
    Object.values(l.columns as Json),
  );

function corpusObjects(): Json[] {
  return readFileSync(CORPUS, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Json)
    .filter((o) => o.exportedCount === undefined);
}

describe('Kibana saved objects', () => {
  it('are 4 data views, 10 Lens panels and the dashboard, in import order', () => {
    assert.deepEqual(
      objects.map((o) => o.type),
      [
        'index-pattern',
        'index-pattern',
        'index-pattern',
        'index-pattern',
        ...Array(10).fill('lens'),
        'dashboard',
      ],
    );
    assert.deepEqual(
      objects.filter((o) => o.type === 'index-pattern').map((o) => o.attributes.title),
      ['logs-exchange.activesync-*', 'logs-exchange.application-*', 'casguard-alerts-*', 'casguard-agents-*'],
    );
    const dashboard = objects.at(-1)!;
    assert.equal(dashboard.id, DASHBOARD_ID);
    assert.equal(dashboard.attributes.title, DASHBOARD_TITLE);
  });

  it('pass every structural and field check against the installed mappings', () => {
    assert.deepEqual(checkSavedObjects(objects, { fieldsByDataView }), []);
  });

  it('name only mapped fields, with types their operations accept (the check catches each kind of mistake)', () => {
    const lens = objects.find((o) => o.id === 'casguard-lens-provision-failures-top-devices')!;
    const mutate = (f: (cols: Json[], o: SavedObject) => void): string[] => {
      const o = clone(lens);
      f(lensColumns(o), o);
      return checkSavedObjects([...objects.filter((x) => x.id !== o.id), o], { fieldsByDataView });
    };
    const terms = (cols: Json[]): Json => cols.find((c) => c.operationType === 'terms')!;
    // a field the mappings lack
    assert.match(
      mutate((c) => (terms(c).sourceField = 'device.serial')).join('\n'),
      /field device\.serial is not mapped/,
    );
    // a text field under a terms aggregation
    assert.match(
      mutate((c) => (terms(c).sourceField = 'microsoft.exchange.httpproxy.generic_info')).join('\n'),
      /not aggregatable/,
    );
    // a number where the column says string
    assert.match(
      mutate((c) => (terms(c).sourceField = 'microsoft.exchange.activesync.status')).join('\n'),
      /dataType "string" but microsoft\.exchange\.activesync\.status is number/,
    );
    // a date histogram on a keyword
    assert.match(
      mutate((_c, o) => {
        const cols = lensColumns(o);
        Object.assign(terms(cols), { operationType: 'date_histogram' });
      }).join('\n'),
      /date_histogram does not accept device\.id/,
    );
    // a query naming an unmapped field
    assert.match(
      mutate((_c, o) => ((o.attributes as Json).state.query.query = 'event.nope : "x"')).join('\n'),
      /query: field event\.nope is not mapped/,
    );
  });

  it('every panel field exists with its ECS or own type in the templates setup installs', () => {
    const used = new Set<string>();
    for (const o of objects.filter((x) => x.type === 'lens')) {
      const dv = o.references[0]!.id;
      const fields = fieldsByDataView.get(dv)!;
      for (const c of lensColumns(o)) {
        if (c.sourceField !== '___records___')
          used.add(`${dv} ${c.sourceField} ${fields.get(c.sourceField)?.esType}`);
      }
      for (const f of kqlStringFields((o.attributes as Json).state.query.query))
        used.add(`${dv} ${f} ${fields.get(f)?.esType}`);
    }
    // Spot checks of the types that matter for the aggregations (keyword for terms, long for status, date).
    for (const want of [
      'casguard-logs-exchange-activesync device.id keyword',
      'casguard-logs-exchange-activesync microsoft.exchange.activesync.status long',
      'casguard-logs-exchange-application event.code keyword',
      'casguard-alerts casguard.alert.count long',
      'casguard-alerts casguard.alert.first_seen date',
      'casguard-agents casguard.agent.lag.seconds long',
      'casguard-agents @timestamp date',
    ])
      assert.ok(used.has(want), `${want} in\n${[...used].join('\n')}`);
    assert.ok(![...used].some((u) => u.endsWith(' undefined')), [...used].join('\n'));
  });

  it('every dashboard panel resolves to a Lens object; a missing one is reported by name', () => {
    const dashboard = objects.at(-1)!;
    const panels = JSON.parse(dashboard.attributes.panelsJSON as string) as Json[];
    assert.equal(panels.length, 10);
    for (const p of panels) {
      const ref = dashboard.references.find((r) => r.name === `${p.panelIndex}:${p.panelRefName}`);
      assert.ok(ref, p.panelRefName);
      assert.ok(
        objects.some((o) => o.type === 'lens' && o.id === ref.id),
        "objects.some((o) => o.type === 'lens' && o.id === ref.id)",
      );
    }
    const withoutOne = objects.filter((o) => o.id !== 'casguard-lens-alerts');
    assert.match(
      checkSavedObjects(withoutOne).join('\n'),
      /reference .*:panel_.* points to lens:casguard-lens-alerts, which is not there/,
    );
  });

  it('carry the migration stamps of Kibana 8.11 (core 8.8.0) and fixed ids', () => {
    for (const o of objects) {
      assert.equal(o.coreMigrationVersion, '8.8.0');
      assert.equal(
        o.typeMigrationVersion,
        { 'index-pattern': '8.0.0', lens: '8.9.0', dashboard: '8.9.0' }[o.type],
      );
      assert.equal(o.managed, false);
      assert.match(o.id, /^casguard-/);
    }
    assert.deepEqual(
      kibanaSavedObjects(clusterAssets({ namespace: 'other', ownFields: defaultOwnFields() })),
      objects,
      'the namespace does not change the objects: data views span every namespace',
    );
  });

  it('have the shape of a real Kibana export, key by key', () => {
    const real = corpusObjects();
    // The checker itself accepts Kibana's own objects.
    assert.deepEqual(checkSavedObjects(real as ObjectLike[]), []);
    const keysOf = (xs: Json[]): Set<string> => new Set(xs.flatMap((x) => Object.keys(x)));
    const subset = (mine: Set<string>, theirs: Set<string>, what: string, allowed: string[] = []): void => {
      const extra = [...mine].filter((k) => !theirs.has(k) && !allowed.includes(k));
      assert.deepEqual(extra, [], `${what}: keys Kibana's export does not have`);
    };
    const envelope = new Set([
      'type',
      'id',
      'attributes',
      'references',
      'coreMigrationVersion',
      'typeMigrationVersion',
      'managed',
    ]);
    subset(keysOf(objects), keysOf(real), 'envelope');
    subset(envelope, keysOf(real), 'envelope');
    for (const type of ['index-pattern', 'lens', 'dashboard']) {
      const mine = objects.filter((o) => o.type === type);
      const theirs = real.filter((o) => o.type === type);
      // allowNoIndex: a data view attribute since 7.10 that this export does not happen to use.
      subset(
        keysOf(mine.map((o) => o.attributes)),
        keysOf(theirs.map((o) => o.attributes)),
        `${type} attributes`,
        ['allowNoIndex'],
      );
    }
    const myLens = objects.filter((o) => o.type === 'lens');
    const theirLens = real.filter((o) => o.type === 'lens');
    subset(
      keysOf(myLens.map((o) => (o.attributes as Json).state)),
      keysOf(theirLens.map((o) => o.attributes.state)),
      'lens state',
    );
    const layers = (xs: Json[]): Json[] =>
      xs.flatMap(
        (o) => Object.values((o.attributes as Json).state.datasourceStates.formBased.layers) as Json[],
      );
    subset(keysOf(layers(myLens)), keysOf(layers(theirLens)), 'lens layer');
    // Columns of the operations the export uses (count, terms, date_histogram) have the export's keys
    // (plus scale/customLabel, which Kibana writes for columns created or renamed in the editor).
    for (const op of ['count', 'terms', 'date_histogram']) {
      const mine = myLens.flatMap((o) => lensColumns(o)).filter((c) => c.operationType === op);
      const theirs = theirLens
        .flatMap((o) => lensColumns(o as SavedObject))
        .filter((c) => c.operationType === op);
      subset(keysOf(mine), keysOf(theirs), `${op} column`, ['scale', 'customLabel']);
      subset(keysOf(mine.map((c) => c.params)), keysOf(theirs.map((c) => c.params)), `${op} params`);
    }
    const panels = (xs: Json[]): Json[] =>
      xs.flatMap((o) => JSON.parse(o.attributes.panelsJSON as string) as Json[]);
    subset(
      keysOf(panels(objects.filter((o) => o.type === 'dashboard'))),
      keysOf(panels(real.filter((o) => o.type === 'dashboard'))),
      'panel',
    );
    // Reference naming: `<panelIndex>:panel_<panelIndex>` on the dashboard, `indexpattern-datasource-layer-<id>` on Lens.
    for (const o of [...objects, ...real] as Json[]) {
      for (const r of o.references as Json[]) {
        if (o.type === 'lens') assert.match(r.name, /^indexpattern-datasource-layer-/);
        if (o.type === 'dashboard' && r.type === 'lens') assert.match(r.name, /^([0-9a-f-]+):panel_\1$/);
      }
    }
  });

  it('are written as the golden NDJSON import file', () => {
    const text = savedObjectsNdjson(objects);
    if (process.env['UPDATE_GOLDEN'] === '1') {
      mkdirSync(path.dirname(GOLDEN), { recursive: true });
      writeFileSync(GOLDEN, text);
    }
    assert.equal(
      readFileSync(GOLDEN, 'utf8'),
      text,
      'run with UPDATE_GOLDEN=1 to regenerate, and review the diff',
    );
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    assert.deepEqual(lines.at(-1), {
      excludedObjects: [],
      excludedObjectsCount: 0,
      exportedCount: 15,
      missingRefCount: 0,
      missingReferences: [],
    });
  });
});
