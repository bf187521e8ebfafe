// `casguard run`: tail the configured inputs until SIGINT/SIGTERM/SIGBREAK, then stop gracefully.
//
// Signals: the first asks for a graceful stop. A terminal's Ctrl+C reaches the whole process group and wrappers
// (npm, the demo script) forward it again, so signals within a second of the first are the same request. A
// later one only says that the stop is under way; another within a few seconds of that exits at once, saying
// so (what was not delivered is read again at the next start: checkpoints never ran ahead of delivery).

import type { Command } from 'commander';
import { Agent, STOP_DEADLINE_MS } from '../agent.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { logClusterHello } from '../es-hello.js';
import { RunStats } from '../run-stats.js';
import { whereLines } from '../where-lines.js';
import { loadOrReport } from './config-or-report.js';

/** Signals this soon after the first are duplicates of it (process group + forwarding wrappers). */
const SAME_REQUEST_MS = 1000;
/** A signal this soon after the "already stopping" notice exits at once. */
const FORCE_WINDOW_MS = 5000;

export function registerRun(program: Command, io: CliIo): void {
  program
    .command('run')
    .description('tail the configured inputs and ship until stopped (SIGINT, SIGTERM or SIGBREAK)')
    .option(
      '-c, --config <file>',
      'config file (default: $CASGUARD_CONFIG or the embedded default: ./inbox → ./data/out)',
    )
    .option(
      '--stats-interval <seconds>',
      'log the non-zero statistics of the last interval every this many seconds (0: never)',
      '30',
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  casguard run                          the embedded default: ./inbox → ./data/out, alerts on the console',
        '  casguard run -c /etc/casguard/casguard.yml',
        '  CASGUARD_ES_HOSTS=https://es:9200 CASGUARD_ES_API_KEY=... casguard run',
        '',
        'Ctrl+C (or SIGTERM) stops cleanly within a few seconds; press it again twice to exit at once.',
        'GET http://127.0.0.1:9464/health and /metrics while it runs (metrics.listen).',
      ].join('\n'),
    )
    .action(async (opts: { config?: string; statsInterval: string }) => {
      const statsSeconds = Number(opts.statsInterval);
      if (!Number.isFinite(statsSeconds) || statsSeconds < 0) {
        io.err(
          `casguard run: --stats-interval must be a number of seconds (0 or more), not '${opts.statsInterval}'`,
        );
        io.setExitCode(EXIT.USAGE);
        return;
      }
      const loaded = loadOrReport(opts.config, io);
      if (!loaded) return;
      for (const line of whereLines(loaded)) io.err(`casguard: ${line}`);
      let agent: Agent;
      try {
        agent = await Agent.create({ loaded, print: (line) => io.out(line), metrics: true });
        await agent.start();
      } catch (err) {
        io.err(`casguard: cannot start: ${err instanceof Error ? err.message : String(err)}`);
        io.setExitCode(EXIT.FAILURE);
        return;
      }
      const es = loaded.config.outputs.elasticsearch;
      const cancelHello = es
        ? logClusterHello(es, agent.logger.child({ component: 'output', output: 'elasticsearch' }))
        : undefined;
      const stats = new RunStats(agent, statsSeconds * 1000);
      stats.start();
      await new Promise<void>((resolve) => {
        let firstAt: number | undefined;
        let noticeAt: number | undefined;
        const onSignal = (sig: NodeJS.Signals): void => {
          const now = Date.now();
          if (firstAt === undefined) {
            firstAt = now;
            agent.logger.info('stop requested', { signal: sig });
            // A hard deadline: even if a stage hangs, the process ends shortly after the stop deadline.
            setTimeout(() => {
              io.err('casguard: stop deadline passed; exiting');
              process.exit(EXIT.FAILURE);
            }, STOP_DEADLINE_MS + 800).unref();
            cancelHello?.();
            agent.stop().then(resolve, resolve);
            return;
          }
          if (now - firstAt < SAME_REQUEST_MS) return;
          if (noticeAt !== undefined && now - noticeAt <= FORCE_WINDOW_MS) {
            io.err(
              `casguard: ${sig} again: exiting now without finishing the stop (records not yet delivered are read again at the next start)`,
            );
            process.exit(EXIT.FAILURE);
          }
          noticeAt = now;
          io.err(
            `casguard: already stopping (within ${Math.ceil(STOP_DEADLINE_MS / 1000)} s); send ${sig} again within ${FORCE_WINDOW_MS / 1000} s to exit at once`,
          );
        };
        for (const sig of ['SIGINT', 'SIGTERM', 'SIGBREAK'] as const) process.on(sig, onSignal);
      });
      stats.stop();
      io.err(`casguard: ${await stats.summary()}`);
      io.setExitCode(EXIT.OK);
    });
}
