// `casguard report [--from DIR | --from-es] [--out report.html] [--since T] [--until T]`: a self-contained HTML
// incident report for a host without a SOC stack (or to mail one), with the Kibana dashboard's views: storms per
// device over time, the alerts with their explanation and the fix, Exchange hosts and builds, devices by iOS
// build, event 4999 per host, requests by EAS command and status. Default source: the file output's folder.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readEsDocuments } from '../../outputs/elasticsearch/report-source.js';
import { createEsClient } from '../../outputs/elasticsearch/es-client.js';
import { readFileOutput } from '../../outputs/file/file-output-reader.js';
import { renderReport } from '../../outputs/report/report-html.js';
import { ReportBuilder, type ReportData } from '../../outputs/report/report-model.js';
import { describeError } from '../../pipeline/errors.js';
import { nullLogger } from '../../telemetry/logger.types.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { loadOrReport } from './config-or-report.js';
import { examples } from '../help-examples.js';

interface ReportOptions {
  config?: string;
  from?: string;
  fromEs?: boolean;
  out: string;
  since?: string;
  until?: string;
}

function parseTime(what: string, v: string | undefined, io: CliIo): number | undefined | null {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) {
    io.err(`${what} must be a date/time such as 2013-09-19T14:00:00Z, got ${v}`);
    return null;
  }
  return t;
}

export function registerReport(program: Command, io: CliIo, version: string): void {
  program
    .command('report')
    .addHelpText(
      'after',
      examples([
        'casguard report                                        from ./data/out to ./report.html',
        'casguard report --from-es -c casguard.yml --since 2026-12-01T00:00:00Z --out storm.html',
      ]),
    )
    .description(
      'write a self-contained HTML incident report (storms, alerts and the fix, hosts, iOS builds)',
    )
    .option('-c, --config <file>', 'config file (default: $CASGUARD_CONFIG or the embedded default)')
    .option('--from <dir>', "the file output's folder (default: outputs.file.path, else <dataDir>/out)")
    .option('--from-es', 'read the documents and alerts from the configured Elasticsearch instead')
    .option('-o, --out <file>', 'where to write the report', 'report.html')
    .option('--since <time>', 'only events at or after this time (ISO 8601)')
    .option('--until <time>', 'only events before this time (ISO 8601)')
    .action(async (o: ReportOptions) => {
      io.setExitCode(await report(o, io, version));
    });
}

export async function report(o: ReportOptions, io: CliIo, version: string): Promise<number> {
  if (o.from !== undefined && o.fromEs === true) {
    io.err('use --from DIR or --from-es, not both');
    return EXIT.USAGE;
  }
  const since = parseTime('--since', o.since, io);
  const until = parseTime('--until', o.until, io);
  if (since === null || until === null) return EXIT.USAGE;
  const loaded = loadOrReport(o.config, io);
  if (!loaded) return EXIT.CONFIG_INVALID;
  const builder = new ReportBuilder({
    ...(since !== undefined ? { from: since } : {}),
    ...(until !== undefined ? { to: until } : {}),
  });
  let source: string;
  const generatedAt = new Date().toISOString();
  try {
    if (o.fromEs === true) {
      const es = loaded.config.outputs.elasticsearch;
      if (!es) {
        io.err('--from-es: no outputs.elasticsearch in the configuration (nor CASGUARD_ES_HOSTS)');
        return EXIT.CONFIG_INVALID;
      }
      const { client, scrub } = createEsClient(es, nullLogger, 'report');
      try {
        source = `Elasticsearch (namespace ${es.namespace})`;
        for await (const d of readEsDocuments(client, es.namespace, {
          ...(since !== undefined ? { from: since } : {}),
          ...(until !== undefined ? { to: until } : {}),
        }))
          builder.add(d.stream, d.id, d.doc);
      } catch (e) {
        io.err(`report FAILED: ${scrub(describeError(e))}`);
        return EXIT.FAILURE;
      } finally {
        await client.close();
      }
    } else {
      const fileOut = loaded.config.outputs.file?.path ?? path.join(loaded.config.dataDir, 'out');
      const dir = o.from ?? path.resolve(loaded.baseDir, fileOut);
      // Shown in the report: relative when under the current folder (no host path in a mailed report).
      const rel = path.relative(process.cwd(), path.resolve(dir));
      source = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(dir);
      for await (const d of readFileOutput(dir, (p) => builder.warnings.push(p)))
        builder.add(d.stream, d.id, d.doc);
    }
  } catch (e) {
    io.err(`report FAILED: ${describeError(e)}`);
    return EXIT.FAILURE;
  }
  const data: ReportData = builder.build({ source, generatedAt });
  for (const w of data.warnings.slice(0, 20)) io.err(`warning: ${w}`);
  try {
    mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
    writeFileSync(o.out, renderReport(data, { version }));
  } catch (e) {
    io.err(`report FAILED: cannot write ${o.out}: ${describeError(e)}`);
    return EXIT.FAILURE;
  }
  const range = data.range
    ? `events ${new Date(data.range.from).toISOString()} to ${new Date(data.range.to).toISOString()}`
    : 'no events';
  io.out(
    `wrote ${path.resolve(o.out)}: ${data.storms.length + data.stormsNotShown} storm device(s), ${data.alerts.length} alert(s), ${data.hosts.length} host(s); ${range}`,
  );
  return EXIT.OK;
}
