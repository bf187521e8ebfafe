// Parses a document against an index's mapping the way Elasticsearch's DocumentParser does: every value is checked
// with its field type's rules (numbers with coercion and ranges, dates with the field's `format`, IPs, booleans,
// keyword length limits, constant_keyword), unmapped fields are mapped dynamically (dynamic templates first, then
// date detection and the default string → text + keyword), and `ignore_malformed` (per field or the index
// default, true in logsdb) and `ignore_above` send a value to `_ignored` instead of refusing the document.
// A document either passes whole (its new dynamic fields are then added) or is refused with the error
// Elasticsearch gives: document_parsing_exception (8.8+; mapper_parsing_exception before) with the field, the
// document id and a preview of the value, caused by the mapper's own exception.
// Sources: server/src/main/java/org/elasticsearch/index/mapper/DocumentParser.java, FieldMapper#parse,
// DynamicFieldsBuilder.java, DynamicTemplate.java, NumberFieldMapper.java, DateFieldMapper.java,
// IpFieldMapper.java, KeywordFieldMapper.java (and Lucene's IndexingChain for the 32,766-byte term limit).

import { DEFAULT_DATE_FORMAT, DEFAULT_DATE_NANOS_FORMAT, nanosRangeError, parseDate } from './date-format.js';
import { cause } from './errors.js';
import { globMatch } from './glob.js';
import type { EsCause } from './errors.js';
import { IGNORE_MALFORMED_TYPES, UNCHECKED_TYPES } from './mapping-params.js';
import { isIpLiteral, fieldMappingError } from './mapping-validate.js';
import { toFieldMapping, totalFields } from './mapping-state.js';
import type { DynamicTemplate, FieldMapping, FlatMapping, IndexMappingState } from './mapping-state.js';

export interface DocError {
  status: number;
  type: string;
  reason: string;
  caused_by?: EsCause;
}

export interface ParseOptions {
  /** document_parsing_exception (8.8+) or mapper_parsing_exception. */
  parsingType: string;
  /** index.mapping.ignore_malformed (true by default in logsdb). */
  ignoreMalformed: boolean;
  /** index.mapping.coerce (default true). */
  coerce: boolean;
  /** index.mapping.ignore_above (8191 by default in logsdb), for keyword fields without their own. */
  ignoreAbove?: number;
  totalFieldsLimit: number;
  ignoreDynamicBeyondLimit: boolean;
  /** The raw source text, to report the position of a bad value as Elasticsearch does ([line:column]). */
  source?: string;
}

export interface ParseResult {
  added: FlatMapping;
  constants: Map<string, string>;
  /** Field names Elasticsearch puts in `_ignored`. */
  ignored: string[];
}

type Json = unknown;

const METADATA_FIELDS = new Set([
  '_id',
  '_index',
  '_routing',
  '_source',
  '_seq_no',
  '_primary_term',
  '_version',
  '_ignored',
  '_ignored_source',
  '_field_names',
  '_tier',
  '_data_stream_timestamp',
  '_doc_count',
  '_nested_path',
  '_tsid',
  '_feature',
]);

/** Lucene's IndexWriter.MAX_TERM_LENGTH. */
export const MAX_TERM_BYTES = 32766;

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The preview Elasticsearch prints: the value read back as a Java object and printed with toString(). */
function preview(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(preview).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v as Record<string, Json>)
      .map(([k, x]) => `${k}=${preview(x)}`)
      .join(', ')}}`;
  return String(v as number | boolean);
}

type ValueCheck =
  { ok: true; ignoredAbove?: boolean; constant?: string } | { malformed: EsCause } | { fatal: DocError };

const INT_RANGES: Record<string, [bigint, bigint, string]> = {
  long: [-(2n ** 63n), 2n ** 63n - 1n, 'a long'],
  integer: [-(2n ** 31n), 2n ** 31n - 1n, 'an integer'],
  short: [-32768n, 32767n, 'a short'],
  byte: [-128n, 127n, 'a byte'],
  unsigned_long: [0n, 2n ** 64n - 1n, 'an unsigned long'],
};

function checkNumber(type: string, v: Json, coerce: boolean): ValueCheck {
  const nfe = (s: string): ValueCheck => ({
    malformed: cause('number_format_exception', `For input string: "${s}"`),
  });
  if (typeof v === 'boolean')
    return {
      malformed: cause(
        'x_content_parse_exception',
        `Current token (${v ? 'VALUE_TRUE' : 'VALUE_FALSE'}) not numeric, can not use numeric value accessors`,
      ),
    };
  let n: number;
  let text: string;
  if (typeof v === 'number') {
    n = v;
    text = String(v);
  } else if (typeof v === 'string') {
    if (v.length === 0 && coerce) return { ok: true }; // an empty string is a null value when coercing
    if (!coerce)
      return {
        malformed: cause(
          'illegal_argument_exception',
          `[${type}] field does not accept strings when coerce is false`,
        ),
      };
    if (v.trim() !== v || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return nfe(v);
    n = Number(v);
    text = v;
  } else return nfe(preview(v));
  const range = INT_RANGES[type];
  if (range) {
    if (!Number.isFinite(n)) return nfe(text);
    if (!Number.isInteger(n) && !coerce)
      return { malformed: cause('illegal_argument_exception', `Value [${text}] has a decimal part`) };
    let big: bigint;
    try {
      big = /^[+-]?\d+$/.test(text) ? BigInt(text) : BigInt(Math.trunc(n));
    } catch {
      return nfe(text);
    }
    if (big < range[0] || big > range[1])
      return {
        malformed: cause('illegal_argument_exception', `Value [${text}] is out of range for ${range[2]}`),
      };
    return { ok: true };
  }
  if (
    !Number.isFinite(n) ||
    (type === 'float' && Math.abs(n) > 3.4028234663852886e38) ||
    (type === 'half_float' && Math.abs(n) > 65504)
  )
    return {
      malformed: cause(
        'illegal_argument_exception',
        `[${type}] supports only finite values, but got [${text}]`,
      ),
    };
  return { ok: true };
}

function checkGeoPoint(v: Json): string | undefined {
  let lat: number | undefined;
  let lon: number | undefined;
  if (Array.isArray(v)) {
    if (v.length < 2 || v.length > 3 || !v.every((x) => typeof x === 'number'))
      return 'failed to parse geo point';
    [lon, lat] = v as number[];
  } else if (isPlainObject(v)) {
    if (v.type === 'Point' && Array.isArray(v.coordinates)) [lon, lat] = v.coordinates as number[];
    else {
      lat = Number(v.lat);
      lon = Number(v.lon);
      const extra = Object.keys(v).filter((k) => k !== 'lat' && k !== 'lon');
      if (extra.length > 0)
        return `field [${extra[0]}] not supported - must be one of: lon, lat, z, type, coordinates, geohash`;
    }
  } else if (typeof v === 'string') {
    const m = /^\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*$/.exec(v);
    const wkt = /^\s*POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)\s*$/i.exec(v);
    if (m) [lat, lon] = [Number(m[1]), Number(m[2])];
    else if (wkt) [lon, lat] = [Number(wkt[1]), Number(wkt[2])];
    else if (/^[0-9b-hjkmnp-z]{1,12}$/.test(v))
      return undefined; // a geohash
    else
      return `unsupported symbol [${v.replace(/[0-9b-hjkmnp-z]/g, '').charAt(0) || v.charAt(0)}] in geohash [${v}]`;
  } else return 'geo_point expected';
  if (lat === undefined || lon === undefined || Number.isNaN(lat) || Number.isNaN(lon))
    return 'field [lat] missing';
  if (lat < -90 || lat > 90) return `illegal latitude value [${lat}] for ${'field'}`;
  if (lon < -180 || lon > 180) return `illegal longitude value [${lon}] for ${'field'}`;
  return undefined;
}

function effectiveIgnoreAbove(fm: FieldMapping, opts: ParseOptions): number {
  const own = fm.params.ignore_above;
  if (own !== undefined) return Number(own);
  if (fm.type === 'keyword' || fm.type === 'wildcard' || fm.type === 'constant_keyword')
    return opts.ignoreAbove ?? 2147483647;
  return 2147483647;
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Check a scalar (or a geo_point/flattened object) against a leaf mapping. */
function checkLeaf(
  path: string,
  fm: FieldMapping,
  v: Json,
  opts: ParseOptions,
  known: string | undefined,
): ValueCheck {
  const coerce =
    fm.params.coerce !== undefined ? fm.params.coerce === true || fm.params.coerce === 'true' : opts.coerce;
  switch (fm.type) {
    case 'keyword':
    case 'wildcard':
    case 'version': {
      const s = String(v as string);
      if (s.length > effectiveIgnoreAbove(fm, opts)) return { ok: true, ignoredAbove: true };
      if (fm.type === 'keyword' && utf8Length(s) > MAX_TERM_BYTES) {
        // Refused by Lucene when the document is indexed, after parsing: a plain illegal_argument_exception.
        const prefix = [...Buffer.from(s, 'utf8').subarray(0, 30)].map((b) => (b > 127 ? b - 256 : b));
        return {
          fatal: {
            status: 400,
            type: 'illegal_argument_exception',
            reason: `Document contains at least one immense term in field="${path}" (whose UTF8 encoding is longer than the max length ${MAX_TERM_BYTES}), all of which were skipped.  Please correct the analyzer to not produce such terms.  The prefix of the first immense term is: '[${prefix.join(', ')}]...', original message: bytes can be at most ${MAX_TERM_BYTES} in length; got ${utf8Length(s)}`,
            caused_by: cause(
              'max_bytes_length_exceeded_exception',
              `max_bytes_length_exceeded_exception: bytes can be at most ${MAX_TERM_BYTES} in length; got ${utf8Length(s)}`,
            ),
          },
        };
      }
      return { ok: true };
    }
    case 'constant_keyword': {
      const s = String(v as string);
      const current = fm.value ?? known;
      if (current !== undefined && current !== s)
        return {
          malformed: cause(
            'illegal_argument_exception',
            `[constant_keyword] field [${path}] only accepts values that are equal to the value defined in the mappings [${current}], but got [${s}]`,
          ),
        };
      return { ok: true, ...(current === undefined ? { constant: s } : {}) };
    }
    case 'text':
    case 'match_only_text':
    case 'binary':
      return { ok: true };
    case 'boolean':
      if (typeof v === 'boolean' || v === 'true' || v === 'false' || v === '') return { ok: true };
      return {
        malformed: cause(
          'illegal_argument_exception',
          `Failed to parse value [${preview(v)}] as only [true] or [false] are allowed.`,
        ),
      };
    case 'date':
    case 'date_nanos': {
      const fmt =
        typeof fm.params.format === 'string'
          ? fm.params.format
          : fm.type === 'date'
            ? DEFAULT_DATE_FORMAT
            : DEFAULT_DATE_NANOS_FORMAT;
      const text = typeof v === 'string' || typeof v === 'number' ? v : undefined;
      const parsed = text === undefined ? undefined : parseDate(text, fmt);
      if (!parsed)
        return {
          malformed: cause(
            'illegal_argument_exception',
            `failed to parse date field [${preview(v)}] with format [${fmt}]`,
            fmt.includes('||')
              ? cause('date_time_parse_exception', 'Failed to parse with all enclosed parsers')
              : cause('date_time_parse_exception', `Text '${preview(v)}' could not be parsed at index 0`),
          ),
        };
      if (fm.type === 'date_nanos') {
        const e = nanosRangeError(parsed, preview(v));
        if (e) return { malformed: cause('illegal_argument_exception', e) };
      }
      return { ok: true };
    }
    case 'ip':
      if (typeof v === 'string' && isIpLiteral(v)) return { ok: true };
      return {
        malformed: cause('illegal_argument_exception', `'${preview(v)}' is not an IP string literal.`),
      };
    case 'geo_point': {
      const e = checkGeoPoint(v);
      return e
        ? { malformed: cause('illegal_argument_exception', e.replace('for field', `for [${path}]`)) }
        : { ok: true };
    }
    case 'flattened': {
      const s = typeof v === 'object' ? '' : String(v as string);
      if (s.length > effectiveIgnoreAbove(fm, opts)) return { ok: true, ignoredAbove: true };
      return { ok: true };
    }
    default:
      if (fm.type in INT_RANGES || ['double', 'float', 'half_float', 'scaled_float'].includes(fm.type))
        return checkNumber(fm.type, v, coerce);
      return { ok: true }; // unchecked types
  }
}

function dynamicTypeOf(v: Json): 'string' | 'long' | 'double' | 'boolean' | 'object' {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'double';
  if (typeof v === 'string') return 'string';
  return 'object';
}

const DEFAULT_MAPPING_TYPE: Record<string, string> = {
  string: 'text',
  long: 'long',
  double: 'float',
  boolean: 'boolean',
  date: 'date',
  object: 'object',
  binary: 'binary',
};

function templateMatches(t: DynamicTemplate, path: string, name: string, matchType: string): boolean {
  const m = (p: string, v: string): boolean =>
    t.matchPattern === 'regex' ? new RegExp(`^(?:${p})$`).test(v) : globMatch(p, v);
  if (t.pathMatch && !t.pathMatch.some((p) => m(p, path))) return false;
  if (t.match && !t.match.some((p) => m(p, name))) return false;
  if (t.pathUnmatch?.some((p) => m(p, path))) return false;
  if (t.unmatch?.some((p) => m(p, name))) return false;
  if (t.matchMappingType && !t.matchMappingType.some((x) => x === '*' || x === matchType)) return false;
  if (t.unmatchMappingType?.some((x) => x === matchType)) return false;
  // A template whose mapping is a leaf type never maps an object, and an object template never maps a value.
  const mt = typeof t.mapping?.type === 'string' ? t.mapping.type : undefined;
  const isObjectMapping =
    mt === 'object' || mt === 'nested' || (mt === undefined && t.mapping?.properties !== undefined);
  if (matchType === 'object' && mt !== undefined && !isObjectMapping && !mt.includes('{')) return false;
  if (matchType !== 'object' && isObjectMapping) return false;
  return true;
}

function fill(v: Json, name: string, dynType: string): Json {
  if (typeof v === 'string') return v.replaceAll('{name}', name).replaceAll('{dynamic_type}', dynType);
  if (Array.isArray(v)) return v.map((x) => fill(x, name, dynType));
  if (isPlainObject(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, name, dynType)]));
  return v;
}

/** The mapping a new field gets, or 'runtime' / undefined (not mapped) when a runtime template matches. */
function dynamicMapping(
  state: IndexMappingState,
  path: string,
  name: string,
  matchType: string,
): Record<string, unknown> | 'runtime' {
  for (const t of state.dynamicTemplates) {
    if (!templateMatches(t, path, name, matchType)) continue;
    if (t.runtime && !t.mapping) return 'runtime';
    const dynType = DEFAULT_MAPPING_TYPE[matchType] ?? 'object';
    const mapping = fill(t.mapping ?? {}, name, dynType) as Record<string, unknown>;
    if (mapping.type === undefined && mapping.properties === undefined) mapping.type = dynType;
    return mapping;
  }
  switch (matchType) {
    case 'string':
      return { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
    case 'long':
      return { type: 'long' };
    case 'double':
      return { type: 'float' };
    case 'boolean':
      return { type: 'boolean' };
    case 'object':
      return { type: 'object' };
    default:
      return { type: matchType };
  }
}

/**
 * Parse `doc`. Returns an error, or the dynamic fields to add, the constant_keyword values to set and the fields
 * that go to `_ignored`. `docId` is named in messages as Elasticsearch names it.
 */
export function parseDocument(
  state: IndexMappingState,
  doc: Json,
  docId: string | undefined,
  opts: ParseOptions,
): { error: DocError } | ParseResult {
  const added: FlatMapping = new Map();
  const constants = new Map<string, string>();
  const ignored = new Set<string>();
  const description = docId === undefined ? 'document' : `document with id '${docId}'`;
  const lookup = (p: string): FieldMapping | undefined => added.get(p) ?? state.fields.get(p);
  const location = (name: string): string => {
    const src = opts.source;
    if (!src) return '[1:2]';
    const key = JSON.stringify(name.split('.').pop());
    const at = src.indexOf(key);
    if (at < 0) return '[1:2]';
    let i = at + key.length;
    while (i < src.length && (src[i] === ' ' || src[i] === ':')) i++;
    return `[1:${i + 1}]`;
  };
  const fail = (reason: string, type = opts.parsingType, causedBy?: EsCause): { error: DocError } => ({
    error: { status: 400, type, reason, ...(causedBy ? { caused_by: causedBy } : {}) },
  });
  const fieldFailure = (path: string, fm: FieldMapping, value: Json, c: EsCause): { error: DocError } =>
    fail(
      `${location(path)} failed to parse field [${path}] of type [${fm.type}] in ${description}. Preview of field's value: '${preview(value)}'`,
      opts.parsingType,
      c,
    );
  const strict = (name: string, parent: string): { error: DocError } =>
    fail(
      `${location(name)} mapping set to strict, dynamic introduction of [${name}] within [${parent === '' ? '_doc' : parent}] is not allowed`,
      'strict_dynamic_mapping_exception',
    );
  if (!isPlainObject(doc)) return fail('failed to parse, document is empty');

  let fieldCountBase: number | undefined;
  /** Add a dynamic mapper; false when the field limit refuses it (the value then goes to _ignored or fails). */
  const addDynamic = (path: string, fm: FieldMapping): { error: DocError } | boolean => {
    const count = 1 + (fm.fields ? Object.keys(fm.fields).length : 0);
    fieldCountBase ??= totalFields(state.fields);
    if (fieldCountBase + totalFields(added) + count > opts.totalFieldsLimit) {
      if (opts.ignoreDynamicBeyondLimit) {
        ignored.add(path);
        return false;
      }
      return fail(
        `${location(path)} failed to parse: Limit of total fields [${opts.totalFieldsLimit}] has been exceeded while adding new fields [${count}]`,
        opts.parsingType,
        cause(
          'illegal_argument_exception',
          `Limit of total fields [${opts.totalFieldsLimit}] has been exceeded while adding new fields [${count}]`,
        ),
      );
    }
    added.set(path, fm);
    return true;
  };

  const checkMapped = (path: string, fm: FieldMapping, value: Json): { error: DocError } | undefined => {
    if (value === null) {
      const nv = fm.params.null_value;
      if (nv === undefined || nv === null) return undefined;
      value = nv;
    }
    const r = checkLeaf(path, fm, value, opts, constants.get(path));
    if ('fatal' in r) return { error: r.fatal };
    if ('malformed' in r) {
      const own = fm.params.ignore_malformed;
      const ignore = own !== undefined ? own === true || own === 'true' : opts.ignoreMalformed;
      if (ignore && IGNORE_MALFORMED_TYPES.has(fm.type) && !isPlainObject(value)) {
        ignored.add(path);
        return undefined;
      }
      return fieldFailure(path, fm, value, r.malformed);
    }
    if (r.ignoredAbove) ignored.add(path);
    if (r.constant !== undefined) constants.set(path, r.constant);
    for (const [sub, subFm] of Object.entries(fm.fields ?? {})) {
      const e = checkMapped(`${path}.${sub}`, subFm, value);
      if (e) return e;
    }
    return undefined;
  };

  const visit = (
    path: string,
    name: string,
    parent: string,
    value: Json,
    dynamic: string,
  ): { error: DocError } | undefined => {
    const mapped = lookup(path);
    if (mapped && mapped.type === 'alias')
      return fail(`${location(name)} Cannot write to a field alias [${path}].`);
    // geo_point accepts [lon, lat] and {lat, lon}; flattened and unchecked types accept objects whole.
    if (
      mapped &&
      mapped.type === 'geo_point' &&
      (isPlainObject(value) || (Array.isArray(value) && value.every((x) => typeof x === 'number')))
    )
      return checkMapped(path, mapped, value);
    if (Array.isArray(value)) {
      for (const el of value) {
        const r = visit(path, name, parent, el, dynamic);
        if (r) return r;
      }
      return undefined;
    }
    if (isPlainObject(value)) {
      if (mapped && (mapped.type === 'flattened' || UNCHECKED_TYPES.has(mapped.type))) return undefined;
      if (mapped && mapped.type !== 'object' && mapped.type !== 'nested') {
        return fieldFailure(
          path,
          mapped,
          value,
          cause(
            'illegal_state_exception',
            `Can't get text on a START_OBJECT at ${location(name).slice(1, -1)}`,
          ),
        );
      }
      let objDynamic = dynamic;
      if (mapped) {
        if (mapped.params.enabled === false || mapped.params.enabled === 'false') return undefined;
        if (mapped.params.dynamic !== undefined) objDynamic = String(mapped.params.dynamic as string);
      } else {
        if (dynamic === 'strict') return strict(name, parent);
        if (dynamic === 'false' || dynamic === 'runtime') return undefined;
        const mapping = dynamicMapping(state, path, name, 'object');
        if (mapping === 'runtime') return undefined;
        const fm = toFieldMapping(mapping);
        if (fm.type !== 'object' && fm.type !== 'nested') {
          const a = addDynamic(path, fm);
          if (typeof a !== 'boolean') return a;
          return a ? checkMapped(path, fm, value) : undefined;
        }
        const a = addDynamic(path, fm);
        if (typeof a !== 'boolean') return a;
        if (!a) return undefined;
        if (fm.params.dynamic !== undefined) objDynamic = String(fm.params.dynamic as string);
      }
      for (const [k, v] of Object.entries(value)) {
        if (k.length === 0)
          return fail(
            `${location(k)} failed to parse: field name cannot be an empty string`,
            opts.parsingType,
            cause('illegal_argument_exception', 'field name cannot be an empty string'),
          );
        const parts = k.split('.');
        if (parts.some((p) => p.trim().length === 0))
          return fail(
            `${location(k)} failed to parse: field name cannot contain only whitespaces`,
            opts.parsingType,
            cause('illegal_argument_exception', `field name cannot contain only whitespaces`),
          );
        // Dotted keys inside a document mean nested objects.
        let p = path;
        let d = objDynamic;
        for (let i = 0; i < parts.length - 1; i++) {
          const parentPath = p;
          p = p === '' ? parts[i]! : `${p}.${parts[i]}`;
          const m = lookup(p);
          if (m && m.type !== 'object' && m.type !== 'nested' && m.type !== 'flattened') {
            return fail(
              `${location(k)} Could not dynamically add mapping for field [${p}.${parts.slice(i + 1).join('.')}]. ` +
                `Existing mapping for [${p}] must be of type object but found [${m.type}].`,
            );
          }
          if (m?.type === 'flattened') return undefined;
          if (m) {
            if (m.params.enabled === false) return undefined;
            if (m.params.dynamic !== undefined) d = String(m.params.dynamic as string);
            continue;
          }
          if (d === 'strict') return strict(parts[i]!, parentPath);
          if (d === 'false' || d === 'runtime') return undefined;
          const a = addDynamic(p, { type: 'object', params: {} });
          if (typeof a !== 'boolean') return a;
          if (!a) return undefined;
        }
        const leafName = parts[parts.length - 1]!;
        const leaf = p === '' ? leafName : `${p}.${leafName}`;
        if (path === '' && parts.length === 1 && METADATA_FIELDS.has(k))
          return fail(
            `${location(k)} Field [${k}] is a metadata field and cannot be added inside a document. Use the index API request parameters.`,
          );
        const r = visit(leaf, leafName, p, v, d);
        if (r) return r;
      }
      return undefined;
    }
    // A concrete value.
    if (mapped) {
      if (mapped.type === 'object' || mapped.type === 'nested') {
        if (value === null) return undefined;
        return fail(
          `${location(name)} object mapping for [${path}] tried to parse field [${name}] as object, but found a concrete value`,
        );
      }
      return checkMapped(path, mapped, value);
    }
    if (value === null) return undefined;
    if (dynamic === 'strict') return strict(name, parent);
    if (dynamic === 'false' || dynamic === 'runtime') return undefined;
    let matchType: string = dynamicTypeOf(value);
    let dateFormat: string | undefined;
    if (typeof value === 'string') {
      const numeric = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim());
      if (!numeric && state.dateDetection) {
        // DynamicFieldsBuilder: pure numbers are never taken for dates; the first dynamic date format that parses
        // the value fixes the field as a date with that format.
        for (const f of state.dynamicDateFormats) {
          if (parseDate(value, f)) {
            matchType = 'date';
            dateFormat = f;
            break;
          }
        }
      } else if (numeric && state.numericDetection) {
        matchType = /^[+-]?\d+$/.test(value.trim()) ? 'long' : 'double';
      }
    }
    const mapping = dynamicMapping(state, path, name, matchType);
    if (mapping === 'runtime') return undefined;
    if (
      matchType === 'date' &&
      mapping.type === 'date' &&
      mapping.format === undefined &&
      dateFormat !== DEFAULT_DATE_FORMAT
    )
      mapping.format = dateFormat;
    const bad = fieldMappingError(name, mapping);
    if (bad) return fail(`${location(name)} failed to parse: ${bad}`, 'mapper_parsing_exception');
    const fm = toFieldMapping(mapping);
    const a = addDynamic(path, fm);
    if (typeof a !== 'boolean') return a;
    if (!a) return undefined;
    return checkMapped(path, fm, value);
  };

  const err = visit('', '', '', doc, state.dynamic);
  if (err) return err;
  added.delete('');
  return { added, constants, ignored: [...ignored] };
}

/** Apply the result of a successful parse. */
export function applyDynamic(state: IndexMappingState, r: ParseResult): void {
  for (const [p, m] of r.added) if (!state.fields.has(p)) state.fields.set(p, m);
  for (const [p, v] of r.constants) {
    const m = state.fields.get(p);
    if (m && m.value === undefined) m.value = v;
  }
}
