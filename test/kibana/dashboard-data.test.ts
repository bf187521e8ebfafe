// The dashboard shows data on the KB 2851708 scenario: each panel's query (the same KQL tree the Lens object is
// generated from) matches documents that the real pipeline produced from the scenario's logs, and every field a
// panel charts is present in them. The agents' panels have no documents until the fleet view writes them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultOwnFields } from '../../src/cli/commands/setup-command.js';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import type { EcsDocument, JsonValue } from '../../src/pipeline/document.types.js';
import { clusterAssets } from '../../src/setup/cluster-assets.js';
import { DATA_VIEWS } from '../../src/setup/kibana/data-views.js';
import { kbDashboardPanels } from '../../src/setup/kibana/kb-dashboard.js';
import type { Kql } from '../../src/setup/kibana/kql.js';
import type { Column } from '../../src/setup/kibana/lens.js';
import { finalAlerts, runPipeline } from '../detect/pipeline-runner.js';
import { generateScenario } from '../detect/scenario.js';

function field(doc: EcsDocument, path: string): JsonValue | undefined {
  let cur: unknown = doc;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur as JsonValue | undefined;
}

/** KQL semantics for the operators the panels use (keyword fields compare exactly; arrays match any value). */
function matches(q: Kql, doc: EcsDocument): boolean {
  switch (q.op) {
    case 'is': {
      const v = field(doc, q.field);
      const values = Array.isArray(v) ? v : [v];
      return values.some((x) => x === q.value || (typeof q.value === 'number' && x === q.value));
    }
    case 'exists':
      return field(doc, q.field) !== undefined;
    case 'not':
      return !matches(q.part, doc);
    case 'and':
      return q.parts.every((p) => matches(p, doc));
    case 'or':
      return q.parts.some((p) => matches(p, doc));
  }
}

const columnsOf = (c: ReturnType<typeof kbDashboardPanels>[number]['spec']['chart']): Column[] =>
  c.kind === 'xy'
    ? [c.x, ...(c.split ? [c.split] : []), ...c.y]
    : c.kind === 'table'
      ? [...c.rows, ...c.metrics]
      : [c.x, c.y, c.value];

describe('the dashboard on the KB scenario', () => {
  it('every panel but the agents ones finds documents, with every charted field present', () => {
    const scenario = generateScenario(300);
    const run = runPipeline(scenario.files, builtinRules(), { order: 'backfill' });
    const byDataView = new Map<string, EcsDocument[]>([
      [DATA_VIEWS.activesync.id, run.shipped.filter((d) => d.stream === 'activesync').map((d) => d.doc)],
      [DATA_VIEWS.application.id, run.shipped.filter((d) => d.stream === 'application').map((d) => d.doc)],
      [DATA_VIEWS.alerts.id, [...finalAlerts(run.alerts).values()].map((d) => d.doc)],
      [DATA_VIEWS.agents.id, []],
    ]);
    const panels = kbDashboardPanels(clusterAssets({ namespace: 'default', ownFields: defaultOwnFields() }));
    const counts: Record<string, number> = {};
    for (const { spec } of panels) {
      const docs = byDataView
        .get(spec.dataView.id)!
        .filter((d) => (spec.query ? matches(spec.query, d) : true));
      counts[spec.id] = docs.length;
      if (spec.dataView.id === DATA_VIEWS.agents.id) continue;
      assert.ok(docs.length > 0, `${spec.title}: no document matches ${JSON.stringify(spec.query)}`);
      for (const c of columnsOf(spec.chart)) {
        if (c.op === 'count') continue;
        assert.ok(
          docs.some((d) => field(d, c.field) !== undefined),
          `${spec.title}: no matching document has ${c.field}`,
        );
      }
    }
    // The storm panels count what the storm rule counts: every failed Provision on IIS lines (the three storms,
    // the iOS 6 device's three 449s and the five Android devices' 20 IOExceptions each); the storms tower.
    assert.equal(
      counts['casguard-lens-provision-failures-by-device'],
      scenario.storms.reduce((n, s) => n + s.times.length, 0) + 3 + 5 * 20,
    );
    // Every 4999 of MSExchange Common: the 11 HashCore reports on cas01 and the unrelated OWA one on cas02.
    assert.equal(counts['casguard-lens-event-4999-per-host'], scenario.watsonSignatures + 1);
  });
});
