// An alert's facet values (devices, users, user agents, iOS builds, hosts, addresses, builds, device models) as
// the engine keeps them per key and period: one slot per facet, holding nothing, one value, or a list of at most
// `facetLimit` distinct values in the order they were first seen. Most keys are a device seen once or twice, so
// one slot array per key instead of eight lists.
//
// Values are stored as copies (`detach`): a string read from a document may be a slice of the record's whole
// text, and keeping the slice would keep the record alive for as long as the key lives. Values that repeat across
// keys (user agents, hosts, builds) are shared through a bounded intern table.

import { FACETS, type FacetReader, type Facets } from './alert-document.js';

export type FacetSlot = string | string[] | undefined;
export type FacetSlots = FacetSlot[];

const INTERN_LIMIT = 8192;
const interned = new Map<string, string>();

/**
 * A copy of `s` that shares no memory with the string it was cut from or built of. V8 keeps a substring of 13 or
 * more characters as a view of its parent (and a concatenation as its two parts); a JSON round trip yields one
 * flat string of just these characters. Called once per value kept (a new key, a new facet value, an evidence
 * id), never per document.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/** One shared, detached copy per distinct value (bounded: the table starts over when full). */
export function intern(s: string): string {
  let v = interned.get(s);
  if (v === undefined) {
    v = detach(s);
    if (interned.size >= INTERN_LIMIT) interned.clear();
    interned.set(v, v);
  }
  return v;
}

export function emptySlots(): FacetSlots {
  return new Array<FacetSlot>(FACETS.length).fill(undefined);
}

/** Add the document's facet values (each facet bounded to `limit` distinct values). */
export function addFacetSlots(slots: FacetSlots, reader: FacetReader, limit: number): void {
  for (let i = 0; i < FACETS.length; i++) {
    const cur = slots[i];
    if (Array.isArray(cur) && cur.length >= limit) continue;
    const v = reader.get(i);
    if (v === undefined) continue;
    if (cur === undefined) slots[i] = limit > 0 ? intern(v) : undefined;
    else if (typeof cur === 'string') {
      if (cur !== v && limit > 1) slots[i] = [cur, intern(v)];
    } else if (cur[cur.length - 1] !== v && !cur.includes(v))
      // a storm repeats its last value; concat: an exact-size copy (push would reserve room for 16 more)
      slots[i] = cur.concat(intern(v));
  }
}

/** The slots as the alert document builder takes them. */
export function slotsToFacets(slots: FacetSlots): Facets {
  const out = {} as Facets;
  FACETS.forEach((name, i) => {
    const s = slots[i];
    out[name] = s === undefined ? [] : typeof s === 'string' ? [s] : [...s];
  });
  return out;
}
