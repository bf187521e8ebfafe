// The array-wide alert as pure data: one agent's share of an alert, the shares document that holds every agent's
// share of one alert, and the merged alert document derived from it. No I/O here (alert-merge.ts does that).
//
// Invariants:
// - A share is keyed by its agent's id and *replaces* that agent's earlier share: an agent that restarts,
//   replays or re-sends contributes once. Each share carries the agent's whole count for the alert's period
//   (the engine counts the run-up too), so the array-wide count is the plain sum of the shares.
// - The merged alert is a function of the shares document alone (sorted facets, shares sorted by agent id), so
//   two agents deriving it from the same version write the same document.
// - Raised array-wide when some agent raised it alone, or when the shares' window counts summed per bucket reach
//   the rule's count in some window (threshold rules; the engine's own bucket rounding). Once raised, it stays
//   raised for its period.

import { createHash } from 'node:crypto';
import type {
  AlertShareFacts,
  EcsDocument,
  JsonValue,
  ShippableDocument,
} from '../../pipeline/document.types.js';

export const SHARE_FACETS = [
  'devices',
  'users',
  'user_agents',
  'ios_builds',
  'hosts',
  'ips',
  'builds',
  'device_models',
] as const;
type ShareFacet = (typeof SHARE_FACETS)[number];

/** Evidence ids kept in the merged alert (as the engine keeps per agent). */
const EVIDENCE_LIMIT = 10;

/** One agent's contribution to one alert, as stored in the shares document. */
export interface AgentShare {
  agent_id: string;
  agent_name: string;
  count: number;
  first_seen: string;
  last_seen: string;
  devices: string[];
  users: string[];
  user_agents: string[];
  ios_builds: string[];
  hosts: string[];
  ips: string[];
  builds: string[];
  device_models: string[];
  /** Earliest evidence: event time (ms) and document id. */
  evidence: { t: number; id: string }[];
  raised: boolean;
  need: number;
  window_ms: number;
  bucket_ms: number;
  /** (bucket index, count) pairs, flat. */
  buckets: number[];
}

/** The shares document of one alert (index `casguard-alert-shares-<namespace>`, id = the merged alert id). */
export interface SharesDoc {
  array: string;
  alert_id: string;
  rule_id: string;
  raised: boolean;
  raised_at?: string;
  updated_at: string;
  /**
   * The local alert document (JSON text: stored, never mapped) the merged alert is built on: the latest one of
   * the agent with the lowest id, so it does not flip between agents.
   */
  base: string;
  base_agent: string;
  shares: AgentShare[];
}

/** What an agent hands to the merge: its share and the local alert document it came from. */
export interface ShareUpdate {
  readonly mergedId: string;
  readonly share: AgentShare;
  readonly base: EcsDocument;
}

type Obj = Record<string, JsonValue>;
const isObj = (v: JsonValue | undefined): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const get = (o: JsonValue | undefined, ...path: string[]): JsonValue | undefined => {
  let cur = o;
  for (const p of path) cur = isObj(cur) ? cur[p] : undefined;
  return cur;
};
const str = (v: JsonValue | undefined, dflt: string): string => (typeof v === 'string' ? v : dflt);
const strings = (v: JsonValue | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/**
 * The id of the merged alert: the local alert id when the array is the namespace (the default: every agent of the
 * namespace is one array), else a hash of the array name and the local id, so two arrays sharing an alerts index
 * keep their own alerts.
 */
export function mergedAlertId(localId: string, array: string, namespace: string): string {
  if (array === namespace) return localId;
  return createHash('sha256').update(`casguard-array\0${array}\0${localId}`).digest('base64url').slice(0, 27);
}

/** The share an alert document emitted by this agent's engine stands for. */
export function shareOf(doc: ShippableDocument, facts: AlertShareFacts): AgentShare {
  const d = doc.doc as Obj;
  const a = get(d, 'casguard', 'alert');
  const ids = strings(get(a, 'evidence_ids'));
  const share: AgentShare = {
    agent_id: str(get(d, 'agent', 'id'), 'unknown'),
    agent_name: str(get(d, 'agent', 'name'), 'unknown'),
    count: Number(get(a, 'count') ?? 0),
    first_seen: str(get(a, 'first_seen'), doc.doc['@timestamp']),
    last_seen: str(get(a, 'last_seen'), doc.doc['@timestamp']),
    devices: [],
    users: [],
    user_agents: [],
    ios_builds: [],
    hosts: [],
    ips: [],
    builds: [],
    device_models: [],
    evidence: ids.map((id, i) => ({ t: facts.evidenceTimes[i] ?? 0, id })),
    raised: facts.raised,
    need: facts.need,
    window_ms: facts.windowMs,
    bucket_ms: facts.bucketMs,
    buckets: [...facts.buckets],
  };
  for (const f of SHARE_FACETS) share[f] = strings(get(a, f));
  return share;
}

/** The same share (what a re-send of an unchanged contribution looks like). */
export function sameShare(a: AgentShare, b: AgentShare): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Largest count in any window of the summed per-bucket counts of the shares (bucket-rounded, as the engine). */
export function arrayWindowPeak(shares: readonly AgentShare[]): number {
  const first = shares[0];
  if (!first || first.bucket_ms <= 0) return 0;
  const sum = new Map<number, number>();
  for (const s of shares)
    for (let i = 0; i + 1 < s.buckets.length; i += 2)
      sum.set(s.buckets[i]!, (sum.get(s.buckets[i]!) ?? 0) + s.buckets[i + 1]!);
  const idx = [...sum.keys()].sort((x, y) => x - y);
  const span = Math.floor(first.window_ms / first.bucket_ms);
  let peak = 0;
  let lo = 0;
  let n = 0;
  for (let hi = 0; hi < idx.length; hi++) {
    n += sum.get(idx[hi]!)!;
    while (idx[lo]! < idx[hi]! - span) n -= sum.get(idx[lo++]!)!;
    if (n > peak) peak = n;
  }
  return peak;
}

/** The shares version a merged alert document was derived from (-1: none). */
export function mergeSeqOf(doc: unknown): number {
  const v = get(doc as JsonValue, 'casguard', 'alert', 'merge_seq');
  return typeof v === 'number' ? v : -1;
}

export function arrayRaised(shares: readonly AgentShare[]): boolean {
  if (shares.some((s) => s.raised)) return true;
  const need = shares[0]?.need ?? Infinity;
  return arrayWindowPeak(shares) >= need;
}

/**
 * The shares document after `update`: the agent's share replaced (or added). Undefined when the agent's share is
 * already exactly this one (nothing to write).
 */
export function withShare(
  prev: SharesDoc | undefined,
  update: ShareUpdate,
  array: string,
  nowIso: string,
): SharesDoc | undefined {
  const old = prev?.shares.find((s) => s.agent_id === update.share.agent_id);
  if (old && sameShare(old, update.share) && (prev!.raised || !arrayRaised(prev!.shares))) return undefined;
  const shares = [
    ...(prev?.shares ?? []).filter((s) => s.agent_id !== update.share.agent_id),
    update.share,
  ].sort((a, b) => (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0));
  const raised = (prev?.raised ?? false) || arrayRaised(shares);
  const ruleId = get(update.base as Obj, 'rule', 'id');
  return {
    array,
    alert_id: update.mergedId,
    rule_id: typeof ruleId === 'string' ? ruleId : '',
    raised,
    ...(prev?.raised_at !== undefined ? { raised_at: prev.raised_at } : raised ? { raised_at: nowIso } : {}),
    updated_at: nowIso,
    ...(!prev || update.share.agent_id <= prev.base_agent
      ? { base: JSON.stringify(update.base), base_agent: update.share.agent_id }
      : { base: prev.base, base_agent: prev.base_agent }),
    shares,
  };
}

const sortedUnion = (lists: string[][]): string[] => [...new Set(lists.flat())].sort();
const minIso = (xs: string[]): string => xs.reduce((m, x) => (Date.parse(x) < Date.parse(m) ? x : m));
const maxIso = (xs: string[]): string => xs.reduce((m, x) => (Date.parse(x) > Date.parse(m) ? x : m));

/** Set, or remove when the union is not a single value, a field the engine sets from a single-valued facet. */
function single(doc: Obj, path: readonly string[], values: readonly string[]): void {
  if (values.length === 0) return;
  let cur = doc;
  for (const p of path.slice(0, -1)) {
    const next = cur[p];
    if (!isObj(next)) {
      if (values.length !== 1) return;
      cur[p] = {};
    }
    cur = cur[p] as Obj;
  }
  const leaf = path[path.length - 1]!;
  if (values.length === 1) cur[leaf] = values[0]!;
  else delete cur[leaf];
}

/**
 * The merged alert document of a raised shares document: the base alert with the union over agents. `render`
 * re-fills the rule's message template from the merged document (the CLI injects the rules' templates).
 */
export function mergedAlertDocument(
  sd: SharesDoc,
  sharesSeqNo: number,
  render: (doc: EcsDocument) => string | undefined,
  ingestedIso: string,
): EcsDocument {
  const doc = JSON.parse(sd.base) as EcsDocument & Obj;
  const shares = sd.shares;
  const facets = {} as Record<ShareFacet, string[]>;
  for (const f of SHARE_FACETS) facets[f] = sortedUnion(shares.map((s) => s[f]));
  const first = minIso(shares.map((s) => s.first_seen));
  const last = maxIso(shares.map((s) => s.last_seen));
  const count = shares.reduce((n, s) => n + s.count, 0);
  const evidence = shares
    .flatMap((s) => s.evidence)
    .sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, EVIDENCE_LIMIT)
    .map((e) => e.id);
  doc['@timestamp'] = first;
  const event = isObj(doc['event']) ? doc['event'] : (doc['event'] = {});
  event['start'] = first;
  event['end'] = last;
  event['ingested'] = ingestedIso;
  single(doc, ['host', 'name'], facets.hosts);
  single(doc, ['device', 'id'], facets.devices);
  single(doc, ['user', 'name'], facets.users);
  single(doc, ['user_agent', 'original'], facets.user_agents);
  const related: Obj = {};
  if (facets.users.length > 0) related['user'] = facets.users;
  if (facets.hosts.length > 0) related['hosts'] = facets.hosts;
  if (facets.ips.length > 0) related['ip'] = facets.ips;
  if (Object.keys(related).length > 0) doc['related'] = related;
  const casguard = isObj(doc['casguard']) ? doc['casguard'] : (doc['casguard'] = {});
  const alert: Obj = isObj(casguard['alert']) ? casguard['alert'] : (casguard['alert'] = {});
  alert['count'] = count;
  alert['first_seen'] = first;
  alert['last_seen'] = last;
  for (const f of SHARE_FACETS) alert[f] = facets[f];
  alert['evidence_ids'] = evidence;
  alert['array'] = sd.array;
  alert['agents'] = shares.length;
  alert['merge_seq'] = sharesSeqNo;
  alert['by_host'] = shares.map((s) => ({
    agent_id: s.agent_id,
    agent_name: s.agent_name,
    hosts: s.hosts,
    count: s.count,
    first_seen: s.first_seen,
    last_seen: s.last_seen,
    raised: s.raised,
  }));
  const message = render(doc);
  if (message !== undefined) doc['message'] = message;
  return doc;
}
