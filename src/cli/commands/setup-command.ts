// `casguard setup`: installs the ILM policy, component and index templates, data streams and the alerts index
// in the configured Elasticsearch, and prints what it created, updated or left alone. Idempotent. The own-field
// tables come from the formats (src/normalize), injected here because src/setup may not import them.

import path from 'node:path';
import type { Command } from 'commander';
import { errors } from '@elastic/elasticsearch';
import type { Client } from '@elastic/elasticsearch';
import { loadRules, RulesError } from '../../config/rules-loader.js';
import { DETECT_ALERT_FIELDS } from '../../detect/alert-fields.js';
import { EAS_OWN_FIELDS } from '../../normalize/eas/eas-own-fields.js';
import { WINDOWS_OWN_FIELDS } from '../../normalize/windows-event/windows-own-fields.js';
import { createEsClient, describeEsError } from '../../outputs/elasticsearch/es-client.js';
import type { ElasticsearchOutputConfig } from '../../outputs/elasticsearch/elasticsearch.config.js';
import { clusterAssets, ILM_POLICY, mergeOwnFieldTables } from '../../setup/cluster-assets.js';
import type { OwnFieldTable } from '../../setup/cluster-assets.js';
import { runSetup } from '../../setup/run-setup.js';
import type { Logger } from '../../telemetry/logger.types.js';
import { nullLogger } from '../../telemetry/logger.types.js';
import { CasguardError } from '../../pipeline/errors.js';
import { maskUrl } from '../../pipeline/redact.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { loadOrReport } from './config-or-report.js';
import { resolveKibanaConfig, setupKibana } from './kibana-setup.js';
import { examples } from '../help-examples.js';

/** Every own field the formats and the alert documents emit. */
export function defaultOwnFields(): OwnFieldTable {
  return mergeOwnFieldTables(mergeOwnFieldTables(EAS_OWN_FIELDS, WINDOWS_OWN_FIELDS), DETECT_ALERT_FIELDS);
}

export function registerSetup(
  program: Command,
  io: CliIo,
  opts: { logger?: Logger; ownFields?: OwnFieldTable } = {},
): void {
  program
    .command('setup')
    .addHelpText(
      'after',
      examples([
        'casguard setup -c /etc/casguard/casguard.yml           templates, ILM policy, streams, alerts index',
        'casguard setup --retention-days 30                     keep 30 days (kept by later plain setups)',
        'casguard setup --kibana https://kibana:5601 --space soc  also data views, dashboard and rules',
        'casguard export template --out ./bodies                review the bodies first, without a cluster',
      ]),
    )
    .description(
      'install the ILM policy, index templates, data streams and alerts index in Elasticsearch, and with ' +
        '--kibana (or a kibana block) the data views, dashboard and detection rules in Kibana (idempotent)',
    )
    .option('-c, --config <file>', 'config file (default: $CASGUARD_CONFIG or the embedded default)')
    .option(
      '--retention-days <days>',
      'delete backing indices this many days after rollover (default: what the installed policy says, else 90)',
    )
    .option('--kibana <url>', 'also install the Kibana content here (overrides kibana.url)')
    .option('--space <id>', 'Kibana space to install into (overrides kibana.space; default: default)')
    .action(async (o: { config?: string; retentionDays?: string; kibana?: string; space?: string }) => {
      const loaded = loadOrReport(o.config, io);
      if (!loaded) return;
      const days = o.retentionDays === undefined ? undefined : Number(o.retentionDays);
      if (days !== undefined && (!Number.isInteger(days) || days < 1)) {
        io.err(`--retention-days must be a whole number of days >= 1, got ${o.retentionDays}`);
        io.setExitCode(EXIT.USAGE);
        return;
      }
      const es = loaded.config.outputs.elasticsearch;
      const kibana = resolveKibanaConfig(loaded.config.kibana, o, es);
      if (kibana !== undefined && 'error' in kibana) {
        io.err(`config INVALID:\n${kibana.error}`);
        io.setExitCode(EXIT.CONFIG_INVALID);
        return;
      }
      if (!es && !kibana) {
        io.err(
          'no outputs.elasticsearch (nor CASGUARD_ES_HOSTS) and no kibana block (nor --kibana): nothing to set up',
        );
        io.setExitCode(EXIT.CONFIG_INVALID);
        return;
      }
      const ownFields = opts.ownFields ?? defaultOwnFields();
      let code: number = EXIT.OK;
      if (es) code = await setupCluster(es, io, opts.logger ?? nullLogger, ownFields, days);
      if (kibana) {
        let rules;
        try {
          const dir = loaded.config.rules;
          rules = loadRules(dir === undefined ? undefined : path.resolve(loaded.baseDir, dir)).rules;
        } catch (e) {
          if (!(e instanceof RulesError)) throw e;
          io.err(`rules INVALID:\n${e.message}`);
          io.setExitCode(EXIT.CONFIG_INVALID);
          return;
        }
        if (kibana.note) io.err(kibana.note);
        const k = await setupKibana(kibana.config, io, ownFields, rules);
        if (code === EXIT.OK) code = k;
      }
      io.setExitCode(code);
    });
}

/** The delete phase's age of the installed ILM policy in days, when it has one in days. */
async function installedRetentionDays(client: Client): Promise<number | undefined> {
  try {
    const got = (await client.ilm.getLifecycle({ name: ILM_POLICY })) as Record<
      string,
      { policy?: { phases?: { delete?: { min_age?: unknown } } } }
    >;
    const age = got[ILM_POLICY]?.policy?.phases?.delete?.min_age;
    const m = typeof age === 'string' ? /^(\d+)d$/.exec(age) : null;
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // not installed yet, or no privilege to read it: the default applies
  }
}

export async function setupCluster(
  cfg: ElasticsearchOutputConfig,
  io: CliIo,
  logger: Logger,
  ownFields: OwnFieldTable,
  askedDays?: number,
): Promise<number> {
  try {
    // Fail on a bad own-field table before touching the cluster.
    clusterAssets({ namespace: cfg.namespace, ownFields, retentionDays: askedDays ?? 90 });
  } catch (e) {
    io.err(`setup FAILED: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.FAILURE;
  }
  const { client, scrub } = createEsClient(cfg, logger, 'elasticsearch');
  try {
    // The bodies depend on the version (index.mode is unknown before 8.5). `GET /` needs the `monitor` cluster
    // privilege; without it, assume a current cluster and say so.
    const esVersion = await clusterVersion(client, io);
    // A plain `setup` keeps the retention an earlier `setup --retention-days N` installed.
    const installed = askedDays === undefined ? await installedRetentionDays(client) : undefined;
    const retentionDays = askedDays ?? installed ?? 90;
    if (installed !== undefined)
      io.out(`retention: ${installed} days, as installed (--retention-days changes it)`);
    const assets = clusterAssets({
      namespace: cfg.namespace,
      ownFields,
      retentionDays,
      ...(esVersion !== undefined ? { esVersion } : {}),
    });
    const results = await runSetup(client, assets, logger, scrub);
    const blocked = results.filter((r) => r.action === 'needs action');
    for (const r of results) {
      const what = `${r.kind.replace('_', ' ')} ${r.name}`;
      if (r.action === 'needs action') continue;
      io.out(`${r.action.padEnd(9)} ${what}${r.detail !== undefined ? `: ${r.detail}` : ''}`);
    }
    for (const r of blocked) {
      io.err(`NEEDS ACTION ${r.kind.replace('_', ' ')} ${r.name}: ${r.detail ?? ''}`);
      io.err('  run, in Kibana Dev Tools or with curl:');
      for (const c of r.commands ?? []) {
        io.err(`    ${c}`);
        const curl = curlFor(c, cfg);
        if (curl !== undefined) io.err(`    ${curl}`);
      }
    }
    const changed = results.filter((r) => r.action !== 'unchanged' && r.action !== 'needs action').length;
    if (blocked.length > 0) {
      io.err(
        `setup INCOMPLETE: ${blocked.length} item${blocked.length === 1 ? '' : 's'} need${blocked.length === 1 ? 's' : ''} ` +
          "the operator (above); until then documents do not get casguard's mappings there",
      );
      return EXIT.FAILURE;
    }
    io.out(
      changed === 0
        ? 'setup OK: everything was already in place'
        : `setup OK: ${changed} change${changed === 1 ? '' : 's'} (changed templates apply to new backing indices, i.e. after the next rollover)`,
    );
    return EXIT.OK;
  } catch (e) {
    // An answer of the cluster (401, 403, 5xx, ...) as its status, type and reason with a hint, not its raw JSON.
    if (e instanceof errors.ResponseError) {
      const d = describeEsError(e, scrub);
      io.err(
        `setup FAILED: HTTP ${d.status ?? e.statusCode}${d.errorType ? ` ${d.errorType}` : ''}: ${d.reason}`,
      );
    } else io.err(`setup FAILED: ${e instanceof Error ? scrub(e.message) : String(e)}`);
    return EXIT.FAILURE;
  } finally {
    await client.close();
  }
}

async function clusterVersion(client: Client, io: CliIo): Promise<string | undefined> {
  let version: string;
  try {
    const info = await client.info();
    version = info.version.number;
  } catch (e) {
    // A cluster of another major refuses the 8.x compatibility headers before anything else (7.x: "Accept
    // version must be either version 7 or 6, but found 8").
    if (e instanceof errors.ResponseError && /media_type_header_exception/.test(JSON.stringify(e.body))) {
      throw new CasguardError(
        'SETUP_FAILED',
        'the cluster refuses the Elasticsearch 8.x REST dialect casguard speaks, so it is not 8.x or 9.x: ' +
          'casguard needs Elasticsearch 8.x or 9.x (nothing was changed)',
        { cause: e },
      );
    }
    // Only a refused `GET /` (403: no `monitor`) is worked around; anything else fails setup as it is.
    if (!(e instanceof errors.ResponseError) || e.statusCode !== 403) throw e;
    io.err(
      'note: the key may not read the cluster version (GET / needs the monitor privilege); assuming ' +
        'Elasticsearch 8.5 or later (for 8.0-8.4, install the bodies of `casguard export --es-version 8.4` by hand)',
    );
    return undefined;
  }
  // The cluster must be one casguard can set up: its bodies and its REST dialect are those of 8.x, which 8.x
  // and 9.x accept (9.x through REST compatibility). 7.x lacks data stream options casguard relies on
  // (allow_auto_create is 8.0+), a later major refuses the 8.x compatibility headers.
  const major = Number(version.split('.')[0]);
  if (!(major === 8 || major === 9)) {
    throw new CasguardError(
      'SETUP_FAILED',
      `Elasticsearch ${version} is not supported: casguard needs 8.x or 9.x (nothing was changed)`,
    );
  }
  return version;
}

/** A curl form of a Dev Tools request line (`METHOD /path [json body]`), for the cluster of `cfg`. */
export function curlFor(line: string, cfg: ElasticsearchOutputConfig): string | undefined {
  const m = /^(GET|PUT|POST|DELETE) (\/\S*)(?: (.+))?$/.exec(line);
  if (!m) return undefined;
  const host = cfg.hosts?.[0] !== undefined ? maskUrl(cfg.hosts[0]).replace(/\/+$/, '') : '"$ES_URL"';
  const auth =
    cfg.apiKey !== undefined
      ? ` -H "Authorization: ApiKey $ES_API_KEY"`
      : cfg.username !== undefined
        ? ' -u "$ES_USER"'
        : '';
  const body = m[3] !== undefined ? ` -H 'Content-Type: application/json' -d '${m[3]}'` : '';
  return `curl -X ${m[1]}${auth} '${host}${m[2]}'${body}`;
}
