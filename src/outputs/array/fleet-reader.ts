// The fleet view's reader side: the latest status document of every agent of an array, from the agents' status
// index (or the local agent's own status file), and whether each is stale: silent for more than three of its own
// status intervals (`casguard.agent.status_interval_ms`, so agents with different intervals are judged fairly).

import { readFile } from 'node:fs/promises';
import type { DocStore } from './doc-store.js';

/** What `casguard status` shows of one agent (from its latest status document). */
export interface AgentView {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly host: string;
  readonly array: string;
  readonly state: string;
  readonly lastSeen: string;
  readonly intervalMs: number;
  readonly lagBytes: number;
  readonly lagSeconds: number;
  readonly files: number;
  readonly lastEventTime: string | undefined;
  readonly spoolBytes: number;
  readonly deadLetters: number;
  readonly alertsRaised: number;
  readonly outputHealth: string;
  /** Silent for more than three status intervals. */
  readonly stale: boolean;
  readonly silentMs: number;
}

/** Agents silent for more than this many of their status intervals are stale. */
export const STALE_INTERVALS = 3;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const s = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function agentView(doc: unknown, now: number): AgentView | undefined {
  const d = obj(doc);
  const agent = obj(d['agent']);
  const cg = obj(d['casguard']);
  const st = obj(cg['agent']);
  const id = s(agent['id']);
  const ts = s(d['@timestamp']);
  if (id === '' || Number.isNaN(Date.parse(ts))) return undefined;
  const intervalMs = n(st['status_interval_ms']) || 60_000;
  const silentMs = Math.max(0, now - Date.parse(ts));
  const lag = obj(st['lag']);
  return {
    id,
    name: s(agent['name'], id),
    version: s(agent['version']),
    host: s(obj(d['host'])['name']),
    array: s(cg['array']),
    state: s(st['state'], 'unknown'),
    lastSeen: ts,
    intervalMs,
    lagBytes: n(lag['bytes']),
    lagSeconds: n(lag['seconds']),
    files: Array.isArray(st['files']) ? st['files'].length : 0,
    lastEventTime: typeof st['last_event_time'] === 'string' ? st['last_event_time'] : undefined,
    spoolBytes: n(obj(st['spool'])['bytes']),
    deadLetters: n(obj(st['dead_letter'])['count']),
    alertsRaised: n(st['alerts_raised']),
    outputHealth: s(obj(st['output'])['health'], 'unknown'),
    stale: silentMs > STALE_INTERVALS * intervalMs,
    silentMs,
  };
}

/** The latest status of every agent of `array` in the status index, sorted by name. */
export async function readFleet(
  store: DocStore,
  index: string,
  array: string,
  now: number,
): Promise<AgentView[]> {
  const hits = await store.search(index, {
    query: { bool: { filter: [{ term: { 'casguard.array': array } }] } },
    sort: [{ '@timestamp': { order: 'desc' } }],
    size: 10_000,
  });
  const latest = new Map<string, AgentView>();
  for (const h of hits) {
    const v = agentView(h, now);
    if (!v || v.array !== array) continue;
    const seen = latest.get(v.id);
    if (!seen || Date.parse(v.lastSeen) > Date.parse(seen.lastSeen)) latest.set(v.id, v);
  }
  return [...latest.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** The local agent's own latest status (<dataDir>/status.json), if it ever wrote one. */
export async function readLocalStatus(file: string, now: number): Promise<AgentView | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return agentView(JSON.parse(text), now);
  } catch {
    return undefined;
  }
}
