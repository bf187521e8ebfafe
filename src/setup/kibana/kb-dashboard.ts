// The SOC dashboard "Exchange ActiveSync: KB 2851708 and device health": its Lens panels (each a `lens` saved
// object of its own, placed by reference) and the `dashboard` object that lays them out. Provision failures are
// counted as the storm rule counts them (config/rules/kb2851708-provision-storm.yml: failed Provision on IIS
// lines, since the mailbox log and HttpProxy copy of the same request would count it twice), so a panel and the
// alert it explains show the same number.

import type { Asset } from '../cluster-assets.js';
import { dataViewRefs } from './data-views.js';
import { and, exists, is, or } from './kql.js';
import { lensObject, stableUuid, type LensSpec } from './lens.js';
import { savedObject, type SavedObject } from './saved-object.types.js';

export const DASHBOARD_ID = 'casguard-kb2851708-device-health';
export const DASHBOARD_TITLE = 'Exchange ActiveSync: KB 2851708 and device health';

const PROVISION_FAILURES = and(
  or(is('microsoft.exchange.activesync.command', 'Provision'), is('event.action', 'Provision')),
  is('event.outcome', 'failure'),
  is('microsoft.exchange.activesync.log_source', 'iis'),
);

interface Placed {
  readonly spec: LensSpec;
  /** Grid position (Kibana's dashboard grid is 48 columns wide). */
  readonly grid: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
}

export function kbDashboardPanels(assets: readonly Asset[]): Placed[] {
  const dv = dataViewRefs(assets);
  const lens = (slug: string, rest: Omit<LensSpec, 'id'>): LensSpec => ({
    id: `casguard-lens-${slug}`,
    ...rest,
  });
  return [
    {
      grid: { x: 0, y: 0, w: 32, h: 14 },
      spec: lens('provision-failures-by-device', {
        title: 'Provision failures over time, top 10 devices',
        description:
          'Failed ActiveSync Provision requests (IIS lines), split by device.id: a KB 2851708 storm.',
        dataView: dv.activesync,
        query: PROVISION_FAILURES,
        chart: {
          kind: 'xy',
          series: 'bar_stacked',
          split: { op: 'terms', field: 'device.id', size: 10, label: 'Device' },
          x: { op: 'date_histogram', field: '@timestamp' },
          y: [{ op: 'count', label: 'Provision failures' }],
        },
      }),
    },
    {
      grid: { x: 32, y: 0, w: 16, h: 14 },
      spec: lens('provision-failures-by-ios-build', {
        title: 'Provision failures by iOS version and build',
        description: 'iOS 7.0 (11A465, 11A466...) is the version that triggers KB 2851708.',
        dataView: dv.activesync,
        query: PROVISION_FAILURES,
        chart: {
          kind: 'xy',
          series: 'bar_horizontal',
          x: { op: 'terms', field: 'user_agent.os.full', size: 10, label: 'iOS version (build)' },
          y: [{ op: 'count', label: 'Provision failures' }],
        },
      }),
    },
    {
      grid: { x: 0, y: 14, w: 16, h: 12 },
      spec: lens('provision-failures-top-devices', {
        title: 'Top devices by Provision failures',
        description: 'Devices whose Provision requests failed most.',
        dataView: dv.activesync,
        query: PROVISION_FAILURES,
        chart: {
          kind: 'xy',
          series: 'bar_horizontal',
          x: { op: 'terms', field: 'device.id', size: 10, label: 'Device' },
          y: [{ op: 'count', label: 'Provision failures' }],
        },
      }),
    },
    {
      grid: { x: 16, y: 14, w: 16, h: 12 },
      spec: lens('provision-failures-top-users', {
        title: 'Top users by Provision failures',
        description: 'Mailbox users whose devices failed Provision most.',
        dataView: dv.activesync,
        query: PROVISION_FAILURES,
        chart: {
          kind: 'xy',
          series: 'bar_horizontal',
          x: { op: 'terms', field: 'user.name', size: 10, label: 'User' },
          y: [{ op: 'count', label: 'Provision failures' }],
        },
      }),
    },
    {
      grid: { x: 32, y: 14, w: 16, h: 12 },
      spec: lens('event-4999-per-host', {
        title: 'Event 4999 (MSExchange Common) per host over time',
        description:
          'Watson crash reports; with AirSync and HashCore they are the server side of KB 2851708.',
        dataView: dv.application,
        query: and(is('event.code', '4999'), is('event.provider', 'MSExchange Common')),
        chart: {
          kind: 'xy',
          series: 'bar_stacked',
          split: { op: 'terms', field: 'host.name', size: 10, label: 'Host' },
          x: { op: 'date_histogram', field: '@timestamp' },
          y: [{ op: 'count', label: 'Events 4999' }],
        },
      }),
    },
    {
      grid: { x: 0, y: 26, w: 48, h: 14 },
      spec: lens('alerts', {
        title: 'casguard alerts',
        description: 'One row per alert (rule and key): the running count, first and last seen, and the fix.',
        dataView: dv.alerts,
        query: is('event.kind', 'alert'),
        chart: {
          kind: 'table',
          rows: [
            { op: 'terms', field: 'rule.name', size: 20, label: 'Rule' },
            { op: 'terms', field: 'casguard.alert.key', size: 100, label: 'Key' },
          ],
          metrics: [
            { op: 'max', field: 'casguard.alert.count', label: 'Count' },
            { op: 'last_value', field: 'casguard.alert.devices', label: 'Devices' },
            { op: 'last_value', field: 'casguard.alert.users', label: 'Users' },
            { op: 'last_value', field: 'casguard.alert.first_seen', label: 'First seen' },
            { op: 'last_value', field: 'casguard.alert.last_seen', label: 'Last seen' },
            { op: 'last_value', field: 'casguard.alert.hosts', label: 'Hosts' },
            { op: 'last_value', field: 'casguard.alert.fix', label: 'Fix to install' },
          ],
        },
      }),
    },
    {
      grid: { x: 0, y: 40, w: 24, h: 12 },
      spec: lens('exchange-hosts-builds', {
        title: 'Exchange hosts, builds and the KB 2851708 fix',
        description: 'Build per host as the logs name it; status "affected" means below the fix.',
        dataView: dv.activesync,
        query: exists('microsoft.exchange.server.build'),
        chart: {
          kind: 'table',
          rows: [
            { op: 'terms', field: 'host.name', size: 50, label: 'Host' },
            { op: 'terms', field: 'microsoft.exchange.server.build', size: 5, label: 'Build' },
          ],
          metrics: [
            { op: 'last_value', field: 'microsoft.exchange.server.release', label: 'Release' },
            { op: 'last_value', field: 'microsoft.exchange.server.kb2851708.status', label: 'KB 2851708' },
            { op: 'last_value', field: 'microsoft.exchange.server.kb2851708.fix', label: 'Fix to install' },
            { op: 'count', label: 'Requests' },
          ],
        },
      }),
    },
    {
      grid: { x: 24, y: 40, w: 24, h: 12 },
      spec: lens('requests-by-command-status', {
        title: 'ActiveSync requests by command and status',
        description: 'EAS command against EAS status (110 = server error).',
        dataView: dv.activesync,
        query: exists('microsoft.exchange.activesync.command'),
        chart: {
          kind: 'heatmap',
          x: { op: 'terms', field: 'microsoft.exchange.activesync.command', size: 15, label: 'Command' },
          y: { op: 'terms', field: 'microsoft.exchange.activesync.status', size: 10, label: 'EAS status' },
          value: { op: 'count', label: 'Requests' },
        },
      }),
    },
    {
      grid: { x: 0, y: 52, w: 32, h: 12 },
      spec: lens('agents-coverage', {
        title: "casguard agents' coverage and lag",
        description:
          'Latest status of every agent: a host missing here, or with an old status, is not covered.',
        dataView: dv.agents,
        chart: {
          kind: 'table',
          rows: [
            { op: 'terms', field: 'host.name', size: 100, label: 'Host' },
            { op: 'terms', field: 'casguard.array', size: 20, label: 'Array' },
          ],
          metrics: [
            { op: 'last_value', field: '@timestamp', label: 'Last status' },
            { op: 'last_value', field: 'casguard.agent.state', label: 'State' },
            { op: 'last_value', field: 'agent.version', label: 'Version' },
            { op: 'last_value', field: 'casguard.agent.lag.seconds', label: 'Lag (s)' },
            { op: 'last_value', field: 'casguard.agent.lag.bytes', label: 'Lag (bytes)' },
            { op: 'last_value', field: 'casguard.agent.last_event_time', label: 'Last event' },
            { op: 'last_value', field: 'casguard.agent.spool.bytes', label: 'Spool (bytes)' },
            { op: 'last_value', field: 'casguard.agent.dead_letter.count', label: 'Dead letters' },
            { op: 'last_value', field: 'casguard.agent.alerts_raised', label: 'Alerts raised' },
            { op: 'last_value', field: 'casguard.agent.output.health', label: 'Output' },
          ],
        },
      }),
    },
    {
      grid: { x: 32, y: 52, w: 16, h: 12 },
      spec: lens('agents-lag', {
        title: 'casguard agents: lag over time',
        description: 'Largest lag of any file per agent, in seconds.',
        dataView: dv.agents,
        chart: {
          kind: 'xy',
          series: 'line',
          split: { op: 'terms', field: 'host.name', size: 10, label: 'Host' },
          x: { op: 'date_histogram', field: '@timestamp' },
          y: [{ op: 'max', field: 'casguard.agent.lag.seconds', label: 'Lag (s)' }],
        },
      }),
    },
  ];
}

/** The dashboard object: by-reference Lens panels, each resolved through `<panelIndex>:panel_<panelIndex>`. */
export function kbDashboardObject(panels: readonly Placed[]): SavedObject {
  const placed = panels.map((p) => ({ ...p, panelIndex: stableUuid(DASHBOARD_ID, p.spec.id) }));
  const panelsJSON = placed.map((p) => ({
    type: 'lens',
    panelIndex: p.panelIndex,
    gridData: { ...p.grid, i: p.panelIndex },
    embeddableConfig: {},
    panelRefName: `panel_${p.panelIndex}`,
  }));
  return savedObject(
    'dashboard',
    DASHBOARD_ID,
    {
      title: DASHBOARD_TITLE,
      description:
        'casguard: iOS 7 Provision storms (Microsoft KB 2851708), event 4999, alerts, Exchange builds and agent health.',
      timeRestore: false,
      panelsJSON: JSON.stringify(panelsJSON),
      optionsJSON: JSON.stringify({
        useMargins: true,
        syncColors: false,
        syncCursor: true,
        syncTooltips: false,
        hidePanelTitles: false,
      }),
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }),
      },
    },
    placed.map((p) => ({
      type: 'lens',
      id: p.spec.id,
      name: `${p.panelIndex}:panel_${p.panelIndex}`,
    })),
  );
}

export function kbLensObjects(panels: readonly Placed[]): SavedObject[] {
  return panels.map((p) => lensObject(p.spec));
}
