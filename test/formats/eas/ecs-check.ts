// Checks one document against ECS (generated table) and EAS_OWN_FIELDS: every leaf field must be known and hold a
// value of its type. Used by the ECS-fields test and the fuzz test.

import { EAS_OWN_FIELDS } from '../../../src/normalize/eas/eas-own-fields.js';
import { ECS_FIELD_TYPES } from './ecs-field-types.generated.js';

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function valueFits(type: string, v: unknown): boolean {
  switch (type) {
    case 'keyword':
    case 'constant_keyword':
    case 'wildcard':
    case 'text':
    case 'match_only_text':
      return typeof v === 'string';
    case 'long':
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'float':
    case 'double':
    case 'scaled_float':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'date':
      return typeof v === 'string' && ISO.test(v) && !Number.isNaN(Date.parse(v));
    case 'ip':
      return typeof v === 'string' && (IPV4.test(v) || (v.includes(':') && IPV6.test(v)));
    case 'flattened':
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return false;
  }
}

/** Problems found in one document: unknown fields and type mismatches. */
export function checkDocument(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const walk = (prefix: string, value: unknown): void => {
    const values = Array.isArray(value) ? value : [value];
    const own = EAS_OWN_FIELDS[prefix];
    const type = own ?? ECS_FIELD_TYPES[prefix];
    if (type !== undefined && type !== 'object') {
      for (const v of values) {
        if (!valueFits(type, v))
          problems.push(`${prefix}: ${JSON.stringify(v)?.slice(0, 60)} is not ${type}`);
      }
      return;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
      return;
    }
    problems.push(`${prefix}: not in ECS nor in EAS_OWN_FIELDS`);
  };
  walk('', doc);
  return problems;
}
