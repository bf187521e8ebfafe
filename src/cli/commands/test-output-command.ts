// `casguard test output`: connects to the configured Elasticsearch, checks its version and, with
// `_has_privileges`, the privileges each command needs (src/setup/roles.ts): those of `run` decide the result
// (FAILED, exit 3), those of `setup` are reported as a note when missing (a writer key is not meant to set up),
// with the role to create. Prints each check as ok, note or FAILED with the reason. Never prints
// a credential (every message goes through the output's scrubber).

import type { Command } from 'commander';
import { errors } from '@elastic/elasticsearch';
import type { Client } from '@elastic/elasticsearch';
import { createEsClient, describeEsError } from '../../outputs/elasticsearch/es-client.js';
import type { ElasticsearchOutputConfig } from '../../outputs/elasticsearch/elasticsearch.config.js';
import { targetName } from '../../outputs/elasticsearch/targets.js';
import { maskUrl, redactText } from '../../pipeline/redact.js';
import {
  SETUP_ROLE,
  SETUP_ROLE_NAME,
  WRITER_ROLE,
  WRITER_ROLE_NAME,
  hasPrivilegesBody,
  replayNeeds,
  setupNeeds,
  writerNeeds,
} from '../../setup/roles.js';
import type { NeededPrivilege, RoleDescriptorBody } from '../../setup/roles.js';
import type { Logger } from '../../telemetry/logger.types.js';
import { nullLogger } from '../../telemetry/logger.types.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { elasticsearchOrReport } from './config-or-report.js';
import { examples } from '../help-examples.js';

export interface OutputCheck {
  readonly name: string;
  /** ok; failed (`run` would fail: exit 3); note (something another command needs, or unknown: no failure). */
  readonly status: 'ok' | 'failed' | 'note';
  readonly detail: string;
  /** Lines printed after the check (the role to create). */
  readonly more?: readonly string[];
}

export function registerTestOutput(test: Command, io: CliIo, opts: { logger?: Logger } = {}): void {
  test
    .command('output')
    .addHelpText(
      'after',
      examples([
        'casguard test output -c casguard.yml',
        'CASGUARD_ES_HOSTS=https://es:9200 CASGUARD_ES_API_KEY=id:key casguard test output',
      ]),
    )
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
      const tag = c.status === 'ok' ? 'ok     ' : c.status === 'note' ? 'note   ' : 'FAILED ';
      const print = (l: string): void => (c.status === 'failed' ? io.err(l) : io.out(l));
      print(`${tag} ${c.name}: ${c.detail}`);
      for (const l of c.more ?? []) print(`        ${l}`);
    }
    const failed = checks.filter((c) => c.status === 'failed').length;
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
  // `GET /` needs the cluster privilege `monitor`, which `run` does not: a writer key is refused there with 403,
  // which still proves the cluster answered and took the credentials.
  let version: string | undefined;
  try {
    const info = await client.info();
    version = info.version.number;
    checks.push({
      name: 'connect',
      status: 'ok',
      detail: `${where} answered as cluster "${info.cluster_name}"`,
    });
  } catch (e) {
    if (!(e instanceof errors.ResponseError && e.statusCode === 403)) {
      checks.push({
        name: 'connect',
        status: 'failed',
        detail: `${where}: ${describeEsError(e, scrub).reason}`,
      });
      return checks;
    }
    checks.push({ name: 'connect', status: 'ok', detail: `${where} answered and accepted the credentials` });
  }
  if (version === undefined) {
    checks.push({
      name: 'version',
      status: 'note',
      detail:
        'not readable with these credentials (GET / needs the cluster privilege monitor, which run does not need)',
    });
  } else {
    const major = Number(version.split('.')[0]);
    const supported = major === 8 || major === 9;
    checks.push({
      name: 'version',
      status: supported ? 'ok' : 'failed',
      detail: supported
        ? `Elasticsearch ${version} (casguard speaks the 8.x REST dialect, accepted by 8.x and 9.x)`
        : `Elasticsearch ${version} is not supported (8.x or 9.x needed)`,
    });
  }

  const streams = [targetName('activesync', cfg.namespace), targetName('application', cfg.namespace)];
  const writer = writerNeeds(cfg.namespace);
  const setup = setupNeeds(cfg.namespace);
  const replay = replayNeeds(cfg.namespace);
  try {
    const r = await client.security.hasPrivileges(hasPrivilegesBody([...writer, ...replay, ...setup]));
    const held = (n: NeededPrivilege): boolean =>
      n.on === 'cluster' ? r.cluster[n.privilege] === true : r.index[n.on]?.[n.privilege] === true;
    const list = (ns: NeededPrivilege[]): string =>
      ns.map((n) => `${n.on === 'cluster' ? 'cluster' : n.on}:${n.privilege} (${n.why})`).join(', ');
    const w = writer.filter((n) => !held(n));
    checks.push(
      w.length === 0
        ? {
            name: 'privileges for run',
            status: 'ok',
            detail: `${r.username} may write documents to ${streams.join(', ')} and alerts to ${targetName('alerts', cfg.namespace)}`,
          }
        : {
            name: 'privileges for run',
            status: 'failed',
            detail: `casguard run would fail: ${r.username} lacks ${list(w)}`,
            more: roleAdvice(WRITER_ROLE_NAME, WRITER_ROLE),
          },
    );
    const rMissing = replay.filter((n) => !held(n));
    checks.push({
      name: 'privileges for replay',
      status: rMissing.length === 0 ? 'ok' : 'note',
      detail:
        rMissing.length === 0
          ? 'replay can skip documents the streams already hold in an older backing index'
          : `replay works, but without ${list(rMissing)} a replay of files shipped before a rollover stores them twice`,
    });
    const sMissing = setup.filter((n) => !held(n) && n.optional !== true);
    const sOptional = setup.filter((n) => !held(n) && n.optional === true);
    checks.push(
      sMissing.length === 0
        ? {
            name: 'privileges for setup',
            status: sOptional.length === 0 ? 'ok' : 'note',
            detail:
              sOptional.length === 0
                ? 'may install the ILM policy, templates, data streams and the alerts index'
                : `setup would work, without ${list(sOptional)}`,
          }
        : {
            name: 'privileges for setup',
            status: 'note',
            detail:
              `casguard setup would fail with these credentials: needs ${list(sMissing)}` +
              ' (run does not need them; use a key with the setup role for setup)',
            more: roleAdvice(SETUP_ROLE_NAME, SETUP_ROLE),
          },
    );
  } catch (e) {
    const d = describeEsError(e, scrub);
    // A cluster without security (open local test clusters) has no _has_privileges: nothing to check.
    const noSecurity =
      e instanceof errors.ResponseError && // ES says e.g. "Security must be explicitly enabled when using a [basic] license" or "security is disabled".
      /security.*(not enabled|disabled|must be explicitly enabled)/i.test(JSON.stringify(e.body));
    checks.push({
      name: 'privileges',
      status: noSecurity ? 'ok' : 'failed',
      detail: noSecurity ? 'security is not enabled on this cluster; no privileges to check' : d.reason,
    });
  }

  try {
    const r = await client.indices.getDataStream({ name: streams.join(',') });
    const have = new Set(r.data_streams.map((d) => d.name));
    const absent = streams.filter((s) => !have.has(s));
    checks.push({
      name: 'data streams',
      status: absent.length === 0 ? 'ok' : 'note',
      detail:
        absent.length === 0
          ? `${streams.join(', ')} exist`
          : `${absent.join(', ')} absent: run casguard setup before the agent writes`,
    });
  } catch (e) {
    const d = describeEsError(e, scrub);
    checks.push({
      name: 'data streams',
      status: d.status === 404 ? 'note' : d.status === 403 ? 'note' : 'failed',
      detail:
        d.status === 404
          ? `${streams.join(', ')} absent: run casguard setup before the agent writes`
          : d.status === 403
            ? 'not visible with these credentials (needs view_index_metadata, which run does not need)'
            : d.reason,
    });
  }
  return checks;
}

/** The role to create, as `PUT /_security/role/<name>` with its body (also in the README). */
function roleAdvice(name: string, role: RoleDescriptorBody): string[] {
  return [
    `create the role ${name} (README "Elasticsearch privileges") and a key with it:`,
    `PUT /_security/role/${name} ${JSON.stringify(role)}`,
  ];
}
