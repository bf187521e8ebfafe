// Enrichers for EAS and Exchange documents, driven by the generated tables (tables.generated.ts). Each reads
// fields any format may set and adds knowledge; a value the tables do not know stays absent (never guessed).
//   user_agent.original `Apple-iPad2C2/1101.465`  → user_agent.os.{name,version,full} (iOS 7.0, 11A465)
//   device.model.identifier `iPad2C2`              → device.model.name
//   microsoft.exchange.server.build                → .release, .kb2851708.{status,fix}
//   microsoft.exchange.activesync.status (+command) → .status_name

import type { EcsDocument, JsonValue } from '../pipeline/document.types.js';
import {
  APPLE_MODELS,
  EAS_STATUS_CODES,
  EXCHANGE_BUILDS,
  IOS_UA_BUILDS,
  type ExchangeBuildRow,
} from './tables.generated.js';

type Obj = { [key: string]: JsonValue };

function obj(v: JsonValue | undefined): Obj | undefined {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}
function child(parent: Obj | EcsDocument, key: string): Obj {
  const v = obj(parent[key]);
  if (v) return v;
  const o: Obj = {};
  parent[key] = o;
  return o;
}
function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Apple's build (`11A465`) from the EAS form (`1101.465`; `1102.55400001` → `11B554a`). */
export function appleBuild(eas: string): string | undefined {
  const m = /^(\d{1,2})(\d{2})\.(\d+)$/.exec(eas);
  if (!m) return undefined;
  const train = Number(m[2]);
  if (train < 1 || train > 26) return undefined;
  let num = m[3]!;
  let suffix = '';
  if (num.length > 5) {
    const tail = Number(num.slice(-5));
    if (tail < 1 || tail > 26) return undefined;
    suffix = String.fromCharCode(96 + tail);
    num = num.slice(0, -5);
  }
  return `${m[1]}${String.fromCharCode(64 + train)}${num}${suffix}`;
}

const APPLE_UA_RE = /^Apple-(?:iPhone|iPad|iPod)\w*\/(\d{3,4}\.\d+)(?:\s|$)/;

/** iOS version from the Apple EAS user agent's build (table lookup; conflicting rows stay unknown). */
export function enrichIosFromUserAgent(doc: EcsDocument): void {
  const ua = obj(doc['user_agent']);
  const original = ua ? str(ua['original']) : undefined;
  if (original === undefined || !original.startsWith('Apple-')) return;
  let ios = iosCache.get(original);
  if (ios === undefined) {
    ios = iosOf(original);
    if (iosCache.size >= CACHE_MAX) iosCache.clear();
    iosCache.set(original, ios);
  }
  if (ios === null) return;
  const os = child(ua!, 'os');
  os['name'] = 'iOS';
  os['version'] = ios.version;
  os['full'] = ios.full;
}

// Agents and builds repeat on every line of a device or server: the table answers are remembered per string
// (bounded; only strings are cached, every document still gets its own objects).
const CACHE_MAX = 2048;
const iosCache = new Map<string, { version: string; full: string } | null>();

function iosOf(original: string): { version: string; full: string } | null {
  const m = APPLE_UA_RE.exec(original);
  if (!m) return null;
  const row = IOS_UA_BUILDS[m[1]!];
  if (row === undefined || row.alt !== undefined) return null;
  const build = appleBuild(m[1]!);
  return {
    version: row.version,
    full: build !== undefined ? `iOS ${row.version} (${build})` : `iOS ${row.version}`,
  };
}

/** Marketing name for an Apple model token (`iPad2C2`), as the table gives it. */
export function enrichDeviceModel(doc: EcsDocument): void {
  const model = obj(obj(doc['device'])?.['model']);
  const id = model ? str(model['identifier']) : undefined;
  if (id === undefined) return;
  const row = APPLE_MODELS[id];
  if (row !== undefined) model!['name'] = row.name;
}

type Build = readonly [number, number, number, number];

export function parseBuild(s: string): Build | undefined {
  const p = s.split('.');
  if (p.length < 3 || p.length > 4) return undefined;
  const n = p.map((x) => (/^\d{1,6}$/.test(x) ? Number(x) : NaN));
  if (n.some((x) => Number.isNaN(x))) return undefined;
  return [n[0]!, n[1]!, n[2]!, n[3] ?? 0];
}

function cmp(a: Build, b: Build): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

const ROWS: readonly (ExchangeBuildRow & { parsed: Build })[] = EXCHANGE_BUILDS.flatMap((r) => {
  const parsed = parseBuild(r.build);
  return parsed ? [{ ...r, parsed }] : [];
});

/**
 * The release of a build: an exact match, else a row with the same major.minor.build (file and security-update
 * builds differ from the product build in the revision only: the greatest row revision ≤ the given one, else the
 * lowest). Nothing when the build number itself is not in the table.
 */
export function releaseOf(build: Build): string | undefined {
  let below: (typeof ROWS)[number] | undefined;
  let above: (typeof ROWS)[number] | undefined;
  for (const r of ROWS) {
    const p = r.parsed;
    if (p[0] !== build[0] || p[1] !== build[1] || p[2] !== build[2]) continue;
    if (p[3] <= build[3]) {
      if (!below || p[3] > below.parsed[3]) below = r;
    } else if (!above || p[3] < above.parsed[3]) above = r;
  }
  return (below ?? above)?.release;
}

const FIX_2013: Build = [15, 0, 712, 24];
const FIX_2010: Build = [14, 3, 158, 1];
export const KB2851708_FIX_2013 = 'Exchange Server 2013 CU2 (15.0.712.24)';
export const KB2851708_FIX_2010 = 'Exchange Server 2010 SP3 Update Rollup 2 (14.3.158.1)';

/**
 * KB 2851708 status of a build: Exchange 2013 (15.0) is fixed from CU2 15.0.712.24, Exchange 2010 (14.x) from
 * SP3 RU2 14.3.158.1 (older 2010 service packs count as affected); later product lines (15.1+) are newer than
 * both fixes. Other majors are unknown.
 */
export function kb2851708Of(build: Build): { status: 'affected' | 'fixed' | 'unknown'; fix?: string } {
  if (build[0] === 14)
    return { status: cmp(build, FIX_2010) >= 0 ? 'fixed' : 'affected', fix: KB2851708_FIX_2010 };
  if (build[0] === 15 && build[1] === 0)
    return { status: cmp(build, FIX_2013) >= 0 ? 'fixed' : 'affected', fix: KB2851708_FIX_2013 };
  if (build[0] === 15) return { status: 'fixed' };
  return { status: 'unknown' };
}

export function enrichExchangeBuild(doc: EcsDocument): void {
  const server = obj(obj(obj(doc['microsoft'])?.['exchange'])?.['server']);
  const raw = server ? str(server['build']) : undefined;
  if (raw === undefined) return;
  let facts = buildCache.get(raw);
  if (facts === undefined) {
    facts = buildFactsOf(raw);
    if (buildCache.size >= CACHE_MAX) buildCache.clear();
    buildCache.set(raw, facts);
  }
  if (facts.release !== undefined) server!['release'] = facts.release;
  server!['kb2851708'] =
    facts.fix !== undefined ? { status: facts.status, fix: facts.fix } : { status: facts.status };
}

interface BuildFacts {
  readonly release?: string;
  readonly status: 'affected' | 'fixed' | 'unknown';
  readonly fix?: string;
}
const buildCache = new Map<string, BuildFacts>();

function buildFactsOf(raw: string): BuildFacts {
  const build = parseBuild(raw);
  if (!build) return { status: 'unknown' };
  const release = releaseOf(build);
  const kb = kb2851708Of(build);
  return {
    ...(release !== undefined ? { release } : {}),
    status: kb.status,
    ...(kb.fix !== undefined ? { fix: kb.fix } : {}),
  };
}

const COMMON_STATUS = new Map<number, string>();
const PROVISION_STATUS = new Map<number, string>();
for (const r of EAS_STATUS_CODES) {
  if (r.scope === 'common') COMMON_STATUS.set(r.code, r.name);
  else if (r.scope === 'provision') PROVISION_STATUS.set(r.code, r.name);
}

/**
 * Name of the EAS status: the common codes (≥ 101) mean the same for every command; codes below 100 are
 * command-specific, and only the Provision table is known here, so other commands' small codes stay unnamed.
 */
export function enrichEasStatusName(doc: EcsDocument): void {
  const as = obj(obj(obj(doc['microsoft'])?.['exchange'])?.['activesync']);
  const status = as?.['status'];
  if (typeof status !== 'number') return;
  const name =
    status > 100
      ? COMMON_STATUS.get(status)
      : as!['command'] === 'Provision'
        ? PROVISION_STATUS.get(status)
        : undefined;
  if (name !== undefined) as!['status_name'] = name;
}
