// `casguard replay FILE...`: read the given files once to the end, ship everything, wait until every record
// is delivered or dead-lettered, print a summary and exit (0, or 4 when something was dead-lettered).

import type { Command } from 'commander';
import path from 'node:path';
import { Agent } from '../agent.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { loadOrReport } from './run-command.js';

export function registerReplay(program: Command, io: CliIo): void {
  program
    .command('replay')
    .description(
      'read the given files once to the end (a backfill), ship everything, print a summary and exit',
    )
    .argument('<file...>', 'log files or exports to read')
    .option(
      '-c, --config <file>',
      'config file (outputs, rules, dataDir); default: $CASGUARD_CONFIG or the embedded default',
    )
    .option('-f, --format <name>', "format of every file ('auto' recognises each file)", 'auto')
    .action(async (files: string[], opts: { config?: string; format: string }) => {
      const loaded = loadOrReport(opts.config, io);
      if (!loaded) return;
      const started = Date.now();
      let agent: Agent | undefined;
      try {
        agent = await Agent.create({
          loaded,
          print: (line) => io.out(line),
          format: opts.format,
          replay: true,
        });
        const summary = await agent.replay(files.map((f) => path.resolve(f)));
        const secs = (Date.now() - started) / 1000;
        io.out(
          `replay done: ${summary.files} file(s), ${summary.records} record(s), ${summary.documents} document(s) shipped, ` +
            `${summary.deadLetters} dead letter(s) in ${secs.toFixed(1)} s`,
        );
        if (summary.deadLetters > 0) io.out(`dead letters: ${agent.deadLetterFile}`);
        io.setExitCode(summary.deadLetters > 0 ? EXIT.DEAD_LETTERS : EXIT.OK);
      } catch (err) {
        io.err(`casguard replay: ${err instanceof Error ? err.message : String(err)}`);
        io.setExitCode(EXIT.FAILURE);
      } finally {
        await agent?.stop();
      }
    });
}
