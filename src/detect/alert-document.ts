// Alert documents: ECS with `event.kind: alert`, `rule.*`, `related.*`, the key fields of the evidence and a
// `casguard.alert.*` summary (running count, first/last seen, devices, users, user agents, iOS builds, sample
// evidence ids). The id is derived from rule, key and suppression period only, so every later version of the
// same alert replaces the earlier one (`op: 'index'`) and a replay re-creates the same ids.

import { createHash } from 'node:crypto';
import type { EcsDocument, JsonValue, ShippableDocument } from '../pipeline/document.types.js';
import { fieldSlot, getField, readField, splitPath } from './condition.js';
import { keyFieldName, riskScore, SEVERITY_LEVEL, type KeyField, type Rule } from './rule.schema.js';

/** What the engine learns about an Exchange server from any document naming its build. */
export interface ServerFacts {
  build?: string;
  release?: string;
  status?: string;
  fix?: string;
}

export const FACETS = [
  'devices',
  'users',
  'user_agents',
  'ios_builds',
  'hosts',
  'ips',
  'builds',
  'device_models',
] as const;
export type FacetName = (typeof FACETS)[number];
export type Facets = Record<FacetName, string[]>;

/** What an alert document is built from (the engine's period statistics of one key). */
export interface AlertView {
  id: string;
  keyValues: readonly string[];
  periodStart: number;
  periodEnd: number;
  count: number;
  firstSeen: number;
  lastSeen: number;
  facets: Facets;
  /** Ids of the earliest evidence documents (by event time, then id). */
  evidence: readonly string[];
  server: ServerFacts;
}

export function alertId(ruleId: string, key: string, periodStart: number): string {
  const h = createHash('sha256');
  h.update('casguard-alert\0');
  h.update(ruleId);
  h.update('\0');
  h.update(key);
  h.update('\0');
  h.update(String(periodStart));
  return h.digest('base64url').slice(0, 27);
}

const iso = (ms: number): string => new Date(ms).toISOString();
// Facets are reported sorted: a backfill that reads the files in another order reports the same lists.
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

const FACET_SOURCES: ReadonlyArray<readonly [FacetName, readonly string[][]]> = [
  ['devices', [['device', 'id']]],
  ['users', [['user', 'name']]],
  ['user_agents', [['user_agent', 'original']]],
  [
    'ios_builds',
    [
      ['microsoft', 'exchange', 'activesync', 'device_os_build'],
      ['user_agent', 'os', 'full'],
    ],
  ],
  [
    'hosts',
    [
      ['host', 'name'],
      ['observer', 'hostname'],
    ],
  ],
  ['ips', [['source', 'ip']]],
  ['builds', [['microsoft', 'exchange', 'server', 'build']]],
  ['device_models', [['device', 'model', 'identifier']]],
];

const OS_FULL_BUILD = /\(([0-9]+[A-Z][0-9]+[a-z]?)\)/;
// A storm repeats the same user agent thousands of times: remember the last few answers.
const buildCache = new Map<string, string | null>();
function iosBuildOf(osFull: string): string | undefined {
  let b = buildCache.get(osFull);
  if (b === undefined) {
    b = OS_FULL_BUILD.exec(osFull)?.[1] ?? null;
    if (buildCache.size > 256) buildCache.clear();
    buildCache.set(osFull, b);
  }
  return b ?? undefined;
}

const lowerCache = new Map<string, string>();
function lowerHost(s: string): string {
  let l = lowerCache.get(s);
  if (l === undefined) {
    l = s.toLowerCase();
    if (lowerCache.size >= 1024) lowerCache.clear();
    lowerCache.set(s, l);
  }
  return l;
}

/** One facet's value in a document (FACET_SOURCES index), or undefined. */
const FACET_SLOTS = FACET_SOURCES.map(([, paths]) => paths.map((p) => fieldSlot(p.join('.'))));

function facetValue(doc: EcsDocument, i: number): string | undefined {
  const [name, paths] = FACET_SOURCES[i]!;
  const slots = FACET_SLOTS[i]!;
  for (let j = 0; j < paths.length; j++) {
    const p = paths[j]!;
    let v = readField(doc, slots[j]!, p);
    if (Array.isArray(v)) v = v[0];
    if (v === undefined || v === null || typeof v === 'object') continue;
    let s = String(v);
    if (name === 'ios_builds' && p[0] === 'user_agent') {
      // 'iOS 7.0 (11A465)' → '11A465'; only when the log gave no build token of its own.
      const b = iosBuildOf(s);
      if (b === undefined) continue;
      s = b;
    }
    return name === 'hosts' ? lowerHost(s) : s;
  }
  return undefined;
}

/**
 * Facet values of one document, read lazily and once: several rules may count the same document, and a facet
 * whose list is already full is never read at all (a host-keyed rule sees thousands of devices).
 */
export class FacetReader {
  private doc: EcsDocument | undefined;
  private readonly values: (string | undefined)[] = new Array<string | undefined>(FACET_SOURCES.length);
  private readonly read: boolean[] = new Array<boolean>(FACET_SOURCES.length).fill(false);

  reset(doc: EcsDocument): void {
    if (this.doc === doc) return;
    this.doc = doc;
    this.read.fill(false);
  }

  get(i: number): string | undefined {
    if (!this.read[i]) {
      this.values[i] = facetValue(this.doc!, i);
      this.read[i] = true;
    }
    return this.values[i];
  }
}

/** Server build facts carried by a document itself (mailbox log, HttpProxy, event 4999 after enrichment). */
const SERVER_PATH = ['microsoft', 'exchange', 'server'];
const SERVER_SLOT = fieldSlot(SERVER_PATH.join('.'));

export function serverFactsOf(doc: EcsDocument): ServerFacts | undefined {
  const server = readField(doc, SERVER_SLOT, SERVER_PATH);
  if (!server || typeof server !== 'object' || Array.isArray(server)) return undefined;
  const build = str(server['build']);
  if (build === undefined) return undefined;
  const kb = server['kb2851708'];
  const kbo = kb && typeof kb === 'object' && !Array.isArray(kb) ? kb : undefined;
  const out: ServerFacts = { build };
  const release = str(server['release']);
  if (release !== undefined) out.release = release;
  const status = str(kbo?.['status']);
  if (status !== undefined) out.status = status;
  const fix = str(kbo?.['fix']);
  if (fix !== undefined) out.fix = fix;
  return out;
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Put `value` at a dotted path of a nested object. */
function setPath(obj: Record<string, JsonValue>, path: readonly string[], value: JsonValue): void {
  let cur = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const next = cur[k];
    if (next && typeof next === 'object' && !Array.isArray(next)) cur = next;
    else {
      const fresh: Record<string, JsonValue> = {};
      cur[k] = fresh;
      cur = fresh;
    }
  }
  cur[path[path.length - 1]!] = value;
}

const TEMPLATE = /\{\{\s*([@A-Za-z0-9_.]+)\s*\}\}/g;

/** Fill `{{dotted.field}}` from the alert document; arrays list up to 5 values; missing → 'unknown'. */
export function fillTemplate(template: string, doc: EcsDocument): string {
  return template.replace(TEMPLATE, (_m, field: string) => {
    const v = getField(doc, splitPath(field));
    if (v === undefined || v === null) return 'unknown';
    if (Array.isArray(v)) {
      if (v.length === 0) return 'none';
      const shown = v.slice(0, 5).map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x)));
      return v.length > 5 ? `${shown.join(', ')} and ${v.length - 5} more` : shown.join(', ');
    }
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

export interface AlertBuildContext {
  readonly rule: Rule;
  readonly keyFields: readonly KeyField[];
  readonly namespace: string;
  /** Host facts learned from other documents, used when the evidence itself names no build. */
  readonly hostFacts: (shortHost: string) => ServerFacts | undefined;
}

export function buildAlertDocument(ctx: AlertBuildContext, a: AlertView): ShippableDocument {
  const { rule } = ctx;
  const doc: EcsDocument = { '@timestamp': iso(a.firstSeen) };
  const d = doc as Record<string, JsonValue>;
  const risk = riskScore(rule);
  d['event'] = {
    kind: 'alert',
    module: 'casguard',
    dataset: 'casguard.alerts',
    category: ['web'],
    type: ['info'],
    severity: SEVERITY_LEVEL[rule.severity],
    risk_score: risk,
    start: iso(a.firstSeen),
    end: iso(a.lastSeen),
  };
  d['data_stream'] = { type: 'logs', dataset: 'casguard.alerts', namespace: ctx.namespace };
  d['rule'] = {
    id: rule.id,
    uuid: rule.uuid,
    name: rule.name,
    description: rule.description.trim(),
    reference: rule.references[0]!,
    ruleset: rule.ruleset,
    version: String(rule.version),
    ...(rule.category !== undefined ? { category: rule.category } : {}),
    author: [...rule.author],
  };
  // Key fields of the evidence: the key values themselves, then single-valued facets.
  ctx.keyFields.forEach((k, i) => {
    const v = a.keyValues[i];
    if (v !== undefined) setPath(d, splitPath(keyFieldName(k)), v);
  });
  const single = (facet: FacetName, path: string[]): void => {
    if (getField(doc, path) === undefined && a.facets[facet].length === 1)
      setPath(d, path, a.facets[facet][0]!);
  };
  single('hosts', ['host', 'name']);
  single('devices', ['device', 'id']);
  single('users', ['user', 'name']);
  single('user_agents', ['user_agent', 'original']);
  const host = getField(doc, ['host', 'name']);
  const facts: ServerFacts | undefined =
    a.server.build !== undefined
      ? a.server
      : typeof host === 'string'
        ? ctx.hostFacts(host.toLowerCase())
        : undefined;
  if (facts?.build !== undefined) {
    const server: Record<string, JsonValue> = { build: facts.build };
    if (facts.release !== undefined) server['release'] = facts.release;
    if (facts.status !== undefined || facts.fix !== undefined)
      server['kb2851708'] = {
        ...(facts.status !== undefined ? { status: facts.status } : {}),
        ...(facts.fix !== undefined ? { fix: facts.fix } : {}),
      };
    setPath(d, ['microsoft', 'exchange', 'server'], server);
  }
  const hosts = a.facets.hosts.length > 0 ? sorted(a.facets.hosts) : typeof host === 'string' ? [host] : [];
  const related: Record<string, JsonValue> = {};
  // Copies throughout: the emitted document must not change when the live alert state does.
  if (a.facets.users.length > 0) related['user'] = sorted(a.facets.users);
  if (hosts.length > 0) related['hosts'] = [...hosts];
  if (a.facets.ips.length > 0) related['ip'] = sorted(a.facets.ips);
  if (Object.keys(related).length > 0) d['related'] = related;
  const alert: Record<string, JsonValue> = {
    count: a.count,
    first_seen: iso(a.firstSeen),
    last_seen: iso(a.lastSeen),
    key: ctx.keyFields.map((k, i) => `${keyFieldName(k)}=${a.keyValues[i] ?? ''}`).join(' '),
    devices: sorted(a.facets.devices),
    users: sorted(a.facets.users),
    user_agents: sorted(a.facets.user_agents),
    ios_builds: sorted(a.facets.ios_builds),
    hosts: [...hosts],
    builds: sorted(a.facets.builds),
    device_models: sorted(a.facets.device_models),
    evidence_ids: [...a.evidence],
    suppression_period: `${iso(a.periodStart)}/${iso(a.periodEnd)}`,
  };
  if (facts?.status !== undefined) alert['below_fix'] = facts.status === 'affected';
  if (facts?.fix !== undefined) alert['fix'] = facts.fix;
  d['casguard'] = { alert };
  d['message'] = fillTemplate(rule.message.trim(), doc);
  return { id: a.id, stream: 'alerts', op: 'index', doc };
}
