// Rules → Sigma (specification 2.1): one multi-document YAML file per rule.
//   match     → one detection rule;
//   threshold → a detection rule for the matching documents + an `event_count` correlation (group-by the key,
//               timespan the window, condition gte N);
//   sequence  → a detection rule per step, an `event_count` correlation when the second step needs N > 1
//               documents, and a `temporal_ordered` (ordered) or `temporal` (unordered) correlation over them.
// Field names are the ECS / microsoft.exchange.* names casguard writes (`taxonomy: ecs`); there is no Sigma
// log source taxonomy for EAS logs, so those rules name `product: exchange, service: activesync` with a
// definition. Each condition leaf becomes its own search identifier and the boolean structure is written in
// `condition`. Sigma compares strings case-insensitively; casguard's default is exact. Ids of the generated
// helper rules are derived from the rule's uuid, so they are stable across exports.

import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { conditionFields } from '../condition.js';
import { keyFieldName, type Condition, type LeafCondition, type Rule } from '../rule.schema.js';

type SigmaDoc = Record<string, unknown>;

/** A UUID v4-shaped id derived from a rule uuid and a suffix. */
export function derivedUuid(uuid: string, suffix: string): string {
  const h = createHash('sha256').update(`${uuid}/${suffix}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const sigmaEscape = (s: string): string => s.replace(/([*?\\])/g, '\\$1');

function leafSelection(c: LeafCondition): Record<string, unknown> {
  const f = c.field;
  const v = (x: string | number | boolean): string | number | boolean =>
    typeof x === 'string' ? sigmaEscape(x) : x;
  if ('equals' in c) return { [f]: v(c.equals) };
  if ('one_of' in c) return { [f]: c.one_of.map(v) };
  if ('contains' in c) return { [`${f}|contains`]: sigmaEscape(c.contains) };
  if ('prefix' in c) return { [`${f}|startswith`]: sigmaEscape(c.prefix) };
  if ('regex' in c) return { [`${f}|re`]: c.ignore_case ? `(?i)${c.regex}` : c.regex };
  if ('exists' in c) return { [`${f}|exists`]: c.exists };
  if ('gt' in c) return { [`${f}|gt`]: c.gt };
  if ('gte' in c) return { [`${f}|gte`]: c.gte };
  if ('lt' in c) return { [`${f}|lt`]: c.lt };
  return { [`${f}|lte`]: c.lte };
}

/** A condition tree → search identifiers + a Sigma condition expression. */
export function toSigmaDetection(c: Condition): Record<string, unknown> {
  const selections: Record<string, unknown> = {};
  let n = 0;
  const walk = (x: Condition, top: boolean): string => {
    const wrap = (s: string): string => (top ? s : `(${s})`);
    if ('all' in x)
      return x.all.length === 1 ? walk(x.all[0]!, top) : wrap(x.all.map((y) => walk(y, false)).join(' and '));
    if ('any' in x)
      return x.any.length === 1 ? walk(x.any[0]!, top) : wrap(x.any.map((y) => walk(y, false)).join(' or '));
    if ('not' in x) return `not ${walk(x.not, false)}`;
    const name = `selection_${++n}`;
    selections[name] = leafSelection(x);
    return name;
  };
  const condition = walk(c, true);
  return { ...selections, condition };
}

const WINDOWS_FIELDS = /^(winlog\.|event\.code$|event\.provider$|microsoft\.exchange\.watson\.)/;

function logsource(c: Condition): Record<string, string> {
  const fields = [...conditionFields(c)];
  if (fields.some((f) => WINDOWS_FIELDS.test(f))) return { product: 'windows', service: 'application' };
  if (fields.some((f) => f.startsWith('microsoft.exchange.activesync.') || f.startsWith('user_agent.')))
    return {
      product: 'exchange',
      service: 'activesync',
      definition:
        'Exchange ActiveSync IIS, HttpProxy and mailbox logs as ECS documents (casguard, logs-exchange.activesync-*)',
    };
  return {
    product: 'exchange',
    definition: 'Any casguard ECS document from an Exchange host (logs-exchange.*)',
  };
}

/** Sigma wants lower-case unit suffixes s, m, h, d. */
function timespan(text: string): string {
  return text.endsWith('ms') ? `${Math.max(1, Math.round(parseInt(text, 10) / 1000))}s` : text;
}

const snake = (s: string): string => s.replace(/[^a-z0-9]+/g, '_');

export function toSigmaDocuments(rule: Rule): SigmaDoc[] {
  const common = {
    status: 'experimental',
    author: rule.author.join(', '),
    date: rule.date,
    references: rule.references,
  };
  const level = rule.severity;
  const base = snake(rule.id);
  const detectionRule = (
    id: string,
    name: string,
    title: string,
    description: string,
    where: Condition,
    withLevel: boolean,
  ): SigmaDoc => ({
    title,
    id,
    name,
    ...common,
    description,
    taxonomy: 'ecs',
    logsource: logsource(where),
    detection: toSigmaDetection(where),
    falsepositives: rule.false_positives.length > 0 ? rule.false_positives : ['Unknown'],
    ...(withLevel ? { level } : { level: 'informational' }),
  });
  const description = rule.description.trim();
  if (rule.match) return [detectionRule(rule.uuid, base, rule.name, description, rule.match, true)];
  if (rule.threshold) {
    const t = rule.threshold;
    const eventName = `${base}_event`;
    return [
      detectionRule(
        derivedUuid(rule.uuid, 'event'),
        eventName,
        `${rule.name}: matching event`,
        `One document counted by "${rule.name}".`,
        t.where,
        false,
      ),
      {
        title: rule.name,
        id: rule.uuid,
        name: base,
        ...common,
        description,
        correlation: {
          type: 'event_count',
          rules: [eventName],
          'group-by': t.by.map(keyFieldName),
          timespan: timespan(t.window),
          condition: { gte: t.count },
        },
        level,
      },
    ];
  }
  const s = rule.sequence!;
  const [a, b] = [s.steps[0]!, s.steps[1]!];
  const docs: SigmaDoc[] = [];
  const aName = `${base}_${a.name}`;
  const bName = `${base}_${b.name}`;
  docs.push(
    detectionRule(
      derivedUuid(rule.uuid, a.name),
      aName,
      `${rule.name}: ${a.name}`,
      `Step "${a.name}" of "${rule.name}".`,
      a.where,
      false,
    ),
    detectionRule(
      derivedUuid(rule.uuid, b.name),
      bName,
      `${rule.name}: ${b.name}`,
      `Step "${b.name}" of "${rule.name}".`,
      b.where,
      false,
    ),
  );
  const groupBy = s.by.map(keyFieldName);
  let second = bName;
  if (b.count > 1) {
    second = `${bName}_count`;
    docs.push({
      title: `${rule.name}: at least ${b.count} ${b.name}`,
      id: derivedUuid(rule.uuid, `${b.name}_count`),
      name: second,
      ...common,
      description: `At least ${b.count} "${b.name}" documents with the same ${groupBy.join(', ')}.`,
      correlation: {
        type: 'event_count',
        rules: [bName],
        'group-by': groupBy,
        timespan: timespan(s.window),
        condition: { gte: b.count },
      },
    });
  }
  docs.push({
    title: rule.name,
    id: rule.uuid,
    name: base,
    ...common,
    description,
    correlation: {
      type: s.ordered ? 'temporal_ordered' : 'temporal',
      rules: [aName, second],
      'group-by': groupBy,
      timespan: timespan(s.window),
    },
    level,
  });
  return docs;
}

export function toSigmaYaml(rule: Rule): string {
  return toSigmaDocuments(rule)
    .map((d) => stringify(d, { lineWidth: 0 }))
    .join('---\n');
}
