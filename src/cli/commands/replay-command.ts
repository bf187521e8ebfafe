// `casguard replay FILE...`: read the given files once to the end, ship everything, wait until every record
// is delivered or dead-lettered, print a summary and exit (0; 4 when something was dead-lettered; 5 when a
// named file could not be read or recognised). Progress is shown while it reads (replay-progress.ts).
// `casguard replay --dead-letters [FILE|DIR...]`: re-send the documents of dead-letter files once the cause
// is fixed (default: every file under <dataDir>/dead-letter); see replay-dead-letters.ts.

import { openSync, closeSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { Option } from 'commander';
import path from 'node:path';
import { formatNames } from '../../normalize/formats/index.js';
import { describeError } from '../../pipeline/errors.js';
import { healthConditions } from '../../telemetry/health.js';
import { Agent } from '../agent.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { ReplayProgress, readCounts, type ProgressFile } from '../replay-progress.js';
import { whereLines } from '../where-lines.js';
import { loadOrReport } from './config-or-report.js';

interface ReplayOptions {
  config?: string;
  format: string;
  deadLetters?: boolean;
  progress: boolean;
  progressEvery: string;
  workers: string;
}

/**
 * The --workers value `auto` gives: one worker per core but one (as this process may use them: `taskset` and
 * cgroup limits count), at most one per file, and at least two on two cores or more; 1 (no worker) on one core.
 * `--workers N` starts at most one worker per file, so one file gets one worker: it frames, parses, normalizes and
 * serializes while the main thread runs detection, the outputs and the acknowledgements (about a third of the
 * work per line). On 2 vCPUs (bench/README.md, 2026-12-07): 4 IIS files of 250,000 lines with 2 workers at
 * 1.17-1.24x the lines/s of one thread pinned to one core, one file of 1,000,000 lines with one worker at about
 * 1.35x (it was 0.84-0.91x before the workers' ids and projections stopped crossing as strings, when `auto` gave
 * one thread on 2 vCPUs).
 */
export function autoWorkers(files: number, cores = availableParallelism()): number {
  if (cores < 2) return 1;
  return Math.max(2, Math.min(cores - 1, files));
}

/** The --workers value: 'auto' or a whole number from 1 to 64; undefined when it is neither. */
function parseWorkers(v: string, files: number): number | undefined {
  if (v === 'auto') return autoWorkers(files);
  if (!/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 && n <= 64 ? n : undefined;
}

/** Whether progress bars can be drawn: a terminal on stderr (where they go), colour or not. */
export type TtyCheck = () => NodeJS.WriteStream | undefined;
const stderrTty: TtyCheck = () =>
  process.stderr.isTTY && process.env['TERM'] !== 'dumb' ? process.stderr : undefined;

/** The named files that can be read, and a sentence for each that cannot. */
function checkFiles(files: readonly string[]): { readable: ProgressFile[]; problems: string[] } {
  const readable: ProgressFile[] = [];
  const problems: string[] = [];
  for (const f of files) {
    const abs = path.resolve(f);
    let size: number;
    try {
      const st = statSync(abs);
      if (st.isDirectory()) {
        problems.push(`${f}: is a folder; name the files in it (e.g. ${path.join(f, '*')})`);
        continue;
      }
      size = st.size;
      closeSync(openSync(abs, 'r'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : describeError(err);
      problems.push(`${f}: cannot read it (${why})`);
      continue;
    }
    if (size === 0) {
      problems.push(`${f}: is empty; nothing to read`);
      continue;
    }
    readable.push({ path: abs, size });
  }
  return { readable, problems };
}

/** How often `replay` says that it waits for a failing output (it keeps trying until Ctrl+C). */
const WAITING_EVERY_MS = 10_000;

/**
 * While an output fails (a /health condition `output:*`) or Elasticsearch refuses documents item by item for a
 * reason only an operator can fix (`documents:*`: 401/403 on a target, an index it may not create), one line
 * every 10 s saying so: neither must look like a hang. The documents are kept and retried; Ctrl+C stops (they
 * stay spooled).
 */
function waitingForOutput(io: CliIo): NodeJS.Timeout {
  const t = setInterval(() => {
    for (const [key, c] of Object.entries(healthConditions())) {
      const state = typeof c['state'] === 'string' ? c['state'] : '';
      const reason = typeof c['reason'] === 'string' ? c['reason'] : '';
      if (key.startsWith('output:'))
        io.err(
          `casguard replay: waiting for ${key.slice('output:'.length)} (${state}: ${reason}); ` +
            'documents are kept and retried; Ctrl+C stops (nothing is lost: replay the files again later)',
        );
      else if (key.startsWith('documents:'))
        io.err(
          `casguard replay: waiting for ${key.slice('documents:'.length)}, which refuses documents for ` +
            `${typeof c['target'] === 'string' ? c['target'] : 'a target'} (${state}: ${reason}); ` +
            'they are kept and retried until it accepts them (casguard test output says which privilege or ' +
            'setup step is missing); Ctrl+C stops (nothing is lost: replay the files again later)',
        );
    }
  }, WAITING_EVERY_MS);
  t.unref();
  return t;
}

function n(x: number): string {
  return x.toLocaleString('en-US');
}

export function registerReplay(program: Command, io: CliIo, tty: TtyCheck = stderrTty): void {
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
    .addOption(
      new Option('-f, --format <name>', "format of every file ('auto' recognises each file)")
        .choices(['auto', ...formatNames()])
        .default('auto'),
    )
    .option('--dead-letters', 're-send the documents of dead-letter files (default: <dataDir>/dead-letter)')
    .option('--no-progress', 'no progress bar or progress lines while reading')
    .option(
      '--workers <n|auto>',
      'worker threads that frame, parse, normalize, enrich and serialize the files (detection, outputs and ' +
        'acknowledgements stay in one ordered stream); 1 (default): none; auto: one per core but one (at least two), ' +
        'at most one per file (faster on two cores or more, for more CPU and memory: bench/README.md)',
      '1',
    )
    .option(
      '--progress-every <seconds>',
      'seconds between progress lines when stderr is not a terminal (a bar is drawn on a terminal)',
      '5',
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  casguard replay /logs/W3SVC1/u_ex2609*.log             backfill IIS logs (format recognised)',
        '  casguard replay -c casguard.yml --format httpproxy *.LOG',
        '  casguard replay --workers auto u_ex2609*.log           worker threads on every core but one (default: one thread)',
        '  casguard replay --dead-letters                         re-send dead letters once the cause is fixed',
        '',
        'Exit codes: 0 all shipped; 4 some records or documents dead-lettered; 5 a named file missing,',
        'unreadable, a folder, empty or not recognised (the others were read); 1 bad config; 2 bad command line.',
      ].join('\n'),
    )
    .action(async (files: string[], opts: ReplayOptions) => {
      if (files.length === 0 && !opts.deadLetters) {
        io.err('casguard replay: give at least one file (or --dead-letters)');
        io.setExitCode(EXIT.USAGE);
        return;
      }
      const loaded = loadOrReport(opts.config, io);
      if (!loaded) return;
      for (const line of whereLines(loaded)) io.err(`casguard: ${line}`);
      const started = Date.now();
      const secs = (): string => ((Date.now() - started) / 1000).toFixed(1);
      let agent: Agent | undefined;
      try {
        if (opts.deadLetters) {
          agent = await Agent.create({ loaded, print: (line) => io.out(line), replay: true });
          const waiting = waitingForOutput(io);
          const results = await agent
            .replayDeadLetters(files.map((f) => path.resolve(f)))
            .finally(() => clearInterval(waiting));
          await agent.stop();
          const resent = results.reduce((s, r) => s + r.resent, 0);
          const kept = results.reduce((s, r) => s + r.notDocuments + r.unreadable, 0);
          const again = agent.deadLetterTally.documents;
          io.out(
            `dead-letter replay done in ${secs()} s: ${n(resent)} document(s) re-sent, ${n(resent - again)} stored, ` +
              `${n(again)} refused again (kept once, in ${agent.deadLetterFile}); ${n(kept)} record(s) that never ` +
              'became documents kept (replay their source files)',
          );
          if (agent.alreadyStored > 0)
            io.out(
              `${n(agent.alreadyStored)} of them were already stored in Elasticsearch and not sent again`,
            );
          io.setExitCode(again > 0 ? EXIT.DEAD_LETTERS : EXIT.OK);
          return;
        }
        const { readable, problems } = checkFiles(files);
        const workers = parseWorkers(opts.workers, readable.length);
        if (workers === undefined) {
          io.err(
            `casguard replay: --workers must be 'auto' or a number from 1 to 64 (got '${opts.workers}')`,
          );
          io.setExitCode(EXIT.USAGE);
          return;
        }
        if (readable.length === 0) {
          for (const p of problems) io.err(`casguard replay: ${p}`);
          io.setExitCode(EXIT.INPUT_PROBLEM);
          return;
        }
        agent = await Agent.create({
          loaded,
          print: (line) => io.out(line),
          format: opts.format,
          replay: true,
        });
        const stream = opts.progress ? tty() : undefined;
        const progress = opts.progress
          ? new ReplayProgress({
              files: readable,
              tty: stream !== undefined,
              ...(stream ? { stream } : {}),
              print: (line) => io.err(line),
              ...(stream ? {} : { intervalMs: Math.max(0.1, Number(opts.progressEvery) || 5) * 1000 }),
            })
          : undefined;
        progress?.start();
        const waiting = waitingForOutput(io);
        let summary;
        try {
          summary = await agent.replay(
            readable.map((f) => f.path),
            { workers },
          );
        } finally {
          clearInterval(waiting);
          await progress?.stop();
        }
        for (const s of summary.inputs.flatMap((i) => i.skipped))
          problems.push(`${s}: not recognised by any format (try --format <name>), or not readable`);
        for (const s of summary.inputs.flatMap((i) => i.stopped))
          problems.push(
            `${s.path}: reading stopped at byte ${n(s.offset)}: ${s.error}; the rest of the file was not replayed (replay it again: what was stored is not stored twice)`,
          );
        if (opts.format !== 'auto') {
          const counts = await readCounts();
          const skipped = new Set(summary.inputs.flatMap((i) => i.skipped));
          for (const f of readable)
            if (!skipped.has(f.path) && (counts.get(f.path)?.records ?? 0) === 0)
              problems.push(
                `${f.path}: --format ${opts.format} read no record from its ${n(f.size)} bytes (is it in the ${opts.format} format? try --format auto)`,
              );
        }
        // The stop prints the final count of every alert (console output) before the summary.
        await agent.stop();
        const t = agent.tally;
        const letters = agent.deadLetterTally;
        io.out(
          `replay done in ${secs()} s: ${n(summary.files)} file(s), ${n(summary.records)} record(s) read, ` +
            `${n(t.documents)} document(s) made, ${n(Math.max(0, t.documents - letters.documents))} stored, ` +
            `${n(t.alerts)} alert(s); dead letters: ${n(letters.records)} record(s) not parsed, ` +
            `${n(letters.documents)} document(s) refused by the output` +
            (summary.workers > 0 ? `; ${summary.workers} worker threads` : ''),
        );
        if (agent.alreadyStored > 0)
          io.out(
            `${n(agent.alreadyStored)} document(s) were already stored in Elasticsearch (in some backing index) and not sent again`,
          );
        for (const p of problems) io.err(`casguard replay: ${p}`);
        if (letters.records + letters.documents > 0) io.out(`dead letters: ${agent.deadLetterFile}`);
        io.setExitCode(
          problems.length > 0
            ? EXIT.INPUT_PROBLEM
            : letters.records + letters.documents > 0
              ? EXIT.DEAD_LETTERS
              : EXIT.OK,
        );
      } catch (err) {
        io.err(`casguard replay: ${err instanceof Error ? err.message : String(err)}`);
        io.setExitCode(EXIT.FAILURE);
      } finally {
        await agent?.stop();
      }
    });
}
