// Validates a `mappings` body as Elasticsearch's mapping parser does (MappingParser, RootObjectMapper.TypeParser,
// ObjectMapper.TypeParser, FieldMapper.Builder#parse, DynamicTemplate#parse), with the per-type parameter table of
// mapping-params.ts. A problem is returned as Elasticsearch's exception (MapperService#parseMapping wraps every
// parse failure):
//   mapper_parsing_exception "Failed to parse mapping: unknown parameter [ignore_above] on mapper [n] of type
//   [long]", caused_by mapper_parsing_exception "unknown parameter [ignore_above] on mapper [n] of type [long]"

import { EsError, cause, javaToString } from './errors.js';
import type { EsCause } from './errors.js';
import { formatError, parseDate, DEFAULT_DATE_FORMAT, DEFAULT_DATE_NANOS_FORMAT } from './date-format.js';
import {
  FIELD_COMMON_PARAMS,
  FIELD_PARAMS,
  NESTED_PARAMS,
  OBJECT_PARAMS,
  ROOT_PARAMS,
  UNCHECKED_TYPES,
  isKnownType,
} from './mapping-params.js';
import type { ParamKind } from './mapping-params.js';
import { unwrapDoc } from './mapping-state.js';

/** A problem found while parsing: the innermost exception (mapper_parsing_exception or a Java exception). */
class Problem extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly inner?: EsCause,
  ) {
    super(message);
  }
}

const mpe = (msg: string, inner?: EsCause): Problem => new Problem('mapper_parsing_exception', msg, inner);
const iae = (msg: string): Problem => new Problem('illegal_argument_exception', msg);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function remaining(entries: [string, unknown][]): string {
  return entries.map(([k, v]) => ` [${k} : ${javaToString(v)}]`).join('');
}

function checkKind(kind: ParamKind, name: string, param: string, type: string, v: unknown): void {
  if (v === null) {
    if (param === 'null_value' || param === 'meta' || param === 'script') return;
    throw mpe(`[${param}] on mapper [${name}] of type [${type}] must not have a [null] value`);
  }
  switch (kind) {
    case 'bool':
      if (typeof v !== 'boolean' && v !== 'true' && v !== 'false')
        throw iae(`Failed to parse value [${javaToString(v)}] as only [true] or [false] are allowed.`);
      return;
    case 'int':
      if (!(typeof v === 'number' && Number.isInteger(v)) && !(typeof v === 'string' && /^-?\d+$/.test(v)))
        throw new Problem('number_format_exception', `For input string: "${javaToString(v)}"`);
      return;
    case 'number':
      if (typeof v !== 'number' && !(typeof v === 'string' && Number.isFinite(Number(v))))
        throw new Problem('number_format_exception', `For input string: "${javaToString(v)}"`);
      return;
    case 'string':
      if (typeof v === 'object') throw mpe(`Expected a string value for [${param}] on field [${name}]`);
      return;
    case 'any':
      return;
  }
}

function validateLeaf(name: string, type: string, def: Record<string, unknown>, inMultiField: boolean): void {
  const table = FIELD_PARAMS[type];
  for (const [param, v] of Object.entries(def)) {
    if (param === 'type') continue;
    if (param === 'boost') throw mpe(`Unknown parameter [boost] on mapper [${name}]`);
    if (param === 'fields') {
      if (type === 'flattened') throw iae(`flattened field [${name}] does not support [fields]`);
      if (!isPlainObject(v))
        throw mpe(`Expected map for property [fields] on field [${name}] but got a ${javaToString(v)}`);
      for (const [sub, subDef] of Object.entries(v)) {
        if (!isPlainObject(subDef))
          throw mpe(`Expected map for property [fields] on field [${sub}] but got a class java.lang.String`);
        const subType = typeof subDef.type === 'string' ? subDef.type : 'object';
        if (subType === 'object' || subType === 'nested')
          throw mpe(`Type [${subType}] cannot be used in multi field`);
        validateField(sub, subDef, true);
      }
      continue;
    }
    if (param === 'copy_to') {
      if (type === 'flattened') throw iae(`flattened field [${name}] does not support [copy_to]`);
      continue;
    }
    if (FIELD_COMMON_PARAMS.has(param)) continue;
    if (UNCHECKED_TYPES.has(type)) continue;
    const kind = table?.[param];
    if (kind === undefined) throw mpe(`unknown parameter [${param}] on mapper [${name}] of type [${type}]`);
    checkKind(kind, name, param, type, v);
  }
  if (type === 'keyword' || type === 'wildcard' || type === 'flattened') {
    const ia = def.ignore_above;
    if (ia !== undefined && Number(ia) < 0)
      throw iae(`[ignore_above] must be positive, got [${javaToString(ia)}]`);
  }
  if (type === 'date' || type === 'date_nanos') {
    const fmt =
      typeof def.format === 'string'
        ? def.format
        : type === 'date'
          ? DEFAULT_DATE_FORMAT
          : DEFAULT_DATE_NANOS_FORMAT;
    const err = formatError(fmt);
    if (err) throw iae(`Error parsing [format] on field [${name}]: ${err}`);
    if (typeof def.null_value === 'string' && parseDate(def.null_value, fmt) === undefined)
      throw iae(
        `Error parsing [null_value] on field [${name}]: failed to parse date field [${def.null_value}] with format [${fmt}]`,
      );
  }
  if (type === 'scaled_float') {
    if (def.scaling_factor === undefined) throw iae('Field [scaling_factor] is required');
    const sf = Number(def.scaling_factor);
    if (!Number.isFinite(sf) || sf <= 0)
      throw iae(`[scaling_factor] must be a positive number, got [${javaToString(def.scaling_factor)}]`);
  }
  if (type === 'ip' && typeof def.null_value === 'string' && !isIpLiteral(def.null_value))
    throw iae(`'${def.null_value}' is not an IP string literal.`);
  if (inMultiField && def.copy_to !== undefined)
    throw mpe('[copy_to] may not be used to copy from a multi-field');
}

export function isIpLiteral(s: string): boolean {
  // InetAddresses#forString (Guava's rules): dotted quads without leading zeros, IPv6 with an optional embedded
  // IPv4 tail; no zone ids.
  const v4 = (x: string): boolean =>
    /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(x) &&
    x.split('.').every((o) => Number(o) <= 255 && (o.length === 1 || !o.startsWith('0')));
  if (v4(s)) return true;
  if (!s.includes(':') || s.includes('%')) return false;
  let body = s;
  let groupsMax = 8;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!v4(tail)) return false;
    body = s.slice(0, lastColon + 1) + '0:0';
    groupsMax = 8;
  }
  const dbl = body.split('::');
  if (dbl.length > 2) return false;
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const left = dbl[0] === '' ? [] : dbl[0]!.split(':');
  const right = dbl.length === 2 ? (dbl[1] === '' ? [] : dbl[1]!.split(':')) : [];
  if (![...left, ...right].every((g) => hex.test(g))) return false;
  const n = left.length + right.length;
  return dbl.length === 2 ? n < groupsMax : n === groupsMax;
}

/** Validate one field definition (`name` is its leaf name, as Elasticsearch's messages use it). */
function validateField(name: string, def: Record<string, unknown>, inMultiField = false): void {
  if (name.length === 0) throw iae('field name cannot be an empty string');
  if (name.trim().length === 0) throw iae('field name cannot contain only whitespaces');
  const rawType = def.type;
  if (rawType !== undefined && typeof rawType !== 'string')
    throw mpe(`No type specified for field [${name}]`);
  const type = rawType ?? 'object';
  if (!isKnownType(type)) throw mpe(`No handler for type [${type}] declared on field [${name}]`);
  if (type === 'object' || type === 'nested') {
    const allowed = type === 'nested' ? NESTED_PARAMS : OBJECT_PARAMS;
    const extra = Object.entries(def).filter(([k]) => !allowed.has(k));
    if (extra.length > 0)
      throw mpe(`Mapping definition for [${name}] has unsupported parameters: ${remaining(extra)}`);
    if (
      def.dynamic !== undefined &&
      !['true', 'false', 'strict', 'runtime'].includes(String(def.dynamic as string))
    )
      throw mpe(`Could not convert [dynamic] to boolean`);
    if (def.properties !== undefined) validateProperties(def.properties);
    return;
  }
  if (type === 'alias') {
    if (typeof def.path !== 'string') throw mpe(`The [path] property must be specified for field [${name}].`);
    const extra = Object.entries(def).filter(([k]) => k !== 'type' && k !== 'path');
    if (extra.length > 0)
      throw mpe(`Mapping definition for [${name}] has unsupported parameters: ${remaining(extra)}`);
    return;
  }
  if (def.properties !== undefined && !UNCHECKED_TYPES.has(type))
    throw mpe(`unknown parameter [properties] on mapper [${name}] of type [${type}]`);
  validateLeaf(name, type, def, inMultiField);
}

function validateProperties(props: unknown): void {
  if (!isPlainObject(props))
    throw mpe(`Expected map for property [properties] but got a ${javaToString(props)}`);
  for (const [name, def] of Object.entries(props)) {
    if (!isPlainObject(def))
      throw mpe(`Expected map for property [fields] on field [${name}] but got a class java.lang.String`);
    // A dotted name is an object path; Elasticsearch validates the leaf under its last part.
    const leaf = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
    validateField(leaf, def);
  }
}

const DT_PARAMS = new Set([
  'match',
  'unmatch',
  'path_match',
  'path_unmatch',
  'match_mapping_type',
  'unmatch_mapping_type',
  'match_pattern',
  'mapping',
  'runtime',
]);
const MATCH_TYPES = ['object', 'string', 'long', 'double', 'boolean', 'date', 'binary'];

function validateDynamicTemplates(v: unknown): void {
  if (!Array.isArray(v)) throw mpe(`Dynamic template syntax error. An array of named objects is expected.`);
  for (const entry of v) {
    if (!isPlainObject(entry) || Object.keys(entry).length !== 1)
      throw mpe(`Dynamic template syntax error. An array of named objects is expected.`);
    const [name, body] = Object.entries(entry)[0]!;
    if (!isPlainObject(body))
      throw mpe(`Dynamic template syntax error. An array of named objects is expected.`);
    for (const k of Object.keys(body))
      if (!DT_PARAMS.has(k)) throw mpe(`Illegal dynamic template parameter: [${k}]`);
    const types =
      body.match_mapping_type === undefined
        ? []
        : [body.match_mapping_type].flat().map((t) => javaToString(t));
    for (const t of types)
      if (t !== '*' && !MATCH_TYPES.includes(t))
        throw iae(`No field type matched on [${t}], possible values are [${MATCH_TYPES.join(', ')}]`);
    if (body.match_pattern !== undefined && body.match_pattern !== 'simple' && body.match_pattern !== 'regex')
      throw iae(`No matching pattern matched on [${javaToString(body.match_pattern)}]`);
    if (body.mapping === undefined && body.runtime === undefined)
      throw mpe(`template [${name}] must have either mapping or runtime set`);
    if (isPlainObject(body.mapping)) {
      const mapping = body.mapping;
      const t = typeof mapping.type === 'string' ? mapping.type : undefined;
      // `{dynamic_type}` / `{name}` placeholders are only known when a field matches.
      if (t !== undefined && t.includes('{')) continue;
      try {
        validateField('__dynamic__' + name, mapping);
      } catch (e) {
        if (!(e instanceof Problem)) throw e;
        // RootObjectMapper#validateDynamicTemplate parses the mapping as a field named "__dynamic__" + name.
        throw mpe(
          `dynamic template [${name}] has invalid content [${JSON.stringify(entry[name])}], attempted to validate it with the following match_mapping_type: [${(types.length > 0 ? types : ['string']).join(', ')}]`,
          cause(e.type, e.message),
        );
      }
    }
  }
}

function validateRoot(mappings: Record<string, unknown>): void {
  const extra = Object.entries(mappings).filter(([k]) => !ROOT_PARAMS.has(k));
  if (extra.length > 0) throw mpe(`Root mapping definition has unsupported parameters: ${remaining(extra)}`);
  for (const k of ['date_detection', 'numeric_detection'] as const) {
    const v = mappings[k];
    if (v !== undefined && typeof v !== 'boolean' && v !== 'true' && v !== 'false')
      throw iae(`Failed to parse value [${javaToString(v)}] as only [true] or [false] are allowed.`);
  }
  if (
    mappings.dynamic !== undefined &&
    !['true', 'false', 'strict', 'runtime'].includes(String(mappings.dynamic as string))
  )
    throw mpe(`Could not convert [dynamic] to boolean`);
  if (mappings.dynamic_date_formats !== undefined) {
    const list = [mappings.dynamic_date_formats].flat();
    for (const f of list) {
      const err = formatError(javaToString(f));
      if (err) throw iae(err);
    }
  }
  if (mappings.dynamic_templates !== undefined) validateDynamicTemplates(mappings.dynamic_templates);
  if (mappings.properties !== undefined) validateProperties(mappings.properties);
}

/** The exception Elasticsearch answers for `mappings` (undefined when they parse). */
export function mappingError(mappingsIn: unknown): EsError | undefined {
  if (mappingsIn === undefined || mappingsIn === null) return undefined;
  const mappings = unwrapDoc(mappingsIn);
  if (!mappings)
    return new EsError(
      400,
      'mapper_parsing_exception',
      'Failed to parse mapping: Expected map for property [mappings]',
    );
  try {
    validateRoot(mappings);
    validateAliases(mappings);
    return undefined;
  } catch (e) {
    if (!(e instanceof Problem)) throw e;
    const inner = cause(e.type, e.message, e.inner);
    return new EsError(400, 'mapper_parsing_exception', `Failed to parse mapping: ${e.message}`, {}, inner);
  }
}

/** Field aliases must point to an existing concrete field (FieldAliasMapper#validate). */
function validateAliases(mappings: Record<string, unknown>): void {
  const concrete = new Map<string, string>();
  const aliases: [string, string][] = [];
  const walk = (props: unknown, prefix: string): void => {
    if (!isPlainObject(props)) return;
    for (const [k, def] of Object.entries(props)) {
      if (!isPlainObject(def)) continue;
      const path = prefix + k;
      const type = typeof def.type === 'string' ? def.type : 'object';
      if (type === 'alias') aliases.push([path, String(def.path as string)]);
      else concrete.set(path, type);
      if (def.properties !== undefined) walk(def.properties, path + '.');
    }
  };
  walk(mappings.properties, '');
  for (const [alias, path] of aliases) {
    const t = concrete.get(path);
    if (t === undefined)
      throw mpe(
        `Invalid [path] value [${path}] for field alias [${alias}]: an alias must refer to an existing field in the mappings.`,
      );
    if (t === 'object' || t === 'nested')
      throw mpe(
        `Invalid [path] value [${path}] for field alias [${alias}]: an alias cannot refer to an object.`,
      );
  }
}

/** Validate one dynamic-template mapping once its placeholders are filled (used when a field matches). */
export function fieldMappingError(name: string, def: Record<string, unknown>): string | undefined {
  try {
    validateField(name, def);
    return undefined;
  } catch (e) {
    if (!(e instanceof Problem)) throw e;
    return e.message;
  }
}
