// The mapping half of the Elasticsearch test server: flattens installed mappings to dotted paths and checks a
// document against them the way Elasticsearch's document parser does (coercion of numeric strings, dates,
// IPs, constant_keyword, objects versus concrete values, dynamic: strict / true / false). A document either
// passes whole (and its new dynamic fields are added) or is rejected with the error Elasticsearch would give.

import { isIP } from 'node:net';

export interface FieldMapping {
  type: string;
  /** constant_keyword value (set by the mapping or by the first document). */
  value?: string;
}

/** Dotted path → mapping; object paths carry type 'object' (or 'nested'). */
export type FlatMapping = Map<string, FieldMapping>;

export interface IndexMappingState {
  fields: FlatMapping;
  dynamic: 'true' | 'false' | 'strict' | 'runtime';
  dateDetection: boolean;
}

type Json = unknown;

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merge a `mappings` body (as in a template) into a flat mapping state. Later calls override earlier ones. */
export function mergeMappings(state: IndexMappingState, mappings: Json): void {
  if (!isPlainObject(mappings)) return;
  const dyn = mappings.dynamic;
  if (typeof dyn === 'string' || typeof dyn === 'boolean')
    state.dynamic = String(dyn) as IndexMappingState['dynamic'];
  if (mappings.date_detection !== undefined) state.dateDetection = mappings.date_detection === true;
  const walk = (props: Json, prefix: string): void => {
    if (!isPlainObject(props)) return;
    for (const [rawKey, def] of Object.entries(props)) {
      if (!isPlainObject(def)) continue;
      const key = prefix + rawKey;
      // Dotted keys in mappings are expanded into objects, as Elasticsearch does.
      const parts = key.split('.');
      for (let i = 1; i < parts.length; i++) {
        const p = parts.slice(0, i).join('.');
        if (!state.fields.has(p)) state.fields.set(p, { type: 'object' });
      }
      const type = typeof def.type === 'string' ? def.type : def.properties ? 'object' : 'object';
      const fm: FieldMapping = { type };
      if (type === 'constant_keyword' && typeof def.value === 'string') fm.value = def.value;
      state.fields.set(key, fm);
      if (def.properties !== undefined) walk(def.properties, key + '.');
    }
  };
  walk(mappings.properties, '');
}

export function emptyMappingState(): IndexMappingState {
  return { fields: new Map(), dynamic: 'true', dateDetection: true };
}

/** Mapping as Elasticsearch would return it from GET _mapping (nested properties). */
export function unflattenMapping(state: IndexMappingState): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const paths = [...state.fields.keys()].sort();
  for (const p of paths) {
    const fm = state.fields.get(p)!;
    const parts = p.split('.');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const obj = node[parts[i]!] as { properties?: Record<string, unknown> } | undefined;
      if (obj === undefined) break;
      obj.properties ??= {};
      node = obj.properties;
    }
    const leaf: Record<string, unknown> =
      fm.type === 'object' ? {} : { type: fm.type, ...(fm.value !== undefined ? { value: fm.value } : {}) };
    node[parts[parts.length - 1]!] = leaf;
  }
  return { properties: root };
}

export interface DocError {
  status: number;
  type: string;
  reason: string;
}

const ISO_DATE_RE =
  /^\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?)?)?$/;

function looksLikeDate(s: string): boolean {
  return ISO_DATE_RE.test(s) && !Number.isNaN(Date.parse(s.length === 4 ? `${s}-01-01` : s));
}

function preview(v: Json): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 40) + '...' : s;
}

/** Why a scalar does not fit a leaf type, or undefined when it does. */
function scalarMismatch(type: string, v: Json): string | undefined {
  if (v === null) return undefined;
  switch (type) {
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
    case 'unsigned_long':
    case 'float':
    case 'double':
    case 'half_float':
    case 'scaled_float':
      if (typeof v === 'number') return undefined;
      if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return undefined;
      return 'not a number';
    case 'boolean':
      if (typeof v === 'boolean' || v === 'true' || v === 'false' || v === '') return undefined;
      return 'not a boolean';
    case 'date':
    case 'date_nanos':
      if (typeof v === 'number' && Number.isInteger(v)) return undefined;
      if (typeof v === 'string' && (looksLikeDate(v) || /^\d{1,13}$/.test(v))) return undefined;
      return 'not a date';
    case 'ip':
      if (typeof v === 'string' && isIP(v) !== 0) return undefined;
      return 'not an IP string literal';
    default:
      return undefined; // keyword, text, match_only_text, wildcard, version, constant_keyword, geo_point...
  }
}

/**
 * Check `doc` against `state`. Returns an error, or the dynamic fields to add. `docId` goes into messages as
 * Elasticsearch puts it there. `parsingType` is document_parsing_exception (ES >= 8.8) or mapper_parsing_exception.
 */
export function checkDocument(
  state: IndexMappingState,
  doc: Json,
  docId: string,
  parsingType: string,
): { error: DocError } | { added: FlatMapping; constants: Map<string, string> } {
  const added: FlatMapping = new Map();
  const constants = new Map<string, string>();
  const lookup = (p: string): FieldMapping | undefined => added.get(p) ?? state.fields.get(p);
  const fail = (reason: string, type = parsingType): { error: DocError } => ({
    error: { status: 400, type, reason },
  });
  if (!isPlainObject(doc)) return fail('failed to parse, document is empty');

  const visit = (path: string, value: Json, dynamic: string): { error: DocError } | undefined => {
    const mapped = lookup(path);
    if (Array.isArray(value)) {
      for (const el of value) {
        const r = visit(path, el, dynamic);
        if (r) return r;
      }
      return undefined;
    }
    if (isPlainObject(value)) {
      if (mapped && mapped.type === 'flattened') return undefined;
      if (mapped && mapped.type !== 'object' && mapped.type !== 'nested') {
        return fail(
          `[1:2] failed to parse field [${path}] of type [${mapped.type}] in document with id '${docId}'. ` +
            `Preview of field's value: '${preview(value)}'`,
        );
      }
      if (!mapped && path !== '') {
        if (dynamic === 'strict')
          return fail(
            `[1:2] mapping set to strict, dynamic introduction of [${path}] within [_doc] is not allowed`,
            'strict_dynamic_mapping_exception',
          );
        if (dynamic === 'false' || dynamic === 'runtime') return undefined;
        added.set(path, { type: 'object' });
      }
      for (const [k, v] of Object.entries(value)) {
        const parts = k.split('.');
        // Dotted keys inside a document mean nested objects.
        let p = path;
        for (let i = 0; i < parts.length - 1; i++) {
          p = p === '' ? parts[i]! : `${p}.${parts[i]}`;
          const m = lookup(p);
          if (m && m.type !== 'object' && m.type !== 'nested' && m.type !== 'flattened') {
            return fail(
              `[1:2] Could not dynamically add mapping for field [${p}.${parts.slice(i + 1).join('.')}]. ` +
                `Existing mapping for [${p}] must be of type object but found [${m.type}].`,
            );
          }
          if (m?.type === 'flattened') return undefined;
          if (!m) {
            if (dynamic === 'strict')
              return fail(
                `[1:2] mapping set to strict, dynamic introduction of [${p}] within [_doc] is not allowed`,
                'strict_dynamic_mapping_exception',
              );
            if (dynamic === 'false') return undefined;
            added.set(p, { type: 'object' });
          }
        }
        const leaf = p === '' ? parts[parts.length - 1]! : `${p}.${parts[parts.length - 1]}`;
        const r = visit(leaf, v, dynamic);
        if (r) return r;
      }
      return undefined;
    }
    // A concrete value.
    if (mapped) {
      if (mapped.type === 'object' || mapped.type === 'nested') {
        return fail(
          `[1:2] object mapping for [${path}] tried to parse field [${path}] as object, but found a concrete value`,
        );
      }
      if (mapped.type === 'flattened') return undefined;
      if (mapped.type === 'constant_keyword' && value !== null) {
        const s = String(value as string | number | boolean);
        const current = mapped.value ?? constants.get(path);
        if (current !== undefined && current !== s) {
          return fail(
            `[constant_keyword] field [${path}] only accepts values that are equal to the value defined in the mappings [${current}], but got [${s}]`,
          );
        }
        if (current === undefined) constants.set(path, s);
        return undefined;
      }
      const why = scalarMismatch(mapped.type, value);
      if (why !== undefined) {
        return fail(
          `[1:2] failed to parse field [${path}] of type [${mapped.type}] in document with id '${docId}'. ` +
            `Preview of field's value: '${preview(value)}'`,
        );
      }
      return undefined;
    }
    if (value === null) return undefined;
    if (dynamic === 'strict')
      return fail(
        `[1:2] mapping set to strict, dynamic introduction of [${path}] within [_doc] is not allowed`,
        'strict_dynamic_mapping_exception',
      );
    if (dynamic === 'false' || dynamic === 'runtime') return undefined;
    let type: string;
    if (typeof value === 'boolean') type = 'boolean';
    else if (typeof value === 'number') type = Number.isInteger(value) ? 'long' : 'float';
    else if (typeof value === 'string' && state.dateDetection && looksLikeDate(value) && value.length >= 10)
      type = 'date';
    else type = 'keyword';
    added.set(path, { type });
    return undefined;
  };

  const err = visit('', doc, state.dynamic);
  if (err) return err;
  added.delete('');
  return { added, constants };
}

/** Apply the result of a successful check. */
export function applyDynamic(
  state: IndexMappingState,
  added: FlatMapping,
  constants: Map<string, string>,
): void {
  for (const [p, m] of added) if (!state.fields.has(p)) state.fields.set(p, m);
  for (const [p, v] of constants) {
    const m = state.fields.get(p);
    if (m && m.value === undefined) m.value = v;
  }
}
