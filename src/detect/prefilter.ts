// Which documents the detection engine needs to see, and which of their fields. A document for which no
// enabled rule's condition holds (match, threshold `where`, either sequence step) and that carries no Exchange
// server facts changes nothing in the engine but event time: DetectionEngine.advance(time) stands in for
// evaluate(doc) then. For the others the engine reads only a few fields (conditions, keys, facets, server
// facts), so a projection onto them is evaluated instead of the whole document.
//
// The processing worker runs this next to the parsers: most documents cross to the main thread as bytes and a
// time, the rest as a small projection. Stateless and pure: the same rules always give the same answers,
// whichever thread asks. test/detect/kb2851708-scenario.test.ts checks that the alerts are the same.

import type { EcsDocument, JsonValue } from '../pipeline/document.types.js';
import { FACET_PATHS, SERVER_FACTS_PATH, serverFactsOf } from './alert-document.js';
import { compileCondition, getField, splitPath, type Predicate } from './condition.js';
import { ENGINE_FIELDS } from './engine.js';
import { alertKeyFields, type Condition, type Rule } from './rule.schema.js';

function conditionFields(c: Condition, out: Set<string>): void {
  if ('all' in c) for (const x of c.all) conditionFields(x, out);
  else if ('any' in c) for (const x of c.any) conditionFields(x, out);
  else if ('not' in c) conditionFields(c.not, out);
  else out.add(c.field);
}

export class DetectionFilter {
  private readonly preds: Predicate[] = [];
  private readonly paths: (readonly string[])[];

  constructor(rules: readonly Rule[]) {
    const fields = new Set<string>(ENGINE_FIELDS);
    for (const r of rules) {
      if (!r.enabled) continue;
      const conds: Condition[] = r.threshold
        ? [r.threshold.where]
        : r.sequence
          ? r.sequence.steps.map((s) => s.where)
          : r.match
            ? [r.match]
            : [];
      for (const c of conds) {
        this.preds.push(compileCondition(c));
        conditionFields(c, fields);
      }
      for (const k of alertKeyFields(r)) {
        if (typeof k === 'string') fields.add(k);
        else for (const f of [k.field, ...(k.fallback ?? [])]) fields.add(f);
      }
    }
    // Deepest first: when a path and its parent are both read (a facet inside the server facts), the parent's
    // value, an object of the document, replaces what the deeper one built and is never written into.
    this.paths = [...[...fields].map(splitPath), ...FACET_PATHS, SERVER_FACTS_PATH].sort(
      (a, b) => b.length - a.length,
    );
  }

  /** True when the engine must evaluate the document (its projection), not only advance to its time. */
  needs(doc: EcsDocument): boolean {
    for (const p of this.preds) if (p(doc)) return true;
    return serverFactsOf(doc) !== undefined;
  }

  /**
   * The values of the fields the engine reads, in a fixed order (undefined where absent): what crosses between
   * threads. A flat array is far cheaper to copy than the nested document or its projection.
   */
  values(doc: EcsDocument): (JsonValue | undefined)[] {
    const out = new Array<JsonValue | undefined>(this.paths.length);
    for (let i = 0; i < this.paths.length; i++) out[i] = getField(doc, this.paths[i]!);
    return out;
  }

  /** The projection of a document from its values(): only the fields the engine reads, nested as in the document. */
  rebuild(values: readonly (JsonValue | undefined)[]): EcsDocument {
    const out: Record<string, JsonValue> = {};
    for (let i = 0; i < this.paths.length; i++) {
      const v = values[i];
      if (v === undefined) continue;
      const path = this.paths[i]!;
      let cur = out;
      for (let j = 0; j < path.length - 1; j++) {
        const k = path[j]!;
        const next = cur[k];
        if (next !== null && typeof next === 'object' && !Array.isArray(next)) cur = next;
        else cur = cur[k] = {};
      }
      cur[path[path.length - 1]!] = v;
    }
    return out as EcsDocument;
  }

  /** The document reduced to the fields the engine reads. */
  project(doc: EcsDocument): EcsDocument {
    return this.rebuild(this.values(doc));
  }
}
