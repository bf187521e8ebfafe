// Which documents the detection engine needs to see whole. A document for which no enabled rule's condition
// holds (match, threshold `where`, either sequence step) and that carries no Exchange server facts changes
// nothing in the engine but event time: DetectionEngine.advance(time) stands in for evaluate(doc) then. The
// processing worker runs this filter next to the parsers, so only the few documents that matter cross to the
// main thread as objects; the rest cross as bytes and a time. Stateless and pure: the same rules always give
// the same answer, whichever thread asks.

import type { EcsDocument } from '../pipeline/document.types.js';
import { serverFactsOf } from './alert-document.js';
import { compileCondition, type Predicate } from './condition.js';
import type { Rule } from './rule.schema.js';

export class DetectionFilter {
  private readonly preds: Predicate[] = [];

  constructor(rules: readonly Rule[]) {
    for (const r of rules) {
      if (!r.enabled) continue;
      if (r.threshold) this.preds.push(compileCondition(r.threshold.where));
      else if (r.sequence) for (const s of r.sequence.steps) this.preds.push(compileCondition(s.where));
      else if (r.match) this.preds.push(compileCondition(r.match));
    }
  }

  /** True when the engine must evaluate the whole document. */
  needs(doc: EcsDocument): boolean {
    for (const p of this.preds) if (p(doc)) return true;
    return serverFactsOf(doc) !== undefined;
  }
}
