// An index's mapping as the test server keeps it: every field by its dotted path, with its mapping parameters,
// plus the root options (dynamic, date_detection, dynamic_date_formats, dynamic_templates). Mappings are merged
// as template composition merges them (MergeReason.INDEX_TEMPLATE: a later definition of a field replaces the
// earlier one; objects merge their properties). Bodies are validated before they get here (mapping-validate.ts).

import { DEFAULT_DYNAMIC_DATE_FORMATS } from './date-format.js';

export interface FieldMapping {
  /** 'object', 'nested', 'alias' or a leaf type. */
  type: string;
  /** The field's own mapping parameters (without type, properties and fields). */
  params: Record<string, unknown>;
  /** Multi-fields of a leaf, by their sub-name. */
  fields?: Record<string, FieldMapping>;
  /** constant_keyword: the value set by the mapping or by the first document. */
  value?: string;
}

/** Dotted path → mapping; object paths carry type 'object' (or 'nested'). */
export type FlatMapping = Map<string, FieldMapping>;

export interface DynamicTemplate {
  name: string;
  match?: string[];
  unmatch?: string[];
  pathMatch?: string[];
  pathUnmatch?: string[];
  matchMappingType?: string[];
  unmatchMappingType?: string[];
  matchPattern: 'simple' | 'regex';
  mapping?: Record<string, unknown>;
  runtime?: Record<string, unknown>;
}

export interface IndexMappingState {
  fields: FlatMapping;
  dynamic: 'true' | 'false' | 'strict' | 'runtime';
  dateDetection: boolean;
  numericDetection: boolean;
  dynamicDateFormats: string[];
  dynamicTemplates: DynamicTemplate[];
  /** Root options given explicitly (so GET _mapping shows them). */
  explicit: Record<string, unknown>;
}

export function emptyMappingState(): IndexMappingState {
  return {
    fields: new Map(),
    dynamic: 'true',
    dateDetection: true,
    numericDetection: false,
    dynamicDateFormats: [...DEFAULT_DYNAMIC_DATE_FORMATS],
    dynamicTemplates: [],
    explicit: {},
  };
}

export function cloneMappingState(s: IndexMappingState): IndexMappingState {
  const fields: FlatMapping = new Map();
  for (const [k, v] of s.fields) fields.set(k, structuredClone(v));
  return {
    ...s,
    fields,
    dynamicDateFormats: [...s.dynamicDateFormats],
    dynamicTemplates: structuredClone(s.dynamicTemplates),
    explicit: structuredClone(s.explicit),
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v.map((x) => String(x as string)) : [String(v as string)];
}

/** Strip a `_doc` wrapper (mappings may be given as `{"_doc": {...}}`). */
export function unwrapDoc(mappings: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(mappings)) return undefined;
  const keys = Object.keys(mappings);
  if (keys.length === 1 && keys[0] === '_doc' && isPlainObject(mappings._doc)) return mappings._doc;
  return mappings;
}

/** A field definition (as in `properties`) → FieldMapping (without descending into properties). */
export function toFieldMapping(def: Record<string, unknown>): FieldMapping {
  const { type, properties: _p, fields, ...params } = def;
  const t = typeof type === 'string' ? type : 'object';
  const fm: FieldMapping = { type: t, params };
  if (isPlainObject(fields)) {
    fm.fields = {};
    for (const [k, v] of Object.entries(fields)) if (isPlainObject(v)) fm.fields[k] = toFieldMapping(v);
  }
  if (t === 'constant_keyword' && typeof params.value === 'string') fm.value = params.value;
  return fm;
}

/** Merge a `mappings` body into `state`. Later calls override earlier ones, field by field. */
export function mergeMappings(state: IndexMappingState, mappingsIn: unknown): void {
  const mappings = unwrapDoc(mappingsIn);
  if (!mappings) return;
  const dyn = mappings.dynamic;
  if (typeof dyn === 'string' || typeof dyn === 'boolean') {
    state.dynamic = String(dyn) as IndexMappingState['dynamic'];
    state.explicit.dynamic = dyn;
  }
  if (mappings.date_detection !== undefined) {
    state.dateDetection = mappings.date_detection === true || mappings.date_detection === 'true';
    state.explicit.date_detection = state.dateDetection;
  }
  if (mappings.numeric_detection !== undefined) {
    state.numericDetection = mappings.numeric_detection === true || mappings.numeric_detection === 'true';
    state.explicit.numeric_detection = state.numericDetection;
  }
  if (Array.isArray(mappings.dynamic_date_formats)) {
    state.dynamicDateFormats = mappings.dynamic_date_formats.map(String);
    state.explicit.dynamic_date_formats = state.dynamicDateFormats;
  }
  for (const k of ['_source', '_meta', '_routing', 'runtime', 'subobjects']) {
    if (mappings[k] !== undefined) state.explicit[k] = structuredClone(mappings[k]);
  }
  if (Array.isArray(mappings.dynamic_templates)) {
    // Template composition merges dynamic templates by name: a later one replaces an earlier one of the same
    // name in place, new ones are appended (RootObjectMapper#doMerge).
    for (const entry of mappings.dynamic_templates) {
      if (!isPlainObject(entry)) continue;
      const [name, body] = Object.entries(entry)[0] ?? [];
      if (name === undefined || !isPlainObject(body)) continue;
      const dt: DynamicTemplate = {
        name,
        matchPattern: body.match_pattern === 'regex' ? 'regex' : 'simple',
        ...(asList(body.match) ? { match: asList(body.match)! } : {}),
        ...(asList(body.unmatch) ? { unmatch: asList(body.unmatch)! } : {}),
        ...(asList(body.path_match) ? { pathMatch: asList(body.path_match)! } : {}),
        ...(asList(body.path_unmatch) ? { pathUnmatch: asList(body.path_unmatch)! } : {}),
        ...(asList(body.match_mapping_type) ? { matchMappingType: asList(body.match_mapping_type)! } : {}),
        ...(asList(body.unmatch_mapping_type)
          ? { unmatchMappingType: asList(body.unmatch_mapping_type)! }
          : {}),
        ...(isPlainObject(body.mapping) ? { mapping: structuredClone(body.mapping) } : {}),
        ...(isPlainObject(body.runtime) ? { runtime: structuredClone(body.runtime) } : {}),
      };
      const at = state.dynamicTemplates.findIndex((t) => t.name === name);
      if (at >= 0) state.dynamicTemplates[at] = dt;
      else state.dynamicTemplates.push(dt);
    }
  }
  const walk = (props: unknown, prefix: string): void => {
    if (!isPlainObject(props)) return;
    for (const [rawKey, def] of Object.entries(props)) {
      if (!isPlainObject(def)) continue;
      const key = prefix + rawKey;
      // Dotted keys in mappings are expanded into objects, as Elasticsearch does.
      const parts = key.split('.');
      for (let i = 1; i < parts.length; i++) {
        const p = parts.slice(0, i).join('.');
        const existing = state.fields.get(p);
        if (!existing || (existing.type !== 'object' && existing.type !== 'nested')) {
          removeBelow(state.fields, p);
          state.fields.set(p, { type: 'object', params: {} });
        }
      }
      const fm = toFieldMapping(def);
      const before = state.fields.get(key);
      if (fm.type === 'object' || fm.type === 'nested') {
        if (before && (before.type === 'object' || before.type === 'nested')) {
          before.params = { ...before.params, ...fm.params };
          if (fm.type === 'nested' || typeof def.type === 'string') before.type = fm.type;
        } else {
          removeBelow(state.fields, key);
          state.fields.set(key, fm);
        }
        if (def.properties !== undefined) walk(def.properties, key + '.');
      } else {
        removeBelow(state.fields, key);
        state.fields.set(key, fm);
      }
    }
  };
  walk(mappings.properties, '');
}

function removeBelow(fields: FlatMapping, path: string): void {
  const prefix = path + '.';
  for (const k of [...fields.keys()]) if (k.startsWith(prefix)) fields.delete(k);
}

function leafBody(fm: FieldMapping): Record<string, unknown> {
  const body: Record<string, unknown> = { type: fm.type, ...fm.params };
  if (fm.type === 'constant_keyword' && fm.value !== undefined) body.value = fm.value;
  if (fm.fields && Object.keys(fm.fields).length > 0)
    body.fields = Object.fromEntries(Object.entries(fm.fields).map(([k, v]) => [k, leafBody(v)]));
  return body;
}

/** Mapping as Elasticsearch returns it from GET _mapping (nested properties). */
export function unflattenMapping(state: IndexMappingState): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const paths = [...state.fields.keys()].sort();
  for (const p of paths) {
    const fm = state.fields.get(p)!;
    const parts = p.split('.');
    let node = root;
    let ok = true;
    for (let i = 0; i < parts.length - 1; i++) {
      const obj = node[parts[i]!] as { properties?: Record<string, unknown> } | undefined;
      if (obj === undefined) {
        ok = false;
        break;
      }
      obj.properties ??= {};
      node = obj.properties;
    }
    if (!ok) continue;
    node[parts[parts.length - 1]!] =
      fm.type === 'object'
        ? { ...fm.params }
        : fm.type === 'nested'
          ? { type: 'nested', ...fm.params }
          : leafBody(fm);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state.explicit)) out[k] = v;
  if (state.dynamicTemplates.length > 0) {
    out.dynamic_templates = state.dynamicTemplates.map((t) => ({
      [t.name]: {
        ...(t.match ? { match: t.match.length === 1 ? t.match[0] : t.match } : {}),
        ...(t.unmatch ? { unmatch: t.unmatch.length === 1 ? t.unmatch[0] : t.unmatch } : {}),
        ...(t.pathMatch ? { path_match: t.pathMatch.length === 1 ? t.pathMatch[0] : t.pathMatch } : {}),
        ...(t.pathUnmatch
          ? { path_unmatch: t.pathUnmatch.length === 1 ? t.pathUnmatch[0] : t.pathUnmatch }
          : {}),
        ...(t.matchMappingType
          ? {
              match_mapping_type:
                t.matchMappingType.length === 1 ? t.matchMappingType[0] : t.matchMappingType,
            }
          : {}),
        ...(t.matchPattern === 'regex' ? { match_pattern: 'regex' } : {}),
        ...(t.mapping ? { mapping: t.mapping } : {}),
        ...(t.runtime ? { runtime: t.runtime } : {}),
      },
    }));
  }
  if (Object.keys(root).length > 0) out.properties = root;
  return out;
}

/** MapperService's total field count: every object and leaf mapper plus multi-fields (metadata fields excluded). */
export function totalFields(fields: FlatMapping): number {
  let n = 0;
  for (const fm of fields.values()) n += 1 + (fm.fields ? Object.keys(fm.fields).length : 0);
  return n;
}
