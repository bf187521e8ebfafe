// Rules → Kibana detection-engine rule bodies (POST /api/detection_engine/rules, or one per line in the NDJSON
// file for POST /api/detection_engine/rules/_import) and the same body as detection-rules TOML. Mapping:
//   match     → type `query` (KQL), with alert_suppression grouped by the suppression key;
//   threshold → type `threshold` (KQL + threshold.field/value), look-back = the window;
//   sequence  → type `eql`: `sequence by <key> with maxspan=<window> [A] [B] with runs=N`.
// Kibana evaluates on a schedule over stored documents, so windows become look-backs (`from`), and what the agent
// does beyond the query languages is stated in the exported description: host-name normalisation and key
// fallbacks (EQL joins on the field as stored), unordered sequences (EQL sequences are ordered).
// Bodies validate against detection-rules' api_schemas 8.19 and 9.5 (test/detect/rules-export.test.ts).

import { keyFieldName, parseDuration, riskScore, type KeyField, type Rule } from '../rule.schema.js';
import { kqlApproximates, toEql, toKql } from './queries.js';

export type KibanaRule = Record<string, unknown> & { rule_id: string; type: string };

const DATASET_INDEX: Record<string, string> = {
  'exchange.activesync': 'logs-exchange.activesync-*',
  'exchange.application': 'logs-exchange.application-*',
};

/** Kibana durations allow s, m, h only. */
function kibanaDuration(text: string): { value: number; unit: 's' | 'm' | 'h' } {
  const ms = parseDuration(text)!;
  if (ms % 3_600_000 === 0) return { value: ms / 3_600_000, unit: 'h' };
  if (ms % 60_000 === 0) return { value: ms / 60_000, unit: 'm' };
  return { value: Math.max(1, Math.round(ms / 1000)), unit: 's' };
}

function dateMath(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.ceil(ms / 1000)}s`;
}

function keyNotes(keys: readonly KeyField[]): string[] {
  const notes: string[] = [];
  for (const k of keys) {
    if (typeof k === 'string') continue;
    if (k.normalize === 'short_host')
      notes.push(`${k.field} is compared as the lower-case short host name (casguard writes it that way).`);
    if (k.fallback?.length)
      notes.push(
        `casguard falls back to ${k.fallback.join(', ')} when ${k.field} is absent; this query does not.`,
      );
  }
  return notes;
}

export function toKibanaRule(rule: Rule): KibanaRule {
  const notes: string[] = [];
  const body: KibanaRule = {
    rule_id: rule.uuid,
    name: rule.name,
    description: '',
    type: 'query',
    risk_score: riskScore(rule),
    // Kibana has no 'informational' severity; informational rules are low with the lowest risk score.
    severity: rule.severity === 'informational' ? 'low' : rule.severity,
    index: rule.index ?? Object.values(DATASET_INDEX),
    interval: '5m',
    from: 'now-6m',
    max_signals: 100,
    enabled: rule.enabled,
    version: rule.version,
    author: rule.author,
    license: 'Apache-2.0',
    references: rule.references,
    tags: rule.tags,
    false_positives: rule.false_positives,
    meta: { casguard_rule_id: rule.id, ruleset: rule.ruleset },
  };
  if (rule.note !== undefined) body['note'] = rule.note;
  const period = rule.suppression ? kibanaDuration(rule.suppression.period) : undefined;
  if (rule.match) {
    body.type = 'query';
    body['language'] = 'kuery';
    body['query'] = toKql(rule.match);
    if (kqlApproximates(rule.match))
      notes.push('KQL has no regular expressions; regex tests became existence tests.');
    const by = rule.suppression?.by ?? [];
    if (period && by.length > 0) {
      body['alert_suppression'] = {
        group_by: by.slice(0, 3).map(keyFieldName),
        duration: period,
        missing_fields_strategy: 'suppress',
      };
      notes.push(...keyNotes(by));
    }
  } else if (rule.threshold) {
    const t = rule.threshold;
    body.type = 'threshold';
    body['language'] = 'kuery';
    body['query'] = toKql(t.where);
    body['threshold'] = { field: t.by.map(keyFieldName), value: t.count };
    body['from'] = `now-${dateMath(parseDuration(t.window)!)}`;
    if (kqlApproximates(t.where))
      notes.push('KQL has no regular expressions; regex tests became existence tests.');
    if (period) body['alert_suppression'] = { duration: period };
    notes.push(...keyNotes(t.by));
  } else if (rule.sequence) {
    const s = rule.sequence;
    const a = s.steps[0]!;
    const b = s.steps[1]!;
    const windowMs = parseDuration(s.window)!;
    const runs = b.count > 1 ? ` with runs=${b.count}` : '';
    body.type = 'eql';
    body['language'] = 'eql';
    body['query'] =
      `sequence by ${s.by.map(keyFieldName).join(', ')} with maxspan=${dateMath(windowMs)}\n` +
      `  [any where ${toEql(a.where)}]\n` +
      `  [any where ${toEql(b.where)}]${runs}`;
    // The look-back must cover the span plus some ingest delay.
    body['from'] = `now-${dateMath(windowMs + 5 * 60_000)}`;
    if (period)
      body['alert_suppression'] = {
        group_by: s.by.slice(0, 3).map(keyFieldName),
        duration: period,
        missing_fields_strategy: 'suppress',
      };
    if (!s.ordered)
      notes.push(
        `casguard also matches ${b.name} documents logged before ${a.name}; EQL sequences are ordered, so this ` +
          'rule only finds the ordered case.',
      );
    if (b.count > 1)
      notes.push(
        `casguard counts ${b.count} ${b.name} documents in any order; EQL "runs" wants them consecutive.`,
      );
    notes.push(...keyNotes(s.by));
  }
  body.description = [rule.description.trim(), ...notes].join(' ');
  return body;
}

/** NDJSON for the Kibana import API / UI: one rule object per line, newline-terminated. */
export function toKibanaNdjson(rules: readonly Rule[]): string {
  return rules.map((r) => JSON.stringify(toKibanaRule(r))).join('\n') + '\n';
}
