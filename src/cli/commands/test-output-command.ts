// `casguard test output`: connects to the configured Elasticsearch, checks its version and the privileges
// casguard needs to write and to set up, and prints each check as ok or FAILED with the reason. Never prints
// a credential (every message goes through the output's scrubber).

import type { Command } from 'commander';
import { errors } from '@elastic/elasticsearch';
import type { Client } from '@elastic/elasticsearch';
import { createEsClient, describeEsError } from '../../outputs/elasticsearch/es-client.js';
import type { ElasticsearchOutputConfig } from '../../outputs/elasticsearch/elasticsearch.config.js';
import { targetName } from '../../outputs/elasticsearch/targets.js';
import { maskUrl, redactText } from '../../pipeline/redact.js';
import type { Logger } from '../../telemetry/logger.types.js';
import { nullLogger } from '../../telemetry/logger.types.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { elasticsearchOrReport } from './config-or-report.js';

export interface OutputCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export const WRITE_CLUSTER_PRIVILEGES = ['monitor'] as const;
export const SETUP_CLUSTER_PRIVILEGES = ['manage_ilm', 'manage_index_templates'] as const;

export function registerTestOutput(test: Command, io: CliIo, opts: { logger?: Logger } = {}): void {
  test
    .command('output')
    .description('connect to Elasticsearch and check its version and the privileges casguard needs')
    .option('-c, --config <file>', 'config file (default: $CASGUARD_CONFIG or the embedded default)')
    .action(async (o: { config?: string }) => {
      const cfg = elasticsearchOrReport(o.config, io, 'test');
      if (!cfg) return;
      io.setExitCode(await testOutput(cfg, io, opts.logger ?? nullLogger));
    });
}

/** Runs the checks, prints them, returns the exit code. */
export async function testOutput(cfg: ElasticsearchOutputConfig, io: CliIo, logger: Logger): Promise<number> {
  let built;
  try {
    built = createEsClient(cfg, logger, 'elasticsearch');
  } catch (e) {
    io.err(`FAILED  client: ${redactText(e instanceof Error ? e.message : String(e))}`);
    return EXIT.CONFIG_INVALID;
  }
  const { client, scrub } = built;
  try {
    const checks = await outputChecks(client, cfg, scrub);
    for (const c of checks) {
      const line = `${c.ok ? 'ok     ' : 'FAILED '} ${c.name}: ${c.detail}`;
      if (c.ok) io.out(line);
      else io.err(line);
    }
    const failed = checks.filter((c) => !c.ok).length;
    io.out(failed === 0 ? 'output OK' : `output has ${failed} failed check${failed === 1 ? '' : 's'}`);
    return failed === 0 ? EXIT.OK : EXIT.FAILURE;
  } finally {
    await client.close();
  }
}

export async function outputChecks(
  client: Client,
  cfg: ElasticsearchOutputConfig,
  scrub: (t: string) => string,
): Promise<OutputCheck[]> {
  const checks: OutputCheck[] = [];
  // Hosts may carry user info (`https://elastic:password@es:9200`): never print the password.
  const where = cfg.cloudId !== undefined ? 'Elastic Cloud' : (cfg.hosts ?? []).map(maskUrl).join(', ');
  let version: string;
  try {
    const info = await client.info();
    version = info.version.number;
    checks.push({ name: 'connect', ok: true, detail: `${where} answered as cluster "${info.cluster_name}"` });
  } catch (e) {
    checks.push({ name: 'connect', ok: false, detail: `${where}: ${describeEsError(e, scrub).reason}` });
    return checks;
  }
  const major = Number(version.split('.')[0]);
  checks.push({
    name: 'version',
    ok: major === 8 || major === 9,
    detail:
      major === 8 || major === 9
        ? `Elasticsearch ${version} (casguard speaks the 8.x REST dialect, accepted by 8.x and 9.x)`
        : `Elasticsearch ${version} is not supported (8.x or 9.x needed)`,
  });

  const streams = [targetName('activesync', cfg.namespace), targetName('application', cfg.namespace)];
  const alerts = targetName('alerts', cfg.namespace);
  try {
    const r = await client.security.hasPrivileges({
      cluster: [...WRITE_CLUSTER_PRIVILEGES, ...SETUP_CLUSTER_PRIVILEGES],
      index: [
        { names: streams, privileges: ['create_doc', 'auto_configure', 'view_index_metadata'] },
        { names: [alerts], privileges: ['index', 'create_index', 'view_index_metadata'] },
      ],
    });
    const missing = (group: 'write' | 'setup'): string[] => {
      const out: string[] = [];
      const clusterWanted: readonly string[] =
        group === 'write' ? WRITE_CLUSTER_PRIVILEGES : SETUP_CLUSTER_PRIVILEGES;
      for (const p of clusterWanted) if (r.cluster[p] === false) out.push(`cluster:${p}`);
      for (const [index, privs] of Object.entries(r.index)) {
        for (const [p, granted] of Object.entries(privs)) {
          const isSetup = p === 'create_index' || p === 'view_index_metadata';
          if (!granted && (group === 'setup') === isSetup) out.push(`${index}:${p}`);
        }
      }
      return out;
    };
    const w = missing('write');
    const s = missing('setup');
    checks.push({
      name: 'privileges to write',
      ok: w.length === 0,
      detail:
        w.length === 0
          ? `user ${r.username} may write to ${[...streams, alerts].join(', ')}`
          : `missing ${w.join(', ')}`,
    });
    checks.push({
      name: 'privileges to set up',
      ok: s.length === 0,
      detail:
        s.length === 0
          ? 'may install ILM policies, templates, data streams'
          : `missing ${s.join(', ')} (needed by casguard setup only)`,
    });
  } catch (e) {
    const d = describeEsError(e, scrub);
    // A cluster without security (open local test clusters) has no _has_privileges: nothing to check.
    const noSecurity =
      e instanceof errors.ResponseError && // ES says e.g. "Security must be explicitly enabled when using a [basic] license" or "security is disabled".
      /security.*(not enabled|disabled|must be explicitly enabled)/i.test(JSON.stringify(e.body));
    checks.push({
      name: 'privileges',
      ok: noSecurity,
      detail: noSecurity ? 'security is not enabled on this cluster; no privileges to check' : d.reason,
    });
  }

  try {
    const r = await client.indices.getDataStream({ name: streams.join(',') });
    const have = new Set(r.data_streams.map((d) => d.name));
    const absent = streams.filter((s) => !have.has(s));
    checks.push({
      name: 'data streams',
      ok: absent.length === 0,
      detail:
        absent.length === 0
          ? `${streams.join(', ')} exist`
          : `${absent.join(', ')} absent: run casguard setup`,
    });
  } catch (e) {
    const d = describeEsError(e, scrub);
    checks.push({
      name: 'data streams',
      ok: false,
      detail: d.status === 404 ? `${streams.join(', ')} absent: run casguard setup` : d.reason,
    });
  }
  return checks;
}
