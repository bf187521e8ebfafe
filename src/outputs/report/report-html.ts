// The incident report as one self-contained HTML page: inline CSS and SVG, no script, and a Content-Security-
// Policy that forbids every fetch, so it opens the same on an air-gapped admin workstation, in a mail
// attachment or from a file share. The same views as the Kibana dashboard, for the report's time range: storms
// per device over time, the alerts with their explanation and the fix, Exchange hosts and builds, devices by iOS
// build, event 4999 per host, requests by EAS command and status. Every value from a log is escaped.

import type { ReportData, StormRow } from './report-model.js';
import { bucketLabel, esc, horizontalBars, PALETTE, sparkBars, stackedTimeBars } from './svg-charts.js';

const KB_URL = 'https://support.microsoft.com/kb/2851708';

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z').replace('T', ' ');
const isoText = (s: string): string => {
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : iso(t);
};
const list = (xs: readonly string[], max = 5): string =>
  xs.length === 0
    ? '<span class="muted">none</span>'
    : esc(xs.slice(0, max).join(', ') + (xs.length > max ? ` and ${xs.length - max} more` : ''));
const SEVERITY: Record<number, string> = {
  1: 'informational',
  2: 'low',
  3: 'medium',
  4: 'high',
  5: 'critical',
};

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1a1c21; margin: 0; background: #f5f7fa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
header h1 { font-size: 22px; margin: 0 0 4px; }
section { overflow-x: auto; background: #fff; border: 1px solid #d3dae6; border-radius: 6px; padding: 16px 20px; margin: 16px 0; }
h2 { font-size: 17px; margin: 0 0 10px; }
.muted { color: #69707d; }
.t { white-space: nowrap; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin-top: 12px; }
.card { background: #fff; border: 1px solid #d3dae6; border-radius: 6px; padding: 10px 16px; min-width: 150px; }
.card b { display: block; font-size: 24px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e9edf3; vertical-align: top; overflow-wrap: break-word; }
th { white-space: nowrap; }
.storms td:first-child b, .storms td:nth-child(2), .storms td:nth-child(4) { white-space: nowrap; }
.storms td:nth-child(3) { max-width: 170px; }
.storms td:last-child { min-width: 200px; }
.small { font-size: 12px; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: #535966; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: #bd271e; font-weight: 600; }
.ok { color: #017d73; font-weight: 600; }
.fix { background: #fff9e8; border-left: 4px solid #f5a700; padding: 8px 12px; margin: 6px 0; }
.chart .grid { stroke: #e3e8f2; stroke-width: 1; }
.chart .axis, .chart .label { font-size: 12px; fill: #535966; }
.chart .label { fill: #1a1c21; }
figure { margin: 8px 0; }
figcaption { font-size: 12px; color: #535966; }
.key { white-space: nowrap; margin-right: 10px; }
.key i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
.heat td.cell { text-align: right; }
footer { font-size: 12px; color: #69707d; margin: 24px 0; }
@media print { body { background: #fff; } section { break-inside: avoid; } }
`;

function summary(d: ReportData): string {
  const below = d.hosts.filter((h) => h.kbStatus === 'affected');
  const failures = d.storms.reduce((n, s) => n + s.failures, 0);
  const card = (value: string | number, label: string, cls = ''): string =>
    `<div class="card"><b class="${cls}">${esc(String(value))}</b>${esc(label)}</div>`;
  return `<div class="cards">${[
    card(
      d.storms.length + d.stormsNotShown,
      'devices in a Provision storm',
      d.storms.length > 0 ? 'bad' : 'ok',
    ),
    card(failures, 'KB 2851708 Provision failures'),
    card(d.alerts.length, 'alerts'),
    card(below.length, 'Exchange hosts below the fix', below.length > 0 ? 'bad' : 'ok'),
  ].join('')}</div>`;
}

function whatToDo(d: ReportData): string {
  const below = d.hosts.filter((h) => h.kbStatus === 'affected');
  if (below.length === 0 && d.storms.length === 0)
    return '<p class="ok">No KB 2851708 signature in this time range, and no host known to be below the fix.</p>';
  const hosts = below.map(
    (h) =>
      `<div class="fix"><b>${esc(h.host)}</b> runs Exchange ${esc(h.builds.join(', '))}${h.release ? ` (${esc(h.release)})` : ''}, below the fix for KB 2851708: install <b>${esc(h.fix ?? 'the update the KB names')}</b>.</div>`,
  );
  const unknown = d.storms.some((s) => s.fix === undefined)
    ? '<p class="muted">Some storm devices hit hosts whose Exchange build no log named; check their build against the KB.</p>'
    : '';
  return (
    `${hosts.join('')}${unknown}<p>Until the update is installed, the storming devices keep retrying: the KB's workaround is to ` +
    `update the devices past iOS 7.0 or to block them (ActiveSync device access rules) until the server is fixed. ` +
    `See <a href="${KB_URL}">Microsoft KB 2851708</a>.</p>`
  );
}

function storms(d: ReportData): string {
  if (d.storms.length === 0)
    return '<p class="muted">No device failed Provision with the KB 2851708 signature.</p>';
  const max = Math.max(...d.storms.map((s) => Math.max(...s.series)));
  const top = d.storms.slice(0, 10);
  const chart = stackedTimeBars(
    'storms-over-time',
    `Provision failures per ${bucketLabel(d.bucketMs)}, top ${top.length} devices`,
    d.buckets,
    d.bucketMs,
    top.map((s) => ({ label: s.device, values: s.series })),
    'failures',
  );
  const row = (s: StormRow, i: number): string =>
    `<tr class="storm-row" data-device="${esc(s.device)}" data-failures="${s.failures}">` +
    `<td><b>${esc(s.device)}</b><br><span class="muted">${list(s.models)}</span></td>` +
    `<td>${list(s.users)}</td>` +
    `<td>${list(s.iosBuilds)}<br><span class="muted">${list(s.userAgents, 2)}</span></td>` +
    `<td>${list(s.hosts)}</td>` +
    `<td class="num"><b>${s.failures}</b><br><span class="muted">${esc(s.countedIn)}</span></td>` +
    `<td class="t">${esc(iso(s.firstSeen))}<br>${esc(iso(s.lastSeen))}</td>` +
    `<td>${sparkBars(`storm-${i}`, `${s.device}: failures over time`, s.series, max, PALETTE[i % PALETTE.length]!)}</td>` +
    `<td class="small">${s.fix ? `<b>${esc(s.fix)}</b><br>` : ''}${s.alertedBy.length ? `<span class="muted">${s.alertedBy.length} alert${s.alertedBy.length === 1 ? '' : 's'}: ${esc(s.alertedBy.join('; '))}</span>` : '<span class="muted">no alert</span>'}</td></tr>`;
  return (
    chart +
    `<table class="storms"><thead><tr><th>Device</th><th>User</th><th>iOS build</th><th>Hosts</th><th class="num">Failures</th><th>First / last seen</th><th>Over time</th><th>Fix, alerts</th></tr></thead>` +
    `<tbody>${d.storms.map(row).join('')}</tbody></table>` +
    (d.stormsNotShown > 0 ? `<p class="muted">and ${d.stormsNotShown} more devices, not shown</p>` : '')
  );
}

function alerts(d: ReportData): string {
  if (d.alerts.length === 0) return '<p class="muted">No alert in this time range.</p>';
  const rows = d.alerts.map(
    (a) =>
      `<tr class="alert-row" data-rule="${esc(a.ruleId)}"><td><b>${esc(a.ruleName)}</b><br><span class="muted">${esc(SEVERITY[a.severity] ?? String(a.severity))} · ${esc(a.key)}</span></td>` +
      `<td class="num"><b>${a.count}</b></td><td class="t">${esc(isoText(a.firstSeen))}<br>${esc(isoText(a.lastSeen))}</td>` +
      `<td>${list(a.hosts)}</td><td>${list(a.devices)}<br><span class="muted">${list(a.users)}</span></td>` +
      `<td>${esc(a.message)}<br><span class="muted">${esc(a.description)}</span>` +
      `${a.fix ? `<div class="fix">Fix: <b>${esc(a.fix)}</b>${a.belowFix ? ' (the host is below it)' : ''}</div>` : ''}</td></tr>`,
  );
  return `<table class="alerts"><thead><tr><th>Rule</th><th class="num">Count</th><th>First / last seen</th><th>Hosts</th><th>Devices, users</th><th>What it means, what to install</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function hosts(d: ReportData): string {
  if (d.hosts.length === 0) return '<p class="muted">No Exchange host named in the logs.</p>';
  const rows = d.hosts.map(
    (h) =>
      `<tr class="host-row"><td><b>${esc(h.host)}</b></td><td>${h.builds.length ? esc(h.builds.join(', ')) : '<span class="muted">not in the logs</span>'}<br><span class="muted">${esc(h.release ?? '')}</span></td>` +
      `<td class="${h.kbStatus === 'affected' ? 'bad' : h.kbStatus ? 'ok' : 'muted'}">${esc(h.kbStatus === 'affected' ? 'below the fix' : (h.kbStatus ?? 'unknown'))}</td>` +
      `<td>${esc(h.fix ?? '')}</td><td class="num">${h.requests}</td><td class="num">${h.provisionFailures}</td><td class="num">${h.events4999}</td></tr>`,
  );
  return `<table class="hosts"><thead><tr><th>Host</th><th>Exchange build</th><th>KB 2851708</th><th>Fix to install</th><th class="num">EAS requests</th><th class="num">KB Provision failures</th><th class="num">Events 4999</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function iosBuilds(d: ReportData): string {
  if (d.iosBuilds.length === 0) return '<p class="muted">No iOS device in this time range.</p>';
  return horizontalBars(
    'devices-by-ios-build',
    'Devices by iOS build',
    d.iosBuilds.map((b) => ({
      label: `iOS ${b.version}${b.build !== `iOS ${b.version}` ? ` (${b.build})` : ''}`,
      value: b.devices,
      highlight: b.stormDevices,
    })),
    'devices',
    'in a Provision storm',
  );
}

function events4999(d: ReportData): string {
  if (d.events4999.length === 0) return '<p class="muted">No event 4999 in this time range.</p>';
  return stackedTimeBars(
    'events-4999-per-host',
    `Event 4999 per host and ${bucketLabel(d.bucketMs)}`,
    d.buckets,
    d.bucketMs,
    d.events4999.slice(0, 10).map((h) => ({ label: `${h.host} (${h.total})`, values: h.series })),
    'events',
  );
}

function commandStatus(d: ReportData): string {
  if (d.commandStatus.length === 0) return '<p class="muted">No ActiveSync request in this time range.</p>';
  const commands = [...new Set(d.commandStatus.map((c) => c.command))].slice(0, 15);
  const statuses = [...new Set(d.commandStatus.map((c) => c.status))]
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
    .slice(0, 12);
  const at = new Map(d.commandStatus.map((c) => [`${c.command}\0${c.status}`, c.count]));
  const max = Math.max(...d.commandStatus.map((c) => c.count));
  const head = statuses
    .map(
      (s) =>
        `<th class="num">${esc(s)}${s === '110' ? '<br><span class="bad">server error</span>' : ''}</th>`,
    )
    .join('');
  const rows = commands.map((c) => {
    const cells = statuses.map((s) => {
      const n = at.get(`${c}\0${s}`) ?? 0;
      const alpha = n === 0 ? 0 : 0.12 + 0.6 * (Math.log(n + 1) / Math.log(max + 1));
      const color =
        s === '110' ? `rgba(214,39,40,${alpha.toFixed(2)})` : `rgba(31,119,180,${alpha.toFixed(2)})`;
      return `<td class="cell" style="background:${color}">${n || ''}</td>`;
    });
    return `<tr><th>${esc(c)}</th>${cells.join('')}</tr>`;
  });
  return `<table class="heat"><thead><tr><th>Command \\ EAS status</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderReport(d: ReportData, meta: { version: string }): string {
  const range = d.range ? `${iso(d.range.from)} to ${iso(d.range.to)}` : 'no events';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>casguard report: Exchange ActiveSync and KB 2851708</title>
<style>${STYLE}</style></head>
<body><main>
<header><h1>Exchange ActiveSync: KB 2851708 and device health</h1>
<div class="muted">casguard incident report · events ${esc(range)} (UTC) · from ${esc(d.source)} · ${d.documents.activesync} ActiveSync and ${d.documents.application} Windows event documents · generated ${esc(d.generatedAt)}</div>
${summary(d)}</header>
<section id="fix"><h2>What to install</h2>${whatToDo(d)}</section>
<section id="storms"><h2>Provision storms per device</h2>${storms(d)}</section>
<section id="alerts"><h2>Alerts</h2>${alerts(d)}</section>
<section id="hosts"><h2>Exchange hosts and builds</h2>${hosts(d)}</section>
<section id="ios"><h2>Devices by iOS build</h2>${iosBuilds(d)}</section>
<section id="events-4999"><h2>Event 4999 (MSExchange Common) per host</h2>${events4999(d)}</section>
<section id="commands"><h2>ActiveSync requests by command and status</h2>${commandStatus(d)}</section>
<footer>casguard ${esc(meta.version)}. Self-contained: this page loads nothing from anywhere.${d.warnings.length ? `<br>While reading: ${esc(d.warnings.slice(0, 10).join('; '))}${d.warnings.length > 10 ? ` and ${d.warnings.length - 10} more` : ''}` : ''}</footer>
</main></body></html>
`;
}
