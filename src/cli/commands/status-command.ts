// `casguard status`: the agents of this agent's array and their health, from their status documents in
// Elasticsearch (README "Array mode"): state, when last heard of, lag, spool, dead letters, alerts, output health,
// and STALE for an agent silent for more than three of its status intervals. Without a cluster (none configured,
// `--local`, or unreachable) it shows this host's own agent from <dataDir>/status.json.

import type { Command } from 'commander';
import path from 'node:path';
import { EsDocStore } from '../../outputs/array/doc-store.js';
import {
  readFleet,
  readLocalStatus,
  STALE_INTERVALS,
  type AgentView,
} from '../../outputs/array/fleet-reader.js';
import { createEsClient } from '../../outputs/elasticsearch/es-client.js';
import { describeError } from '../../pipeline/errors.js';
import { agentsIndexName } from '../../setup/agent-status-fields.js';
import { nullLogger } from '../../telemetry/logger.types.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { loadOrReport } from './config-or-report.js';
import { examples } from '../help-examples.js';

export function registerStatus(program: Command, io: CliIo): void {
  program
    .command('status')
    .addHelpText(
      'after',
      examples([
        "casguard status -c casguard.yml                        every agent of this agent's array",
        'casguard status --local                                this host only, without a cluster',
        'casguard status --json | jq .                          for monitoring scripts',
      ]),
    )
    .description(
      "list the agents of this agent's array from their status documents (STALE: silent > 3 intervals)",
    )
    .option('-c, --config <file>', 'config file (default: $CASGUARD_CONFIG or the embedded default)')
    .option('--local', "show only this host's agent (its status file), without asking the cluster")
    .option('--json', 'print the agents as JSON')
    .action(async (o: { config?: string; local?: boolean; json?: boolean }) => {
      io.setExitCode(await status(o, io));
    });
}

const ago = (ms: number): string =>
  ms < 90_000
    ? `${Math.round(ms / 1000)}s ago`
    : ms < 5_400_000
      ? `${Math.round(ms / 60_000)}m ago`
      : `${Math.round(ms / 3_600_000)}h ago`;

function bytes(b: number): string {
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / 1024 / 1024).toFixed(1)} MiB`;
}

function table(agents: readonly AgentView[]): string[] {
  const head = [
    'AGENT',
    'ID',
    'STATE',
    'LAST SEEN',
    'FILES',
    'LAG',
    'LAG S',
    'SPOOL',
    'DLQ',
    'ALERTS',
    'OUTPUT',
    '',
  ];
  const rows = agents.map((a) => [
    a.name,
    a.id.slice(0, 8),
    a.state,
    ago(a.silentMs),
    String(a.files),
    bytes(a.lagBytes),
    String(a.lagSeconds),
    bytes(a.spoolBytes),
    String(a.deadLetters),
    String(a.alertsRaised),
    a.outputHealth,
    a.stale
      ? `STALE (silent ${Math.round(a.silentMs / 1000)}s > ${STALE_INTERVALS} × ${a.intervalMs / 1000}s)`
      : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

async function status(o: { config?: string; local?: boolean; json?: boolean }, io: CliIo): Promise<number> {
  const loaded = loadOrReport(o.config, io);
  if (!loaded) return EXIT.CONFIG_INVALID;
  const { config, baseDir } = loaded;
  const now = Date.now();
  const es = config.outputs.elasticsearch;
  const namespace = es?.namespace ?? 'default';
  const array = config.array.name ?? namespace;
  const localFile = path.join(path.resolve(baseDir, config.dataDir), 'status.json');
  const printLocal = async (why: string): Promise<number> => {
    const me = await readLocalStatus(localFile, now);
    if (o.json) io.out(JSON.stringify(me ? [me] : [], null, 2));
    else {
      io.out(`${why}: this host's agent only (${localFile})`);
      if (me) for (const l of table([me])) io.out(l);
      else io.out('  no status yet: the agent has not run here with this data folder');
    }
    return me ? EXIT.OK : EXIT.FAILURE;
  };
  if (!es || o.local) return printLocal(es ? '--local' : 'no Elasticsearch configured');
  const { client, scrub } = createEsClient(es, nullLogger, 'elasticsearch');
  const store = new EsDocStore(client, scrub, Math.min(es.requestTimeoutMs, 15_000));
  try {
    const agents = await readFleet(store, agentsIndexName(namespace), array, now);
    if (o.json) {
      io.out(JSON.stringify(agents, null, 2));
      return EXIT.OK;
    }
    const stale = agents.filter((a) => a.stale).length;
    io.out(
      `array ${array}: ${agents.length} agent${agents.length === 1 ? '' : 's'}${stale > 0 ? `, ${stale} stale` : ''} (${agentsIndexName(namespace)})`,
    );
    if (agents.length > 0) for (const l of table(agents)) io.out(l);
    return EXIT.OK;
  } catch (e) {
    io.err(`cannot read the agents' status from Elasticsearch: ${scrub(describeError(e))}`);
    await printLocal('cluster unreachable');
    return EXIT.FAILURE;
  } finally {
    await store.close();
  }
}
