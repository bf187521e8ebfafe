// Rule conditions translated to the SOC's query languages: KQL (Kibana query and threshold rules) and EQL
// (Kibana sequence rules). Semantics follow the engine (condition.ts) as closely as each language allows:
// KQL compares keyword values exactly (there is no case-insensitive KQL match on keywords, so `ignore_case` is
// approximated by listing the value as written), EQL uses `:` for case-insensitive and wildcard matches.

import type { Condition, LeafCondition } from '../rule.schema.js';

type Scalar = string | number | boolean;

// KQL: quoted strings are literal; wildcards need an unquoted value with special characters escaped.
const KQL_SPECIAL = /[\\():<>"*{}\s]/g;
const kqlQuoted = (v: Scalar): string =>
  typeof v === 'string' ? `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : String(v);
const kqlBare = (s: string): string => s.replace(KQL_SPECIAL, (c) => `\\${c}`);

export function toKql(c: Condition): string {
  return kql(c, true);
}

function kql(c: Condition, top: boolean): string {
  const wrap = (s: string): string => (top ? s : `(${s})`);
  if ('all' in c)
    return c.all.length === 1 ? kql(c.all[0]!, top) : wrap(c.all.map((x) => kql(x, false)).join(' and '));
  if ('any' in c)
    return c.any.length === 1 ? kql(c.any[0]!, top) : wrap(c.any.map((x) => kql(x, false)).join(' or '));
  if ('not' in c) return `not ${kql(c.not, false)}`;
  return kqlLeaf(c);
}

function kqlLeaf(c: LeafCondition): string {
  const f = c.field;
  if ('equals' in c) return `${f} : ${kqlQuoted(c.equals)}`;
  if ('one_of' in c) return `${f} : (${c.one_of.map(kqlQuoted).join(' or ')})`;
  if ('contains' in c) return `${f} : *${kqlBare(c.contains)}*`;
  if ('prefix' in c) return `${f} : ${kqlBare(c.prefix)}*`;
  if ('exists' in c) return c.exists ? `${f} : *` : `not ${f} : *`;
  if ('gt' in c) return `${f} > ${c.gt}`;
  if ('gte' in c) return `${f} >= ${c.gte}`;
  if ('lt' in c) return `${f} < ${c.lt}`;
  if ('lte' in c) return `${f} <= ${c.lte}`;
  // KQL has no regular expressions: fall back to field existence and say so in the exported description.
  return `${f} : *`;
}

/** True when a condition uses something KQL cannot express exactly (regex). */
export function kqlApproximates(c: Condition): boolean {
  if ('all' in c) return c.all.some(kqlApproximates);
  if ('any' in c) return c.any.some(kqlApproximates);
  if ('not' in c) return kqlApproximates(c.not);
  return 'regex' in c;
}

// EQL string literals: double quotes with backslash escapes.
const eqlString = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const eqlValue = (v: Scalar): string => (typeof v === 'string' ? eqlString(v) : String(v));
const eqlWild = (s: string): string => s.replace(/\*/g, '\\*').replace(/\?/g, '\\?');

export function toEql(c: Condition): string {
  return eql(c, true);
}

function eql(c: Condition, top: boolean): string {
  const wrap = (s: string): string => (top ? s : `(${s})`);
  if ('all' in c)
    return c.all.length === 1 ? eql(c.all[0]!, top) : wrap(c.all.map((x) => eql(x, false)).join(' and '));
  if ('any' in c)
    return c.any.length === 1 ? eql(c.any[0]!, top) : wrap(c.any.map((x) => eql(x, false)).join(' or '));
  if ('not' in c) return `not ${eql(c.not, false)}`;
  return eqlLeaf(c);
}

function eqlLeaf(c: LeafCondition): string {
  const f = c.field;
  const ic = c.ignore_case === true;
  if ('equals' in c)
    return typeof c.equals === 'string' && ic
      ? `${f} : ${eqlString(c.equals)}`
      : `${f} == ${eqlValue(c.equals)}`;
  if ('one_of' in c) return `${f} ${ic ? 'in~' : 'in'} (${c.one_of.map(eqlValue).join(', ')})`;
  if ('contains' in c) return `${f} : ${eqlString(`*${eqlWild(c.contains)}*`)}`;
  if ('prefix' in c) return `${f} : ${eqlString(`${eqlWild(c.prefix)}*`)}`;
  if ('regex' in c) return `${f} ${ic ? 'regex~' : 'regex'} ${eqlString(c.regex)}`;
  if ('exists' in c) return c.exists ? `${f} != null` : `${f} == null`;
  if ('gt' in c) return `${f} > ${c.gt}`;
  if ('gte' in c) return `${f} >= ${c.gte}`;
  if ('lt' in c) return `${f} < ${c.lt}`;
  return `${f} <= ${c.lte}`;
}
