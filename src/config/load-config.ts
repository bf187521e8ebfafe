// Loading configuration: YAML with positions, `${ENV_VAR}` interpolation, environment overrides, then strict
// zod validation. Every problem is reported with its key path and, where the key exists in the file, its
// line and column, so an admin can fix all of them in one pass.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { CasguardError } from '../pipeline/errors.js';
import { CasguardConfig, type CasguardConfigInput } from './config.schema.js';

export interface ConfigProblem {
  /** Dotted key path (`inputs[0].paths`), or '' for the document as a whole. */
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  /** Set when an environment variable, not the file, gave the value (`CASGUARD_ES_HOSTS`). */
  readonly source?: string;
}

export interface LoadedConfig {
  readonly config: CasguardConfig;
  /** The file it came from, or undefined for the embedded default. */
  readonly file: string | undefined;
  /** Folder that relative paths in the config are resolved against. */
  readonly baseDir: string;
  /** Human sentences about where settings came from (never including secret values). */
  readonly notes: string[];
  /** Where the value at a dotted key path came from: the file, an environment variable, or the default. */
  readonly origin?: (keyPath: string) => string;
}

export class ConfigError extends CasguardError {
  constructor(
    readonly file: string | undefined,
    readonly problems: ConfigProblem[],
  ) {
    super('CONFIG_INVALID', formatProblems(file, problems));
    this.name = 'ConfigError';
  }
}

export function formatProblems(file: string | undefined, problems: readonly ConfigProblem[]): string {
  const where = file ?? '<embedded default>';
  return problems
    .map((p) => {
      const pos =
        p.source !== undefined
          ? `environment variable ${p.source}`
          : p.line !== undefined
            ? `${where}:${p.line}:${p.column ?? 1}`
            : where;
      return `${pos}  ${p.path === '' ? '(top level)' : p.path}  ${p.message}`;
    })
    .join('\n');
}

type Env = Record<string, string | undefined>;

/** The embedded default: watch ./inbox, write NDJSON under ./data/out, print alerts. */
export function embeddedDefault(env: Env): CasguardConfigInput {
  return {
    dataDir: env['CASGUARD_DATA_DIR'] ?? './data',
    inputs: [
      {
        id: 'inbox',
        format: 'auto',
        paths: [`${env['CASGUARD_INBOX'] ?? './inbox'}/**/*`],
        exclude: ['**/*.tmp', '**/.*'],
      },
    ],
    outputs: { file: { path: `${env['CASGUARD_DATA_DIR'] ?? './data'}/out` }, stdout: { alerts: true } },
  };
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolate(doc: Document, env: Env, problems: ConfigProblem[], lc: LineCounter): void {
  const visit = (node: unknown, keyPath: (string | number)[]): void => {
    if (
      isMap(node) ||
      (node &&
        typeof node === 'object' &&
        'items' in node &&
        Array.isArray((node as { items: unknown[] }).items))
    ) {
      const items = (node as { items: unknown[] }).items;
      items.forEach((item, i) => {
        if (isPair(item)) {
          const key = isScalar(item.key) ? String(item.key.value) : String(i);
          visit(item.value, [...keyPath, key]);
        } else visit(item, [...keyPath, i]);
      });
      return;
    }
    if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      node.value = node.value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
        const v = env[name];
        if (v !== undefined && v !== '') return v;
        if (fallback !== undefined) return fallback;
        const pos = node.range ? lc.linePos(node.range[0]) : undefined;
        problems.push({
          path: dotPath(keyPath),
          message: `environment variable ${name} is not set`,
          ...(pos ? { line: pos.line, column: pos.col } : {}),
        });
        return '';
      });
    }
  };
  visit(doc.contents, []);
}

function dotPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of p) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

function locate(
  doc: Document | undefined,
  lc: LineCounter,
  keyPath: readonly PropertyKey[],
  key?: string,
): { line: number; column: number } | undefined {
  if (!doc) return undefined;
  const segs = keyPath.map((s) => (typeof s === 'symbol' ? String(s) : s));
  for (let n = segs.length; n >= 0; n--) {
    const node = doc.getIn(segs.slice(0, n), true) as unknown;
    if (node === undefined || node === null) continue;
    if (key !== undefined && n === segs.length && isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === key);
      if (pair && isScalar(pair.key) && pair.key.range) {
        const p = lc.linePos(pair.key.range[0]);
        return { line: p.line, column: p.col };
      }
    }
    // For a missing key the parent map is the best place to point at.
    const range = (node as { range?: [number, number, number] }).range;
    if (range) {
      const p = lc.linePos(range[0]);
      return { line: p.line, column: p.col };
    }
  }
  return undefined;
}

/** Environment overrides for the most used settings, so the agent can be pointed somewhere without edits. */
function applyEnvOverrides(raw: Record<string, unknown>, env: Env, notes: string[]): void {
  if (env['CASGUARD_LOG_LEVEL']) {
    const logging = (raw['logging'] && typeof raw['logging'] === 'object' ? raw['logging'] : {}) as Record<
      string,
      unknown
    >;
    logging['level'] = env['CASGUARD_LOG_LEVEL'];
    raw['logging'] = logging;
    notes.push('logging.level from CASGUARD_LOG_LEVEL');
  }
  if (env['CASGUARD_DATA_DIR']) {
    raw['dataDir'] = env['CASGUARD_DATA_DIR'];
    notes.push('dataDir from CASGUARD_DATA_DIR');
  }
  const hosts = env['CASGUARD_ES_HOSTS'];
  if (raw['outputs'] === undefined && !hosts) {
    // No `outputs:` at all: say where documents go instead of reading files into nowhere (an `outputs:` block
    // that stores nothing is refused by the schema).
    const dataDir = typeof raw['dataDir'] === 'string' ? raw['dataDir'] : './data';
    raw['outputs'] = { file: { path: `${dataDir.replace(/[\\/]+$/, '')}/out` } };
    notes.push(
      `no outputs in the config: documents and alerts go to the file output ${dataDir.replace(/[\\/]+$/, '')}/out ` +
        '(add outputs.elasticsearch, or set CASGUARD_ES_HOSTS, to ship them to a cluster)',
    );
  }
  const outputs = (raw['outputs'] && typeof raw['outputs'] === 'object' ? raw['outputs'] : {}) as Record<
    string,
    unknown
  >;
  if (hosts) {
    const es = (
      outputs['elasticsearch'] && typeof outputs['elasticsearch'] === 'object' ? outputs['elasticsearch'] : {}
    ) as Record<string, unknown>;
    es['hosts'] = hosts
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== '');
    delete es['cloudId'];
    outputs['elasticsearch'] = es;
    notes.push('outputs.elasticsearch.hosts from CASGUARD_ES_HOSTS');
  }
  const es = outputs['elasticsearch'] as Record<string, unknown> | undefined;
  if (es) {
    // `${CASGUARD_ES_API_KEY:-}` with the variable unset means "no API key", not an invalid empty key.
    for (const key of ['apiKey', 'username', 'password', 'cloudId']) if (es[key] === '') delete es[key];
    for (const [envName, key] of [
      ['CASGUARD_ES_API_KEY', 'apiKey'],
      ['CASGUARD_ES_USERNAME', 'username'],
      ['CASGUARD_ES_PASSWORD', 'password'],
    ] as const) {
      if (env[envName]) {
        es[key] = env[envName];
        notes.push(`outputs.elasticsearch.${key} from ${envName}`);
      }
    }
  }
  raw['outputs'] = outputs;
  // Kibana (`casguard setup`): any CASGUARD_KIBANA_* variable makes a block (the URL may come from --kibana).
  const kibanaEnv = Object.keys(env).some((k) => k.startsWith('CASGUARD_KIBANA_') && env[k]);
  const kibana = (
    raw['kibana'] && typeof raw['kibana'] === 'object' ? raw['kibana'] : kibanaEnv ? {} : undefined
  ) as Record<string, unknown> | undefined;
  if (kibana) {
    for (const [envName, key] of [
      ['CASGUARD_KIBANA_URL', 'url'],
      ['CASGUARD_KIBANA_SPACE', 'space'],
      ['CASGUARD_KIBANA_API_KEY', 'apiKey'],
      ['CASGUARD_KIBANA_USERNAME', 'username'],
      ['CASGUARD_KIBANA_PASSWORD', 'password'],
    ] as const) {
      if (env[envName]) {
        kibana[key] = env[envName];
        notes.push(`kibana.${key} from ${envName}`);
      }
    }
    raw['kibana'] = kibana;
  }
}

export interface LoadOptions {
  /** Explicit --config path; else CASGUARD_CONFIG; else the embedded default. */
  readonly file?: string;
  readonly env?: Env;
  readonly cwd?: string;
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const file = opts.file ?? (env['CASGUARD_CONFIG'] ? env['CASGUARD_CONFIG'] : undefined);
  const notes: string[] = [];
  if (file === undefined) {
    const raw = embeddedDefault(env) as Record<string, unknown>;
    applyEnvOverrides(raw, env, notes);
    notes.unshift('no config file given: using the embedded default (inbox folder → data/out)');
    return finish(raw, undefined, undefined, new LineCounter(), cwd, notes);
  }
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CasguardError('CONFIG_NOT_FOUND', `${abs}: cannot read config file (${code ?? 'error'})`, {
      cause: err,
    });
  }
  return parseConfigText(text, abs, env, notes);
}

export function parseConfigText(
  text: string,
  file: string,
  env: Env = process.env,
  notes: string[] = [],
): LoadedConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), {
    lineCounter: lc,
    prettyErrors: true,
    uniqueKeys: true,
  });
  const problems: ConfigProblem[] = [];
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    problems.push({
      path: '',
      message: e.message.split('\n')[0] ?? e.message,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
    });
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  // Unset variables are reported together with every other problem (finish), not alone.
  interpolate(doc, env, problems, lc);
  const js: unknown = doc.toJS({ maxAliasCount: 100 });
  if (js === null || typeof js !== 'object' || Array.isArray(js)) {
    throw new ConfigError(file, [{ path: '', message: 'the config must be a mapping of keys to values' }]);
  }
  const raw = js as Record<string, unknown>;
  applyEnvOverrides(raw, env, notes);
  return finish(raw, file, doc, lc, path.dirname(file), notes, problems);
}

function finish(
  raw: Record<string, unknown>,
  file: string | undefined,
  doc: Document | undefined,
  lc: LineCounter,
  baseDir: string,
  notes: string[],
  earlier: readonly ConfigProblem[] = [],
): LoadedConfig {
  const parsed = CasguardConfig.safeParse(raw);
  // Settings an environment variable set: a problem there names the variable, not the file.
  const envSources = notes
    .map((n) => /^(\S+) from ([A-Z_][A-Z0-9_]*)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!] as const);
  if (!parsed.success || earlier.length > 0) {
    const problems: ConfigProblem[] = [...earlier];
    const issues = parsed.success ? [] : parsed.error.issues;
    for (const issue of issues) {
      // A key whose ${VAR} was unset is reported once, as the unset variable.
      if (earlier.some((e) => e.path !== '' && dotPath(issue.path).startsWith(e.path))) continue;
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const pos = locate(doc, lc, issue.path, key);
          problems.push({
            path: dotPath([...issue.path, key]),
            message: `unknown key '${key}'${suggest(key, issue.path, raw)}`,
            ...(pos ?? {}),
          });
        }
        continue;
      }
      const pos = locate(doc, lc, issue.path);
      const envSource = envSources.find(([key]) => dotPath(issue.path).startsWith(key));
      problems.push({
        path: dotPath(issue.path),
        message: humanMessage(issue, raw),
        ...(envSource ? { source: envSource[1] } : (pos ?? {})),
      });
    }
    throw new ConfigError(file, problems);
  }
  const fromFile = file !== undefined ? 'file' : 'embedded default';
  const origin = (keyPath: string): string => {
    const env = envSources.find(
      ([key]) => keyPath === key || keyPath.startsWith(`${key}.`) || keyPath.startsWith(`${key}[`),
    );
    if (env) return `env ${env[1]}`;
    const segs = keyPath.split(/\.|\[(\d+)\]/).filter((x) => x !== undefined && x !== '');
    return valueAt(raw, segs).present ? fromFile : 'default';
  };
  return { config: parsed.data, file, baseDir, notes, origin };
}

/** The value at a key path of the raw config, and whether the key is there at all. */
function valueAt(raw: unknown, keyPath: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let cur: unknown = raw;
  for (const seg of keyPath) {
    if (cur === null || typeof cur !== 'object') return { present: false, value: undefined };
    const rec = cur as Record<PropertyKey, unknown>;
    if (!(seg in rec)) return { present: false, value: undefined };
    cur = rec[seg];
  }
  return { present: true, value: cur };
}

function typeName(v: unknown): string {
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `the ${typeof v} ${JSON.stringify(v) ?? typeof v}`;
}

const EXPECTED: Record<string, string> = {
  array: 'a list (e.g. [a, b] or one "- item" per line)',
  object: 'a mapping of keys to values',
  string: 'a text',
  number: 'a number',
  boolean: 'true or false',
};

function humanMessage(issue: z.core.$ZodIssue, raw: unknown): string {
  if (issue.code === 'invalid_type') {
    const at = valueAt(raw, issue.path);
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    if (!at.present || at.value === undefined) return `required value is missing (expected ${expected})`;
    return `wrong type: expected ${expected}, found ${typeName(at.value)}`;
  }
  return issue.message;
}

const KNOWN_KEYS = [
  'dataDir',
  'deadLetter',
  'maxFiles',
  'maxFileBytes',
  'inputs',
  'outputs',
  'rules',
  'detect',
  'logging',
  'metrics',
  'timezone',
  'id',
  'format',
  'paths',
  'exclude',
  'startAt',
  'maxRecordBytes',
  'pollIntervalMs',
  'rescanIntervalMs',
  'closeIdleMs',
  'maxOpenFiles',
  'ignoreOlderThanMs',
  'usePolling',
  'elasticsearch',
  'file',
  'stdout',
  'hosts',
  'cloudId',
  'apiKey',
  'username',
  'password',
  'namespace',
  'tls',
  'path',
  'level',
  'console',
  'enabled',
  'listen',
  'healthSpoolPercent',
  'healthDeadLetterWindowMs',
  'redaction',
  'names',
  'patterns',
  'pattern',
  'ignoreCase',
  'kibana',
  'array',
  'shareFraction',
  'statusIntervalMs',
  'url',
  'space',
];

function suggest(key: string, _path: readonly PropertyKey[], _raw: unknown): string {
  let best: string | undefined;
  let bestD = 3;
  for (const k of KNOWN_KEYS) {
    if (k === key) continue; // valid elsewhere, not here: suggest a neighbour (path → paths)
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best ? ` (did you mean '${best}'?)` : '';
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
