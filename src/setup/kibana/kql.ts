// A tiny KQL writer for the generated panels' queries: field comparisons joined by and/or/not, values quoted as
// KQL requires (https://www.elastic.co/guide/en/kibana/current/kuery-query.html). Only what the panels need.

export type Kql =
  | { readonly op: 'is'; readonly field: string; readonly value: string | number | boolean }
  | { readonly op: 'exists'; readonly field: string }
  | { readonly op: 'and' | 'or'; readonly parts: readonly Kql[] }
  | { readonly op: 'not'; readonly part: Kql };

export const is = (field: string, value: string | number | boolean): Kql => ({ op: 'is', field, value });
export const exists = (field: string): Kql => ({ op: 'exists', field });
export const and = (...parts: Kql[]): Kql => ({ op: 'and', parts });
export const or = (...parts: Kql[]): Kql => ({ op: 'or', parts });
export const not = (part: Kql): Kql => ({ op: 'not', part });

function quote(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderKql(q: Kql, nested = false): string {
  switch (q.op) {
    case 'is':
      return `${q.field} : ${quote(q.value)}`;
    case 'exists':
      return `${q.field} : *`;
    case 'not':
      return `not ${renderKql(q.part, true)}`;
    case 'and':
    case 'or': {
      const s = q.parts.map((p) => renderKql(p, true)).join(` ${q.op} `);
      return nested && q.parts.length > 1 ? `(${s})` : s;
    }
  }
}

/** Every field a query names. */
export function kqlFields(q: Kql): string[] {
  switch (q.op) {
    case 'is':
    case 'exists':
      return [q.field];
    case 'not':
      return kqlFields(q.part);
    case 'and':
    case 'or':
      return q.parts.flatMap(kqlFields);
  }
}
