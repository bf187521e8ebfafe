// `casguard run`: tail the configured inputs until SIGINT/SIGTERM/SIGBREAK, then stop gracefully.

import type { Command } from 'commander';
import { Agent, STOP_DEADLINE_MS } from '../agent.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { loadOrReport } from './config-or-report.js';

export function registerRun(program: Command, io: CliIo): void {
  program
    .command('run')
    .description('tail the configured inputs and ship until stopped (SIGINT, SIGTERM or SIGBREAK)')
    .option(
      '-c, --config <file>',
      'config file (default: $CASGUARD_CONFIG or the embedded default: ./inbox → ./data/out)',
    )
    .action(async (opts: { config?: string }) => {
      const loaded = loadOrReport(opts.config, io);
      if (!loaded) return;
      let agent: Agent;
      try {
        agent = await Agent.create({ loaded, print: (line) => io.out(line), metrics: true });
        await agent.start();
      } catch (err) {
        io.err(`casguard: cannot start: ${err instanceof Error ? err.message : String(err)}`);
        io.setExitCode(EXIT.FAILURE);
        return;
      }
      await new Promise<void>((resolve) => {
        let signalled = false;
        const onSignal = (sig: NodeJS.Signals): void => {
          if (signalled) return;
          signalled = true;
          agent.logger.info('stop requested', { signal: sig });
          // A hard deadline: even if a stage hangs, the process ends shortly after the stop deadline.
          setTimeout(() => {
            io.err('casguard: stop deadline passed; exiting');
            process.exit(EXIT.FAILURE);
          }, STOP_DEADLINE_MS + 800).unref();
          agent.stop().then(resolve, resolve);
        };
        for (const sig of ['SIGINT', 'SIGTERM', 'SIGBREAK'] as const) process.once(sig, onSignal);
      });
      io.setExitCode(EXIT.OK);
    });
}
