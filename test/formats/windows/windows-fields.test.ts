// Every field of every Windows golden output is ECS with ECS's type (../shared/schemas/ecs/ecs_flat.yml), a
// Winlogbeat `winlog.*` field (../shared/schemas/winlog/winlogbeat-fields.common.json; `event_data` and
// `user_data` are open objects of keywords), or one of ours listed in WINDOWS_OWN_FIELDS with its type.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { WINDOWS_OWN_FIELDS } from '../../../src/normalize/windows-event/windows-own-fields.js';
import { GOLDEN_CASES, GOLDEN_DIR } from './windows-harness.js';

const SHARED = path.join(import.meta.dirname, '../../../../shared/schemas');
const ECS_FLAT = path.join(SHARED, 'ecs/ecs_flat.yml');
const WINLOG = path.join(SHARED, 'winlog/winlogbeat-fields.common.json');

/** flat_name → type, read line by line (top-level keys and their direct `type:`). */
function loadEcs(): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const line of readFileSync(ECS_FLAT, 'utf8').split('\n')) {
    const key = /^'?([@\w.]+)'?:\s*$/.exec(line);
    if (key) {
      current = key[1];
      continue;
    }
    const type = /^ {2}type: (\w+)/.exec(line);
    if (type && current) out.set(current, type[1]!);
  }
  return out;
}

interface BeatsField {
  name: string;
  type?: string;
  fields?: BeatsField[];
}

function loadWinlog(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (fields: BeatsField[], prefix: string): void => {
    for (const f of fields) {
      const name = prefix + f.name;
      if (f.fields && (f.type === undefined || f.type === 'group')) walk(f.fields, `${name}.`);
      else out.set(name, f.type ?? 'keyword');
    }
  };
  for (const group of JSON.parse(readFileSync(WINLOG, 'utf8')) as BeatsField[]) {
    if (group.name === undefined || (group as { key?: string }).key === 'winlog')
      walk(group.fields ?? [], '');
  }
  return out;
}

/** Leaf values by dotted path; arrays give one entry per element. */
function leaves(value: unknown, prefix: string, out: [string, unknown][]): void {
  if (Array.isArray(value)) {
    for (const v of value) leaves(v, prefix, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, value]);
  }
}

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'keyword':
    case 'constant_keyword':
    case 'wildcard':
    case 'match_only_text':
    case 'text':
    case 'flattened':
    case 'ip':
      return typeof v === 'string';
    case 'long':
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float':
    case 'double':
    case 'scaled_float':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'date':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v));
    default:
      return false;
  }
}

it('every field of every Windows golden output is ECS, winlog.* or a listed own field, with the right type', (t) => {
  if (!existsSync(ECS_FLAT) || !existsSync(WINLOG)) {
    t.skip('../shared/schemas absent');
    return;
  }
  const ecs = loadEcs();
  const winlog = loadWinlog();
  assert.equal(ecs.get('event.code'), 'keyword');
  assert.equal(winlog.get('winlog.event_id'), 'keyword');
  const problems = new Set<string>();
  let checked = 0;
  for (const c of GOLDEN_CASES) {
    const expected = JSON.parse(readFileSync(path.join(GOLDEN_DIR, `${c.file}.expected.json`), 'utf8')) as {
      documents: { doc: unknown }[];
    };
    for (const { doc } of expected.documents) {
      const out: [string, unknown][] = [];
      leaves(doc, '', out);
      for (const [name, value] of out) {
        checked++;
        let type: string | undefined = ecs.get(name) ?? WINDOWS_OWN_FIELDS[name];
        if (type === undefined && name.startsWith('winlog.')) {
          // event_data and user_data are open objects whose children Winlogbeat maps as keyword.
          type = /^winlog\.(event_data|user_data)\.[^.]+$/.test(name) ? 'keyword' : winlog.get(name);
        }
        if (type === undefined)
          problems.add(`${c.file}: ${name} is not ECS, winlog.* or in WINDOWS_OWN_FIELDS`);
        else if (!typeOk(type, value))
          problems.add(`${c.file}: ${name} = ${JSON.stringify(value)} is not ${type}`);
      }
    }
  }
  assert.deepEqual([...problems], []);
  assert.ok(checked > 500, `checked ${checked} field values`);
});
