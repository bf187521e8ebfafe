// Static checks of the service definitions in service/ (WinSW XML, PowerShell 4.0 scripts, systemd unit).
// None of this needs Windows or a running systemd: each check returns a list of problems (empty = fine), so the
// tests can also prove that a broken variant is caught. What only Windows can show (SCM install, ACL effects,
// Ctrl+C delivery) is listed in service/windows/README.md instead.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SaxesParser, type SaxesTagPlain } from 'saxes';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WINDOWS_DIR = path.join(REPO, 'service', 'windows');
export const LINUX_DIR = path.join(REPO, 'service', 'linux');

/** The agent's graceful-stop budget (SIGINT/SIGTERM/SIGBREAK → drain, checkpoint, exit) is under 5 s. */
export const AGENT_DRAIN_DEADLINE_MS = 5_000;

export const read = (file: string): string => readFileSync(file, 'utf8');

// ---------------------------------------------------------------------------------------------------------
// XML

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
  line: number;
}

/** Parses a whole document into a small element tree; throws on anything not well-formed. */
export function parseXml(xml: string): XmlElement {
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  parser.on('error', (err) => {
    throw err;
  });
  parser.on('opentag', (tag) => {
    const plain = tag as SaxesTagPlain;
    const el: XmlElement = {
      name: plain.name,
      attributes: { ...plain.attributes },
      text: '',
      children: [],
      line: parser.line,
    };
    const parent = stack.at(-1);
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('text', (text) => {
    const top = stack.at(-1);
    if (top) top.text += text;
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.write(xml).close();
  if (!root) throw new Error('no root element');
  return root;
}

// ---------------------------------------------------------------------------------------------------------
// WinSW 2.12

/**
 * Elements WinSW v2.12.0 reads (service-and-dashboards.md §1.8, from XmlServiceConfig/ServiceDescriptor at
 * that tag), by parent. WinSW looks every name up with `//name` and ignores the rest, so anything else is a
 * typo that silently falls back to a default.
 */
export const WINSW_ELEMENTS: Record<string, readonly string[]> = {
  service: [
    'id',
    'name',
    'description',
    'executable',
    'arguments',
    'argument',
    'startarguments',
    'startargument',
    'stopexecutable',
    'stoparguments',
    'stopargument',
    'workingdirectory',
    'priority',
    'stoptimeout',
    'stopparentprocessfirst',
    'startmode',
    'delayedAutoStart',
    'depend',
    'waithint',
    'sleeptime',
    'interactive',
    'beeponshutdown',
    'logpath',
    'log',
    'outfiledisabled',
    'errfiledisabled',
    'env',
    'download',
    'onfailure',
    'resetfailure',
    'securityDescriptor',
    'serviceaccount',
    'hidewindow',
    'extensions',
  ],
  log: ['sizeThreshold', 'keepFiles', 'pattern', 'autoRollAtTime', 'zipOlderThanNumDays', 'zipDateFormat'],
  serviceaccount: ['domain', 'user', 'password', 'allowservicelogon'],
};

const WINSW_SUFFIX_MS: ReadonlyArray<readonly [string, number]> = [
  // Same order as WinSW's ConfigHelper.ParseTimeSpan: the first suffix the value ends with wins.
  ['ms', 1],
  ['sec', 1_000],
  ['secs', 1_000],
  ['min', 60_000],
  ['mins', 60_000],
  ['hr', 3_600_000],
  ['hrs', 3_600_000],
  ['hour', 3_600_000],
  ['hours', 3_600_000],
  ['day', 86_400_000],
  ['days', 86_400_000],
];

/** WinSW's time span syntax: an integer with an optional unit suffix ("30 sec", "1 day", "500"). */
export function parseWinswTimeSpan(value: string): number {
  const v = value.trim();
  for (const [suffix, ms] of WINSW_SUFFIX_MS) {
    if (v.endsWith(suffix)) return parseWinswInt(v.slice(0, -suffix.length).trim()) * ms;
  }
  return parseWinswInt(v);
}

function parseWinswInt(s: string): number {
  if (!/^-?\d+$/.test(s)) throw new Error(`WinSW cannot parse "${s}" as a time span`);
  return Number(s);
}

/** Splits a Windows command line the simple way WinSW's arguments are written: blanks, "double quotes". */
export function splitArguments(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

export interface WinswExpectations {
  drainDeadlineMs: number;
}

export function checkWinswConfig(xml: string, expect: WinswExpectations): string[] {
  const problems: string[] = [];
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    return [`not well-formed XML: ${(err as Error).message}`];
  }
  if (root.name !== 'service') return [`root element is <${root.name}>, WinSW wants <service>`];

  const walk = (el: XmlElement): void => {
    const allowed = WINSW_ELEMENTS[el.name];
    for (const child of el.children) {
      if (!allowed?.includes(child.name)) {
        problems.push(`line ${child.line}: <${child.name}> inside <${el.name}> is not read by WinSW 2.12`);
      }
      walk(child);
    }
  };
  walk(root);

  const all = (name: string): XmlElement[] => root.children.filter((c) => c.name === name);
  const one = (name: string): XmlElement | undefined => {
    const found = all(name);
    if (found.length > 1)
      problems.push(`<${name}> appears ${found.length} times; WinSW reads only the first`);
    return found[0];
  };
  const text = (name: string): string | undefined => one(name)?.text.trim();
  const time = (name: string): number | undefined => {
    const t = text(name);
    if (t === undefined) return undefined;
    try {
      return parseWinswTimeSpan(t);
    } catch (err) {
      problems.push(`<${name}>: ${(err as Error).message}`);
      return undefined;
    }
  };

  for (const name of ['id', 'name', 'description', 'executable']) {
    if (!text(name)) problems.push(`<${name}> is missing or empty`);
  }
  if (text('id') !== 'casguard')
    problems.push('<id> must be casguard (service name and NT SERVICE\\casguard)');
  if (!/\\node\.exe$/i.test(text('executable') ?? ''))
    problems.push('<executable> must be the bundled node.exe');

  const args = splitArguments(text('arguments') ?? '');
  if (!/\\dist\\cli\\main\.js$/.test(args[0] ?? ''))
    problems.push('<arguments> must start with the CLI entry point');
  if (args[1] !== 'run' || args[2] !== '--config' || !/\.ya?ml$/.test(args[3] ?? '')) {
    problems.push(`<arguments> must be "<main.js> run --config <file.yml>", got ${JSON.stringify(args)}`);
  }

  if (text('startmode') !== 'Automatic') problems.push('<startmode> must be Automatic');
  // WinSW 2 tests presence only: <delayedAutoStart>false</delayedAutoStart> would still turn it on.
  const delayed = one('delayedAutoStart');
  if (!delayed) problems.push('<delayedAutoStart/> is missing');
  else if (delayed.text.trim() !== '' && delayed.text.trim() !== 'true')
    problems.push('<delayedAutoStart> must be empty (v2 reads presence, not the value)');

  const failures = all('onfailure');
  const delays = failures.map((f) => {
    if (f.attributes['action'] !== 'restart')
      problems.push(`line ${f.line}: onfailure action must be restart`);
    try {
      return parseWinswTimeSpan(f.attributes['delay'] ?? '0');
    } catch (err) {
      problems.push(`line ${f.line}: ${(err as Error).message}`);
      return NaN;
    }
  });
  if (delays.join() !== [5_000, 30_000, 60_000].join()) {
    problems.push(`onfailure delays must be 5 s, 30 s, 60 s; got ${delays.map((d) => `${d} ms`).join(', ')}`);
  }
  if (time('resetfailure') !== 86_400_000) problems.push('<resetfailure> must be 1 day');

  const stop = time('stoptimeout');
  if (stop === undefined) problems.push('<stoptimeout> is missing (WinSW default: 15 s)');
  else {
    if (stop < 30_000) problems.push(`<stoptimeout> is ${stop} ms, must be at least 30 s`);
    if (stop <= expect.drainDeadlineMs)
      problems.push(
        `<stoptimeout> ${stop} ms is not above the agent's drain deadline ${expect.drainDeadlineMs} ms`,
      );
  }

  const account = one('serviceaccount');
  const accountPart = (n: string): string | undefined =>
    account?.children.find((c) => c.name === n)?.text.trim();
  if (!account) problems.push('<serviceaccount> is missing (would run as LocalSystem)');
  else {
    if (accountPart('domain') !== 'NT SERVICE' || accountPart('user') !== 'casguard')
      problems.push('<serviceaccount> must be NT SERVICE\\casguard');
    if (accountPart('password') !== undefined) problems.push('<serviceaccount> must not carry a password');
  }

  const log = one('log');
  if (
    log &&
    !['append', 'reset', 'none', 'roll', 'roll-by-size', 'roll-by-time', 'roll-by-size-time'].includes(
      log.attributes['mode'] ?? '',
    )
  )
    problems.push(`<log mode="${log.attributes['mode'] ?? ''}"> is not a WinSW 2 log mode`);
  for (const env of all('env')) {
    if (!env.attributes['name'] || env.attributes['value'] === undefined)
      problems.push(`line ${env.line}: <env> needs name and value attributes`);
  }
  return problems;
}

/** The failure actions as `sc.exe failure ... actions=` spells them, from the XML's <onfailure> delays. */
export function scFailureActions(xml: string): string {
  return parseXml(xml)
    .children.filter((c) => c.name === 'onfailure')
    .map((f) => `${f.attributes['action']}/${parseWinswTimeSpan(f.attributes['delay'] ?? '0')}`)
    .join('/');
}

// ---------------------------------------------------------------------------------------------------------
// PowerShell 4.0

/**
 * Replaces comments with blanks, keeping strings and line numbers, so forbidden words in explanations do not
 * count. A small scanner, not a parser: here-strings and nested block comments are not handled (not used).
 */
export function stripPowerShellComments(src: string): string {
  let out = '';
  let i = 0;
  let mode: 'code' | 'single' | 'double' | 'line' | 'block' = 'code';
  while (i < src.length) {
    const c = src[i]!;
    const next = src[i + 1];
    switch (mode) {
      case 'code':
        if (c === '<' && next === '#') {
          mode = 'block';
          out += '  ';
          i += 2;
          continue;
        }
        if (c === '#') mode = 'line';
        else if (c === "'") mode = 'single';
        else if (c === '"') mode = 'double';
        else if (c === '`' && next !== undefined) {
          out += c + next;
          i += 2;
          continue;
        }
        break;
      case 'single':
        if (c === "'" && next === "'") {
          out += "''";
          i += 2;
          continue;
        }
        if (c === "'") mode = 'code';
        break;
      case 'double':
        if (c === '`' && next !== undefined) {
          out += c + next;
          i += 2;
          continue;
        }
        if (c === '"') mode = 'code';
        break;
      case 'line':
        if (c === '\n') mode = 'code';
        break;
      case 'block':
        if (c === '#' && next === '>') {
          mode = 'code';
          out += '  ';
          i += 2;
          continue;
        }
        break;
    }
    out += mode === 'line' || mode === 'block' ? (c === '\n' ? '\n' : ' ') : c;
    i += 1;
  }
  return out;
}

/** Constructs and commands that Windows PowerShell 4.0 (Server 2012 R2) does not have, with the reason. */
export const PS4_FORBIDDEN: ReadonlyArray<readonly [RegExp, string]> = [
  [/\?\?/, '?? / ??= (PowerShell 7)'],
  [/\?\.|\?\[/, '?. / ?[] null-conditional (PowerShell 7)'],
  [/\s\?\s/, 'ternary a ? b : c (PowerShell 7), or the ? alias (write Where-Object)'],
  [/&&|\|\|/, '&& / || pipeline chains (PowerShell 7)'],
  [/\bRemove-Service\b/i, 'Remove-Service (PowerShell 6); use sc.exe delete'],
  [
    /AutomaticDelayedStart/i,
    'StartupType AutomaticDelayedStart (PowerShell 6+); use sc.exe config start= delayed-auto',
  ],
  [/\b(Add|Get|Remove)-LocalGroupMember\b/i, '*-LocalGroupMember (5.1); use net.exe localgroup'],
  [/\b(Get|New|Set|Remove|Enable|Disable|Rename)-Local(User|Group)\b/i, '*-LocalUser / *-LocalGroup (5.1)'],
  [/::new\s*\(/i, '[Type]::new() (5.0); use New-Object'],
  [/^\s*(class|enum)\s+\w+/im, 'class / enum definitions (5.0)'],
  [/^\s*using\s+(namespace|module)\b/im, 'using namespace / module (5.0)'],
  [/\b(Expand|Compress)-Archive\b/i, '*-Archive (5.0)'],
  [/\bNew-TemporaryFile\b/i, 'New-TemporaryFile (5.0)'],
  [/\bGet-ItemPropertyValue\b/i, 'Get-ItemPropertyValue (5.0)'],
  [/\bWrite-Information\b/i, 'Write-Information (5.0)'],
  [/-NoNewline\b/i, '-NoNewline (5.0)'],
  [/-AsHashtable\b/i, 'ConvertFrom-Json -AsHashtable (6)'],
  [/-Parallel\b/i, 'ForEach-Object -Parallel (7)'],
  [/-SkipCertificateCheck\b/i, '-SkipCertificateCheck (6)'],
  [/-AdditionalChildPath\b/i, 'Join-Path -AdditionalChildPath (6)'],
  [/utf8NoBOM/i, '-Encoding utf8NoBOM (6)'],
  [/\$(IsWindows|IsLinux|IsMacOS|IsCoreCLR|PSStyle)\b/i, 'automatic variables of PowerShell 6+'],
  [/\b(Test-Json|Join-String|Get-Error)\b/i, 'cmdlets of PowerShell 6+'],
  // In PowerShell `sc` is Set-Content; only sc.exe reaches the service control tool.
  [/(?<![\w.$-])sc(?![\w.-])/i, 'bare sc (alias of Set-Content); write sc.exe'],
];

export function checkPowerShell4(src: string): string[] {
  const problems: string[] = [];
  const nonAscii = /[^\t\n\r -~]/.exec(src);
  if (nonAscii) {
    const line = src.slice(0, nonAscii.index).split('\n').length;
    problems.push(
      `line ${line}: non-ASCII or control character; PowerShell 4 reads a BOM-less script as ANSI`,
    );
  }
  if (/^#requires\s+-version\s+([5-9]|\d{2})/im.test(src)) problems.push('#Requires -Version above 4');
  const code = stripPowerShellComments(src);
  code.split('\n').forEach((line, idx) => {
    for (const [re, why] of PS4_FORBIDDEN) {
      if (re.test(line)) problems.push(`line ${idx + 1}: ${why}: ${line.trim()}`);
    }
  });
  problems.push(...checkBalanced(code));
  return problems;
}

/** Brackets balance outside strings and comments: a cheap syntax gate in place of a PowerShell parser. */
function checkBalanced(code: string): string[] {
  const pairs: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  const stack: Array<{ ch: string; line: number }> = [];
  let line = 1;
  let quote: string | undefined;
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (c === '\n') line += 1;
    if (quote) {
      if (c === '`' && quote === '"') i += 1;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '`') {
      i += 1;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(' || c === '{' || c === '[') stack.push({ ch: c, line });
    else if (c in pairs) {
      const open = stack.pop();
      if (open?.ch !== pairs[c]) return [`line ${line}: unbalanced "${c}"`];
    }
  }
  if (quote) return ['unterminated string'];
  const open = stack.pop();
  return open ? [`line ${open.line}: "${open.ch}" never closed`] : [];
}

// ---------------------------------------------------------------------------------------------------------
// systemd

export type UnitFile = Map<string, Map<string, string[]>>;

/** systemd's INI dialect: [Section], Key=Value (repeatable), # or ; comments, trailing-backslash continuation. */
export function parseUnit(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    }
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = unit.get(header[1]!) ?? new Map<string, string[]>();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section) throw new Error(`line ${i + 1}: assignment outside a section`);
    if (eq <= 0) throw new Error(`line ${i + 1}: not Key=Value: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

/** Keys a casguard unit may use (all known to systemd 252). Anything else is a typo systemd only warns about. */
export const UNIT_KEYS: Record<string, readonly string[]> = {
  Unit: [
    'Description',
    'Documentation',
    'Wants',
    'Requires',
    'After',
    'Before',
    'StartLimitIntervalSec',
    'StartLimitBurst',
    'ConditionPathExists',
  ],
  Service: [
    'Type',
    'User',
    'Group',
    'DynamicUser',
    'SupplementaryGroups',
    'ExecStartPre',
    'ExecStart',
    'ExecReload',
    'EnvironmentFile',
    'Environment',
    'WorkingDirectory',
    'Restart',
    'RestartSec',
    'KillSignal',
    'KillMode',
    'TimeoutStartSec',
    'TimeoutStopSec',
    'LimitNOFILE',
    'UMask',
    'StateDirectory',
    'StateDirectoryMode',
    'LogsDirectory',
    'LogsDirectoryMode',
    'ConfigurationDirectory',
    'ConfigurationDirectoryMode',
    'CacheDirectory',
    'BindPaths',
    'ReadOnlyPaths',
    'ReadWritePaths',
    'NoNewPrivileges',
    'CapabilityBoundingSet',
    'AmbientCapabilities',
    'ProtectSystem',
    'ProtectHome',
    'PrivateTmp',
    'PrivateDevices',
    'PrivateMounts',
    'ProtectKernelTunables',
    'ProtectKernelModules',
    'ProtectKernelLogs',
    'ProtectControlGroups',
    'ProtectClock',
    'ProtectHostname',
    'ProtectProc',
    'RestrictAddressFamilies',
    'RestrictNamespaces',
    'RestrictRealtime',
    'RestrictSUIDSGID',
    'LockPersonality',
    'RemoveIPC',
    'SystemCallArchitectures',
    'SystemCallFilter',
    'SystemCallErrorNumber',
  ],
  Install: ['WantedBy', 'Alias'],
};

/** systemd time span ("45s", "1min 30s", "45" = seconds) in milliseconds. */
export function parseSystemdTimeSpan(value: string): number {
  const units: Record<string, number> = {
    us: 0.001,
    ms: 1,
    s: 1_000,
    sec: 1_000,
    second: 1_000,
    seconds: 1_000,
    m: 60_000,
    min: 60_000,
    minute: 60_000,
    minutes: 60_000,
    h: 3_600_000,
    hr: 3_600_000,
    hour: 3_600_000,
    hours: 3_600_000,
  };
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1_000;
  let total = 0;
  let rest = v;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*/.exec(rest);
    const factor = m ? units[m[2]!] : undefined;
    if (!m || factor === undefined) throw new Error(`not a systemd time span: "${value}"`);
    total += Number(m[1]) * factor;
    rest = rest.slice(m[0].length);
  }
  return total;
}

export function checkUnit(text: string, expect: { drainDeadlineMs: number }): string[] {
  let unit: UnitFile;
  try {
    unit = parseUnit(text);
  } catch (err) {
    return [(err as Error).message];
  }
  const problems: string[] = [];
  for (const [name, keys] of unit) {
    const allowed = UNIT_KEYS[name];
    if (!allowed) {
      problems.push(`unknown section [${name}]`);
      continue;
    }
    for (const key of keys.keys()) {
      if (!allowed.includes(key)) problems.push(`[${name}] ${key}= is not in the allow-list`);
    }
  }
  for (const [name, keys] of unit) {
    if (keys.has('MemoryDenyWriteExecute'))
      problems.push(`[${name}] MemoryDenyWriteExecute= must not be set: V8 needs W+X pages`);
  }
  const service = unit.get('Service') ?? new Map<string, string[]>();
  const last = (key: string): string | undefined => service.get(key)?.at(-1);
  const expectValue = (key: string, want: string): void => {
    if (last(key) !== want) problems.push(`${key}= must be ${want}, is ${last(key) ?? 'unset'}`);
  };
  expectValue('Restart', 'on-failure');
  expectValue('KillSignal', 'SIGTERM');
  expectValue('NoNewPrivileges', 'yes');
  expectValue('ProtectSystem', 'strict');
  expectValue('CapabilityBoundingSet', '');
  for (const key of ['StateDirectory', 'LogsDirectory', 'ConfigurationDirectory'])
    expectValue(key, 'casguard');

  const stop = last('TimeoutStopSec');
  try {
    if (stop === undefined) problems.push('TimeoutStopSec= is unset (default 90 s hides a hung drain)');
    else if (parseSystemdTimeSpan(stop) <= expect.drainDeadlineMs)
      problems.push(`TimeoutStopSec=${stop} is not above the drain deadline ${expect.drainDeadlineMs} ms`);
  } catch (err) {
    problems.push((err as Error).message);
  }

  const start = last('ExecStart') ?? '';
  const pre = service.get('ExecStartPre') ?? [];
  const config = /\brun --config (\S+)$/.exec(start)?.[1];
  if (!config) problems.push('ExecStart= must end in "run --config <file>"');
  else if (!pre.some((p) => p.endsWith(`test config --config ${config}`)))
    problems.push(`ExecStartPre= must run "test config --config ${config}" first`);

  const dataDir = (service.get('Environment') ?? [])
    .map((e) => /^CASGUARD_DATA_DIR=(\S+)$/.exec(e)?.[1])
    .find((d) => d !== undefined);
  if (dataDir !== '/var/lib/casguard')
    problems.push('Environment=CASGUARD_DATA_DIR must be the StateDirectory');
  else if (last('BindPaths') !== `/var/log/casguard:${dataDir}/logs`)
    problems.push('BindPaths= must map the LogsDirectory onto <dataDir>/logs');
  return problems;
}
