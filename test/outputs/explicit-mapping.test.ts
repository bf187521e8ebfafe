// Every document casguard emits (the golden outputs of every format and the alerts of the KB 2851708
// scenario) carries ecs.version and agent.*, and every one of its fields is mapped EXPLICITLY by the bodies
// `casguard setup` installs: nothing relies on dynamic mapping (which would map the first date-looking string
// as a date, or a number as long, for the life of a backing index). The only open places are the `object`
// fields that are open on purpose (winlog.event_data, winlog.user_data, ...), where every value must be a string
// (mapped keyword by the `strings_as_keyword` dynamic template, date detection off), and `flattened` fields.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultOwnFields } from '../../src/cli/commands/setup-command.js';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { CASGUARD_VERSION } from '../../src/pipeline/agent-metadata.types.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import type { Asset } from '../../src/setup/cluster-assets.js';
import { clusterAssets } from '../../src/setup/cluster-assets.js';
import { ECS_VERSION } from '../../src/setup/ecs-fields.generated.js';
import { finalAlerts, runPipeline } from '../detect/pipeline-runner.js';
import { generateScenario } from '../detect/scenario.js';
import { TEST_AGENT } from '../helpers/agent-metadata.js';

type Props = Record<string, { type?: string; properties?: Props }>;

/** Dotted path → type (`object` for objects), over the mappings an index template composes. */
function flatMapping(assets: readonly Asset[], indexTemplate: string): Map<string, string> {
  const byName = new Map(assets.map((a) => [a.name, a.body]));
  const it = byName.get(indexTemplate)!;
  const out = new Map<string, string>();
  const walk = (props: Props | undefined, prefix: string): void => {
    for (const [k, v] of Object.entries(props ?? {})) {
      out.set(prefix + k, v.type ?? 'object');
      walk(v.properties, `${prefix}${k}.`);
    }
  };
  const parts = [...(it.composed_of as string[]).map((n) => byName.get(n)!), it];
  for (const p of parts) {
    const mappings = (p.template as { mappings?: { properties?: Props } } | undefined)?.mappings;
    walk(mappings?.properties, '');
  }
  return out;
}

/** Open objects: mapped `object` with no declared children. */
function openObjects(mapping: Map<string, string>): Set<string> {
  const open = new Set<string>();
  for (const [p, t] of mapping) {
    if (t === 'object' && ![...mapping.keys()].some((k) => k.startsWith(`${p}.`))) open.add(p);
  }
  return open;
}

/** Problems: fields a document has that the mapping does not declare (outside open objects and flattened). */
function unmapped(doc: unknown, mapping: Map<string, string>, open: Set<string>): string[] {
  const problems: string[] = [];
  const visit = (value: unknown, p: string): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v, p);
      return;
    }
    const type = mapping.get(p);
    if (type === 'flattened') return;
    if (value !== null && typeof value === 'object') {
      if (p !== '' && type === undefined && !insideOpen(p)) problems.push(`${p}: object not mapped`);
      for (const [k, v] of Object.entries(value)) visit(v, p === '' ? k : `${p}.${k}`);
      return;
    }
    if (type !== undefined && type !== 'object') return;
    if (insideOpen(p)) {
      if (typeof value !== 'string' && value !== null)
        problems.push(`${p}: ${typeof value} in an open object would be mapped dynamically`);
      return;
    }
    problems.push(`${p}: not mapped explicitly`);
  };
  const insideOpen = (p: string): boolean => [...open].some((o) => p.startsWith(`${o}.`));
  visit(doc, '');
  return problems;
}

function goldenDocuments(): ShippableDocument[] {
  const out: ShippableDocument[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.expected.json')) {
        const g = JSON.parse(readFileSync(p, 'utf8')) as { documents?: ShippableDocument[] };
        out.push(...(g.documents ?? []));
      }
    }
  };
  walk('test/golden');
  return out;
}

const assets = clusterAssets({ namespace: 'default', ownFields: defaultOwnFields() });
const MAPPINGS = {
  activesync: flatMapping(assets, 'logs-exchange.activesync'),
  application: flatMapping(assets, 'logs-exchange.application'),
  alerts: flatMapping(assets, 'casguard-alerts'),
};

function checkAll(docs: readonly ShippableDocument[]): string[] {
  const problems = new Set<string>();
  for (const d of docs) {
    const m = MAPPINGS[d.stream];
    for (const p of unmapped(d.doc, m, openObjects(m))) problems.add(`${d.stream}: ${p}`);
  }
  return [...problems].sort();
}

describe('documents and the installed mappings', () => {
  const events = goldenDocuments();
  const alerts = [
    ...finalAlerts(
      runPipeline(generateScenario(200).files, builtinRules(), { order: 'live' }).alerts,
    ).values(),
  ];

  it('has golden events of both data streams and scenario alerts to check', () => {
    assert.ok(
      events.some((d) => d.stream === 'activesync'),
      "events.some((d) => d.stream === 'activesync')",
    );
    assert.ok(
      events.some((d) => d.stream === 'application'),
      "events.some((d) => d.stream === 'application')",
    );
    assert.ok(alerts.length > 0, 'alerts.length > 0');
  });

  it('every event and alert carries ecs.version, agent.type, agent.version, agent.id and agent.name', () => {
    for (const d of [...events, ...alerts]) {
      assert.deepEqual(
        { ecs: d.doc['ecs'], agent: d.doc['agent'] },
        {
          ecs: { version: ECS_VERSION },
          agent: { type: 'casguard', version: CASGUARD_VERSION, id: TEST_AGENT.id, name: TEST_AGENT.name },
        },
        `${d.stream}/${d.id}`,
      );
    }
  });

  it('maps every field of every golden event explicitly', () => {
    assert.deepEqual(checkAll(events), []);
  });

  it('maps every field of every alert explicitly', () => {
    assert.deepEqual(checkAll(alerts), []);
  });

  it('catches an undeclared field, and a number in an open object', () => {
    const d = events.find((e) => e.stream === 'application')!;
    const probe: ShippableDocument = {
      ...d,
      doc: {
        ...d.doc,
        casguard_extra: { when: '2013-09-19T14:00:05Z' },
        winlog: { event_data: { Count: 3 } },
      },
    };
    assert.deepEqual(checkAll([probe]), [
      'application: casguard_extra.when: not mapped explicitly',
      'application: casguard_extra: object not mapped',
      'application: winlog.event_data.Count: number in an open object would be mapped dynamically',
    ]);
  });
});
