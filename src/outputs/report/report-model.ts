// What the incident report shows, built from casguard's own documents (the local file output, or the same
// documents read back from Elasticsearch): the views of the Kibana dashboard for one time range. Pure: documents
// in, a ReportData out; the readers and the HTML renderer live beside it.
//
// A storm row is a device with Provision failures that carry the KB 2851708 signature: EAS status 110 with
// ArgumentOutOfRangeException / HashCore logged, or status 110 from an iOS 7 device where no exception is logged
// (what the KB describes; benign 110s, e.g. an Android device's transient AD error, are not storms). The same
// request can appear in the IIS log, the HttpProxy log and a mailbox-log export, so each device is counted in
// the one log that saw most of its failures (IIS when there is one), never summed across logs.

import type { EcsDocument, JsonValue } from '../../pipeline/document.types.js';

export type ReportStream = 'activesync' | 'application' | 'alerts';

export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

export interface StormRow {
  readonly device: string;
  readonly users: string[];
  readonly models: string[];
  readonly iosBuilds: string[];
  readonly userAgents: string[];
  readonly hosts: string[];
  /** Failures in the log counted (see the header). */
  readonly failures: number;
  /** Which log they were counted in. */
  readonly countedIn: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Failures per timeline bucket. */
  readonly series: number[];
  /** Names of the rules that raised an alert naming this device. */
  readonly alertedBy: string[];
  /** The update that fixes KB 2851708 on the hosts the device failed on, when known. */
  readonly fix?: string;
}

export interface AlertRow {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleName: string;
  readonly severity: number;
  readonly key: string;
  readonly count: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly hosts: string[];
  readonly devices: string[];
  readonly users: string[];
  readonly message: string;
  readonly description: string;
  readonly reference?: string;
  readonly fix?: string;
  readonly belowFix?: boolean;
}

export interface HostRow {
  readonly host: string;
  readonly builds: string[];
  readonly release?: string;
  /** `affected` (below the fix), `fixed`, ... as the enrichment table says. */
  readonly kbStatus?: string;
  readonly fix?: string;
  readonly requests: number;
  readonly provisionFailures: number;
  readonly events4999: number;
}

export interface IosBuildRow {
  readonly build: string;
  readonly version: string;
  readonly devices: number;
  readonly stormDevices: number;
}

export interface CommandStatusCell {
  readonly command: string;
  readonly status: string;
  readonly count: number;
}

export interface HostSeries {
  readonly host: string;
  readonly total: number;
  readonly series: number[];
}

export interface ReportData {
  readonly source: string;
  readonly generatedAt: string;
  /** Event time range of the documents shown (undefined when there are none). */
  readonly range: TimeRange | undefined;
  readonly bucketMs: number;
  /** Start of each timeline bucket. */
  readonly buckets: number[];
  readonly documents: { readonly activesync: number; readonly application: number; readonly alerts: number };
  readonly storms: StormRow[];
  /** Storm devices beyond the ones listed. */
  readonly stormsNotShown: number;
  readonly alerts: AlertRow[];
  readonly hosts: HostRow[];
  readonly iosBuilds: IosBuildRow[];
  readonly commandStatus: CommandStatusCell[];
  readonly events4999: HostSeries[];
  /** Problems met while reading (bad lines), for the report's footer. */
  readonly warnings: string[];
}

const STORM_ROWS = 100;
const NICE_BUCKETS = [
  60e3,
  5 * 60e3,
  10 * 60e3,
  15 * 60e3,
  30 * 60e3,
  3600e3,
  3 * 3600e3,
  6 * 3600e3,
  12 * 3600e3,
  86400e3,
];

/** A bucket width that gives at most ~60 buckets over the range. */
export function bucketWidth(range: TimeRange | undefined): number {
  if (range === undefined) return 3600e3;
  const span = Math.max(1, range.to - range.from);
  for (const w of NICE_BUCKETS) if (span / w <= 60) return w;
  let w = NICE_BUCKETS.at(-1)!;
  while (span / w > 60) w *= 2;
  return w;
}

function get(doc: EcsDocument, path: string): JsonValue | undefined {
  let cur: unknown = doc;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur as JsonValue | undefined;
}

function str(doc: EcsDocument, path: string): string | undefined {
  const v = get(doc, path);
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

function strs(doc: EcsDocument, path: string): string[] {
  const v = get(doc, path);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

/** iOS version and build of the requesting device, from the user agent or the mailbox log's device OS. */
export function iosOf(doc: EcsDocument): { version: string; build?: string } | undefined {
  const osName = str(doc, 'user_agent.os.name');
  const full = str(doc, 'user_agent.os.full');
  const version = str(doc, 'user_agent.os.version');
  const deviceOs = str(doc, 'microsoft.exchange.activesync.device_os');
  const osBuild = str(doc, 'microsoft.exchange.activesync.device_os_build');
  if (osName === 'iOS' && version !== undefined) {
    const build = osBuild ?? /\(([0-9]+[A-Z][0-9]+[a-z]?)\)/.exec(full ?? '')?.[1];
    return { version, ...(build !== undefined ? { build } : {}) };
  }
  const m = /^iOS ([0-9.]+)(?: ([0-9]+[A-Z][0-9]+[a-z]?))?/.exec(deviceOs ?? '');
  if (m) {
    const build = osBuild ?? m[2];
    return { version: m[1]!, ...(build !== undefined ? { build } : {}) };
  }
  return undefined;
}

/** A failed Provision with the KB 2851708 signature (see the header). */
export function isKbProvisionFailure(doc: EcsDocument): boolean {
  const command = str(doc, 'microsoft.exchange.activesync.command') ?? str(doc, 'event.action');
  if (command?.toLowerCase() !== 'provision') return false;
  if (get(doc, 'microsoft.exchange.activesync.status') !== 110) return false;
  const logged = [
    str(doc, 'error.type'),
    str(doc, 'microsoft.exchange.activesync.error'),
    str(doc, 'error.stack_trace'),
  ]
    .filter((x) => x !== undefined)
    .join(' ');
  if (/ArgumentOutOfRangeException|HashCore/i.test(logged)) return true;
  return logged === '' && iosOf(doc)?.version.startsWith('7.') === true;
}

interface DeviceAcc {
  users: Set<string>;
  models: Set<string>;
  builds: Set<string>;
  agents: Set<string>;
  hosts: Set<string>;
  /** Failure times per log source. */
  bySource: Map<string, number[]>;
}

interface HostAcc {
  builds: Set<string>;
  release?: string;
  kbStatus?: string;
  fix?: string;
  requests: number;
  /** KB Provision failures per log source (reported: the largest, as for devices). */
  failuresBySource: Map<string, number>;
  events4999: number[];
}

const add = (set: Set<string>, v: string | undefined): void => {
  if (v !== undefined && set.size < 20) set.add(v);
};

/** Feeds on documents one at a time (memory grows with devices, hosts and storm failures, not with requests). */
export class ReportBuilder {
  private readonly devices = new Map<string, DeviceAcc>();
  private readonly hostAcc = new Map<string, HostAcc>();
  private readonly builds = new Map<string, { version: string; devices: Set<string> }>();
  private readonly cells = new Map<string, number>();
  private readonly alertDocs = new Map<string, EcsDocument>();
  private readonly counts = { activesync: 0, application: 0, alerts: 0 };
  private min = Infinity;
  private max = -Infinity;
  readonly warnings: string[] = [];

  constructor(private readonly window?: Partial<TimeRange>) {}

  private host(name: string): HostAcc {
    let h = this.hostAcc.get(name);
    if (!h)
      this.hostAcc.set(
        name,
        (h = { builds: new Set(), requests: 0, failuresBySource: new Map(), events4999: [] }),
      );
    return h;
  }

  private serverFacts(doc: EcsDocument, hostName: string | undefined): void {
    const build = str(doc, 'microsoft.exchange.server.build');
    if (hostName === undefined || build === undefined) return;
    const h = this.host(hostName);
    add(h.builds, build);
    h.release = str(doc, 'microsoft.exchange.server.release') ?? h.release;
    h.kbStatus = str(doc, 'microsoft.exchange.server.kb2851708.status') ?? h.kbStatus;
    h.fix = str(doc, 'microsoft.exchange.server.kb2851708.fix') ?? h.fix;
  }

  /** One document of a stream; `id` matters for alerts (a later version of an alert replaces the earlier). */
  add(stream: ReportStream, id: string, doc: EcsDocument): void {
    if (stream === 'alerts') {
      // Every update of an alert is a line; the last one with the highest count is the alert.
      this.alertDocs.set(id, doc);
      return;
    }
    const t = Date.parse(doc['@timestamp']);
    if (Number.isNaN(t)) return;
    if (this.window?.from !== undefined && t < this.window.from) return;
    if (this.window?.to !== undefined && t >= this.window.to) return;
    this.counts[stream]++;
    if (t < this.min) this.min = t;
    if (t > this.max) this.max = t;
    const hostName = str(doc, 'host.name')?.toLowerCase();
    this.serverFacts(doc, hostName);
    if (stream === 'application') {
      if (str(doc, 'event.code') === '4999' && hostName !== undefined) this.host(hostName).events4999.push(t);
      return;
    }
    if (hostName !== undefined) this.host(hostName).requests++;
    const command = str(doc, 'microsoft.exchange.activesync.command');
    if (command !== undefined) {
      const status = str(doc, 'microsoft.exchange.activesync.status') ?? '-';
      const k = `${command}\0${status}`;
      this.cells.set(k, (this.cells.get(k) ?? 0) + 1);
    }
    const device = str(doc, 'device.id');
    const ios = iosOf(doc);
    if (device !== undefined && ios !== undefined) {
      const key = ios.build ?? `iOS ${ios.version}`;
      let b = this.builds.get(key);
      if (!b) this.builds.set(key, (b = { version: ios.version, devices: new Set() }));
      b.devices.add(device);
    }
    if (device === undefined || !isKbProvisionFailure(doc)) return;
    let d = this.devices.get(device);
    if (!d) {
      d = {
        users: new Set(),
        models: new Set(),
        builds: new Set(),
        agents: new Set(),
        hosts: new Set(),
        bySource: new Map(),
      };
      this.devices.set(device, d);
    }
    add(d.users, str(doc, 'user.name'));
    add(d.models, str(doc, 'device.model.name') ?? str(doc, 'device.model.identifier'));
    add(d.builds, ios?.build);
    add(d.agents, str(doc, 'user_agent.original'));
    add(d.hosts, hostName);
    const source = str(doc, 'microsoft.exchange.activesync.log_source') ?? 'unknown';
    let times = d.bySource.get(source);
    if (!times) d.bySource.set(source, (times = []));
    times.push(t);
    if (hostName !== undefined) {
      const h = this.host(hostName);
      h.failuresBySource.set(source, (h.failuresBySource.get(source) ?? 0) + 1);
    }
  }

  build(meta: { source: string; generatedAt: string }): ReportData {
    const range = this.min <= this.max ? { from: this.min, to: this.max } : undefined;
    const bucketMs = bucketWidth(range);
    const start = range ? Math.floor(range.from / bucketMs) * bucketMs : 0;
    const buckets: number[] = [];
    if (range) for (let b = start; b <= range.to; b += bucketMs) buckets.push(b);
    const series = (times: readonly number[]): number[] => {
      const s = new Array<number>(buckets.length).fill(0);
      for (const t of times) {
        const i = Math.floor((t - start) / bucketMs);
        if (i >= 0 && i < s.length) s[i]!++;
      }
      return s;
    };
    const alerts = this.alertRows();
    const stormAll = [...this.devices.entries()].map(([device, d]): StormRow => {
      // The log that saw most of this device's failures (ties: IIS, then by name).
      const [countedIn, times] = [...d.bySource.entries()].sort(
        (a, b) =>
          b[1].length - a[1].length ||
          Number(b[0] === 'iis') - Number(a[0] === 'iis') ||
          a[0].localeCompare(b[0]),
      )[0]!;
      const hosts = [...d.hosts].sort();
      const fix = hosts.map((h) => this.hostAcc.get(h)?.fix).find((f) => f !== undefined);
      return {
        device,
        users: [...d.users].sort(),
        models: [...d.models].sort(),
        iosBuilds: [...d.builds].sort(),
        userAgents: [...d.agents].sort(),
        hosts,
        failures: times.length,
        countedIn,
        firstSeen: Math.min(...times),
        lastSeen: Math.max(...times),
        series: series(times),
        alertedBy: [
          ...new Set(alerts.filter((a) => a.devices.includes(device)).map((a) => a.ruleName)),
        ].sort(),
        ...(fix !== undefined ? { fix } : {}),
      };
    });
    stormAll.sort((a, b) => b.failures - a.failures || a.device.localeCompare(b.device));
    const stormDevices = new Set(stormAll.map((s) => s.device));
    const hosts = [...this.hostAcc.entries()]
      .map(([host, h]): HostRow => ({
        host,
        builds: [...h.builds].sort(),
        ...(h.release !== undefined ? { release: h.release } : {}),
        ...(h.kbStatus !== undefined ? { kbStatus: h.kbStatus } : {}),
        ...(h.fix !== undefined ? { fix: h.fix } : {}),
        requests: h.requests,
        provisionFailures: Math.max(0, ...h.failuresBySource.values()),
        events4999: h.events4999.length,
      }))
      .sort((a, b) => a.host.localeCompare(b.host));
    const iosBuilds = [...this.builds.entries()]
      .map(([build, b]) => ({
        build,
        version: b.version,
        devices: b.devices.size,
        stormDevices: [...b.devices].filter((d) => stormDevices.has(d)).length,
      }))
      .sort((a, b) => b.devices - a.devices || a.build.localeCompare(b.build))
      .slice(0, 20);
    const commandStatus = [...this.cells.entries()]
      .map(([k, count]) => {
        const [command, status] = k.split('\0') as [string, string];
        return { command, status, count };
      })
      .sort(
        (a, b) => b.count - a.count || a.command.localeCompare(b.command) || a.status.localeCompare(b.status),
      );
    const events4999 = [...this.hostAcc.entries()]
      .filter(([, h]) => h.events4999.length > 0)
      .map(([host, h]) => ({ host, total: h.events4999.length, series: series(h.events4999) }))
      .sort((a, b) => b.total - a.total || a.host.localeCompare(b.host));
    return {
      source: meta.source,
      generatedAt: meta.generatedAt,
      range,
      bucketMs,
      buckets,
      documents: { ...this.counts, alerts: alerts.length },
      storms: stormAll.slice(0, STORM_ROWS),
      stormsNotShown: Math.max(0, stormAll.length - STORM_ROWS),
      alerts,
      hosts,
      iosBuilds,
      commandStatus,
      events4999,
      warnings: [...this.warnings],
    };
  }

  private alertRows(): AlertRow[] {
    const rows: AlertRow[] = [];
    for (const [id, doc] of this.alertDocs) {
      const first = str(doc, 'casguard.alert.first_seen') ?? doc['@timestamp'];
      const last = str(doc, 'casguard.alert.last_seen') ?? first;
      if (this.window?.to !== undefined && Date.parse(first) >= this.window.to) continue;
      if (this.window?.from !== undefined && Date.parse(last) < this.window.from) continue;
      const reference = str(doc, 'rule.reference');
      const fix = str(doc, 'casguard.alert.fix') ?? str(doc, 'microsoft.exchange.server.kb2851708.fix');
      const belowFix = get(doc, 'casguard.alert.below_fix');
      rows.push({
        id,
        ruleId: str(doc, 'rule.id') ?? '',
        ruleName: str(doc, 'rule.name') ?? str(doc, 'rule.id') ?? 'rule',
        severity: Number(get(doc, 'event.severity') ?? 0),
        key: str(doc, 'casguard.alert.key') ?? '',
        count: Number(get(doc, 'casguard.alert.count') ?? 0),
        firstSeen: first,
        lastSeen: last,
        hosts: strs(doc, 'casguard.alert.hosts'),
        devices: strs(doc, 'casguard.alert.devices'),
        users: strs(doc, 'casguard.alert.users'),
        message: str(doc, 'message') ?? '',
        description: str(doc, 'rule.description') ?? '',
        ...(reference !== undefined ? { reference } : {}),
        ...(fix !== undefined ? { fix } : {}),
        ...(typeof belowFix === 'boolean' ? { belowFix } : {}),
      });
    }
    return rows.sort((a, b) => b.severity - a.severity || b.count - a.count || a.key.localeCompare(b.key));
  }
}
