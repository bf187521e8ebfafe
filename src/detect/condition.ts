// Conditions compiled once into closures over pre-split field paths: the engine evaluates every document
// against every rule, so nothing here allocates per call on the no-match path. Semantics (shared with the
// exporters): a field holding an array matches when any element matches; strings compare case-sensitively
// unless `ignore_case`; `equals` treats 110 and '110' as equal (ECS keyword vs long); numeric comparisons
// accept numeric strings; a missing field matches nothing but `exists: false`.

import type { EcsDocument, JsonValue } from '../pipeline/document.types.js';
import type { Condition, KeyField } from './rule.schema.js';

export type Predicate = (doc: EcsDocument) => boolean;

/**
 * Read a dotted path from a nested document (the shape every stage produces). Hot: called for every rule leaf of
 * every document, so it allocates nothing.
 */
export function getField(
  doc: EcsDocument | JsonValue | undefined,
  path: readonly string[],
): JsonValue | undefined {
  let cur: unknown = doc;
  for (let i = 0; i < path.length; i++) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, JsonValue | undefined>)[path[i]!];
    if (cur === undefined) return undefined;
  }
  return cur as JsonValue | undefined;
}

// Per-document memo of field reads. Rules share fields (status, command, host.name, device.id, ...), and a read
// through the documents' many different shapes costs ~0.2 µs, so each field is read at most once per document:
// a slot per dotted name, valid while the same document object is being evaluated. Documents are not changed
// once enriched (the detector is the last stage), which is what makes identity a safe key.
const slotOf = new Map<string, number>();
const slotGen: number[] = [];
const slotVal: (JsonValue | undefined)[] = [];
let memoDoc: unknown;
let memoGen = 0;

/** Per slot: the slot of its parent path (-1 at the top) and a reader of its last name on the parent's value. */
const slotParent: number[] = [];
const slotGetter: Getter[] = [];

type Getter = (obj: Record<string, JsonValue | undefined>) => JsonValue | undefined;

/**
 * A reader of one property name, generated as its own function so that each name gets its own property-access
 * inline cache: one shared `obj[name]` sees every name and every document shape and is several times slower.
 * The name comes from a rule file validated against FieldName (letters, digits, `_@-`) and is embedded as a JSON
 * string literal, so no text of a rule is ever evaluated as code.
 */
function compileGetter(name: string): Getter {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see above: generated from validated names only
  return new Function('o', `return o[${JSON.stringify(name)}];`) as Getter;
}

/**
 * The memo slot of a dotted field name (allocated once per name). Slots form a tree by path prefix, so
 * `microsoft.exchange.activesync.status` and `...command` share the reads of `microsoft.exchange.activesync`.
 */
export function fieldSlot(field: string): number {
  requested.add(field);
  return slotFor(field);
}

/** Every field name read through a slot so far (module tables and compiled rules), parents not included. */
const requested = new Set<string>();

/**
 * The fields detection reads from a document (every rule compiled so far, the engine's own tables) besides
 * `@timestamp` and `host.name`: what a projection of a document must keep for the engine to decide as it does on
 * the whole document (parallel replay).
 */
export function fieldsRead(): string[] {
  return [...requested];
}

function slotFor(field: string): number {
  let slot = slotOf.get(field);
  if (slot !== undefined) return slot;
  if (!/^[@A-Za-z_][A-Za-z0-9_@.-]*$/.test(field)) throw new Error(`invalid field name ${field}`);
  const path = splitPath(field);
  const parent = path.length > 1 ? slotFor(path.slice(0, -1).join('.')) : -1;
  slot = slotOf.size;
  slotOf.set(field, slot);
  slotParent.push(parent);
  slotGetter.push(compileGetter(path[path.length - 1]!));
  slotGen.push(-1);
  slotVal.push(undefined);
  return slot;
}

function readSlot(doc: EcsDocument, slot: number): JsonValue | undefined {
  if (slotGen[slot] === memoGen) return slotVal[slot];
  const parent = slotParent[slot]!;
  const base: unknown = parent < 0 ? doc : readSlot(doc, parent);
  const v =
    base !== null && typeof base === 'object' && !Array.isArray(base)
      ? slotGetter[slot]!(base as Record<string, JsonValue | undefined>)
      : undefined;
  slotGen[slot] = memoGen;
  slotVal[slot] = v;
  return v;
}

/** The value of a field (by slot) through the per-document memo. */
export function readField(doc: EcsDocument, slot: number, _path?: readonly string[]): JsonValue | undefined {
  if (memoDoc !== doc) {
    memoDoc = doc;
    memoGen++;
  }
  return readSlot(doc, slot);
}

export function splitPath(field: string): string[] {
  return field === '@timestamp' ? ['@timestamp'] : field.split('.');
}

/** First scalar of a field as a string (arrays: first element), or undefined. */
export function fieldString(doc: EcsDocument, path: readonly string[], slot?: number): string | undefined {
  let v = slot === undefined ? getField(doc, path) : readField(doc, slot, path);
  if (Array.isArray(v)) v = v[0];
  if (v === undefined || v === null || typeof v === 'object') return undefined;
  return String(v);
}

function anyScalar(v: JsonValue | undefined, test: (s: string | number | boolean) => boolean): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (x !== null && typeof x !== 'object' && test(x)) return true;
    return false;
  }
  if (typeof v === 'object') return false;
  return test(v);
}

function toNumber(x: string | number | boolean): number | undefined {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x))) return Number(x);
  return undefined;
}

export function compileCondition(c: Condition): Predicate {
  if ('all' in c) {
    const parts = c.all.map(compileCondition);
    return (doc) => {
      for (const p of parts) if (!p(doc)) return false;
      return true;
    };
  }
  if ('any' in c) {
    const parts = c.any.map(compileCondition);
    return (doc) => {
      for (const p of parts) if (p(doc)) return true;
      return false;
    };
  }
  if ('not' in c) {
    const inner = compileCondition(c.not);
    return (doc) => !inner(doc);
  }
  const path = splitPath(c.field);
  const slot = fieldSlot(c.field);
  const ic = c.ignore_case === true;
  const norm = (s: string): string => (ic ? s.toLowerCase() : s);
  const str = (x: string | number | boolean): string => norm(String(x));
  // equals, contains and prefix (almost every test of a rule) get their own function literals with the test
  // inlined: a shared helper taking a test callback makes that call site megamorphic and slow.
  if ('equals' in c) {
    const want = str(c.equals);
    const asWritten = String(c.equals);
    const eq = (x: string | number | boolean): boolean =>
      typeof x === 'string' ? x.length === want.length && norm(x) === want : String(x) === want;
    return (doc) => {
      const v = readField(doc, slot, path);
      // Exact spelling first, then length: the usual value matches as written or differs in length, so
      // ignore_case lower-cases (allocates) only for same-length values spelled differently.
      if (typeof v === 'string')
        return v === asWritten || (v.length === want.length && (ic ? v.toLowerCase() : v) === want);
      if (typeof v === 'number' || typeof v === 'boolean') return String(v) === want;
      return Array.isArray(v) && anyScalar(v, eq);
    };
  }
  if ('one_of' in c) {
    const set = new Set(c.one_of.map(str));
    return (doc) => anyScalar(readField(doc, slot, path), (x) => set.has(str(x)));
  }
  if ('contains' in c) {
    const want = norm(c.contains);
    const asWritten = c.contains;
    const has = (x: string | number | boolean): boolean => str(x).includes(want);
    return (doc) => {
      const v = readField(doc, slot, path);
      if (typeof v === 'string') return v.includes(asWritten) || (ic && v.toLowerCase().includes(want));
      return v !== undefined && anyScalar(v, has);
    };
  }
  if ('prefix' in c) {
    const want = norm(c.prefix);
    const starts = (x: string | number | boolean): boolean => str(x).startsWith(want);
    return (doc) => {
      const v = readField(doc, slot, path);
      if (typeof v === 'string') return (ic ? v.toLowerCase() : v).startsWith(want);
      return v !== undefined && anyScalar(v, starts);
    };
  }
  if ('regex' in c) {
    const re = new RegExp(c.regex, ic ? 'i' : '');
    return (doc) => anyScalar(readField(doc, slot, path), (x) => re.test(String(x)));
  }
  if ('exists' in c) {
    const want = c.exists;
    return (doc) => {
      const v = readField(doc, slot, path);
      const present = v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
      return present === want;
    };
  }
  const cmp =
    'gt' in c
      ? (n: number) => n > c.gt
      : 'gte' in c
        ? (n: number) => n >= c.gte
        : 'lt' in c
          ? (n: number) => n < c.lt
          : (n: number) => n <= c.lte;
  return (doc) =>
    anyScalar(readField(doc, slot, path), (x) => {
      const n = toNumber(x);
      return n !== undefined && cmp(n);
    });
}

/** Every field a condition reads (for exports' required_fields and docs). */
export function conditionFields(c: Condition, out: Set<string> = new Set()): Set<string> {
  if ('all' in c) c.all.forEach((x) => conditionFields(x, out));
  else if ('any' in c) c.any.forEach((x) => conditionFields(x, out));
  else if ('not' in c) conditionFields(c.not, out);
  else out.add(c.field);
  return out;
}

export interface CompiledKey {
  readonly fields: readonly string[];
  /**
   * The key string for a document (the value itself for a one-field key, values joined by U+001F otherwise), or
   * undefined when a key field is missing (the document is ignored). Returns a string only: this runs for every
   * matching document of every keyed rule.
   */
  readonly of: (doc: EcsDocument) => string | undefined;
}

// Unit separator: cannot occur in the field values we key on, so keys never collide.
const KEY_SEPARATOR = '\u001f';

/** The key's field values, back from its key string. */
export function keyValues(key: string): string[] {
  return key === '' ? [] : key.split(KEY_SEPARATOR);
}

/** `cas01.contoso.local` → `cas01`, lower-case (EAS logs carry the short name, events the FQDN). */
export function shortHost(name: string): string {
  // Called for every document of a host-keyed rule, with a handful of distinct names: remember them.
  const hit = shortHostCache.get(name);
  if (hit !== undefined) return hit;
  const short = computeShortHost(name);
  if (shortHostCache.size >= 1024) shortHostCache.clear();
  shortHostCache.set(name, short);
  return short;
}

const shortHostCache = new Map<string, string>();

function computeShortHost(name: string): string {
  const lower = name.trim().toLowerCase();
  // An IP address is not a host name with a domain: keep it whole.
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(lower) || lower.includes(':')) return lower;
  const dot = lower.indexOf('.');
  return dot > 0 ? lower.slice(0, dot) : lower;
}

export function compileKey(fields: readonly KeyField[]): CompiledKey {
  const parts = fields.map((f) => {
    const name = typeof f === 'string' ? f : f.field;
    const normalize = typeof f === 'string' ? undefined : f.normalize;
    const fn =
      normalize === 'short_host'
        ? shortHost
        : normalize === 'lower'
          ? (s: string) => s.toLowerCase()
          : (s: string) => s;
    const names = [name, ...(typeof f === 'string' ? [] : (f.fallback ?? []))];
    return { name, paths: names.map(splitPath), slots: names.map(fieldSlot), fn };
  });
  return {
    fields: parts.map((p) => p.name),
    of: (doc) => {
      let key: string | undefined;
      for (const p of parts) {
        let v: string | undefined;
        for (let i = 0; i < p.paths.length; i++) {
          v = fieldString(doc, p.paths[i]!, p.slots[i]);
          if (v !== undefined && v !== '') break;
        }
        if (v === undefined || v === '') return undefined;
        key = key === undefined ? p.fn(v) : key + KEY_SEPARATOR + p.fn(v);
      }
      return key;
    },
  };
}
