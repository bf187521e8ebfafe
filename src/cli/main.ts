#!/usr/bin/env node
// Entry point of the `casguard` binary.

import './heap-tuning.js';
import { redactText } from '../pipeline/redact.js';
import { processIo } from './io.js';
import { runCli } from './program.js';

// Output piped into a program that stopped reading (`casguard export | head`): end quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });

runCli(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      redactText(`casguard: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`) +
        '\n',
    );
    process.exitCode = 3;
  },
);
