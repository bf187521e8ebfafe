// `casguard replay FILE...`: read the given files once to the end, ship everything, wait until every record
// is delivered or dead-lettered, print a summary and exit (0, or 4 when something was dead-lettered).
// `casguard replay --dead-letters [FILE|DIR...]`: re-send the documents of dead-letter files once the cause
// is fixed (default: every file under <dataDir>/dead-letter).

import type { Command } from 'commander';
import path from 'node:path';
import { Agent } from '../agent.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { loadOrReport } from './config-or-report.js';

interface ReplayOptions {
  config?: string;
  format: string;
  deadLetters?: boolean;
}

export function registerReplay(program: Command, io: CliIo): void {
  program
    .command('replay')
    .description(
      'read the given files once to the end (a backfill), ship everything, print a summary and exit; ' +
        'with --dead-letters, re-send dead-lettered documents',
    )
    .argument('[file...]', 'log files or exports to read (with --dead-letters: dead-letter files or folders)')
    .option(
      '-c, --config <file>',
      'config file (outputs, rules, dataDir); default: $CASGUARD_CONFIG or the embedded default',
    )
    .option('-f, --format <name>', "format of every file ('auto' recognises each file)", 'auto')
    .option('--dead-letters', 're-send the documents of dead-letter files (default: <dataDir>/dead-letter)')
    .action(async (files: string[], opts: ReplayOptions) => {
      if (files.length === 0 && !opts.deadLetters) {
        io.err('casguard replay: give at least one file (or --dead-letters)');
        io.setExitCode(EXIT.USAGE);
        return;
      }
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
        const paths = files.map((f) => path.resolve(f));
        const secs = (): string => ((Date.now() - started) / 1000).toFixed(1);
        if (opts.deadLetters) {
          const results = await agent.replayDeadLetters(paths);
          const resent = results.reduce((n, r) => n + r.resent, 0);
          const notDocs = results.reduce((n, r) => n + r.notDocuments, 0);
          io.out(
            `dead-letter replay done: ${resent} document(s) re-sent, ${agent.deadLettersAgain} dead-lettered again, ` +
              `${notDocs} record(s) that never became documents left alone (replay their source files) in ${secs()} s`,
          );
          if (agent.alreadyStored > 0)
            io.out(`${agent.alreadyStored} of them were already stored in Elasticsearch and not sent again`);
          io.setExitCode(agent.deadLettersAgain > 0 ? EXIT.DEAD_LETTERS : EXIT.OK);
          return;
        }
        const summary = await agent.replay(paths);
        io.out(
          `replay done: ${summary.files} file(s), ${summary.records} record(s), ${summary.documents} document(s) shipped, ` +
            `${summary.deadLetters} dead letter(s) in ${secs()} s`,
        );
        if (agent.alreadyStored > 0)
          io.out(
            `${agent.alreadyStored} document(s) were already stored in Elasticsearch (in some backing index) and not sent again`,
          );
        const skipped = summary.inputs.flatMap((i) => i.skipped);
        if (skipped.length > 0) io.out(`not recognised or unreadable, skipped: ${skipped.join(', ')}`);
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
