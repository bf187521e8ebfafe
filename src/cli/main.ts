#!/usr/bin/env node
// Entry point of the `casguard` binary.

import './heap-tuning.js';
import { redactText } from '../pipeline/redact.js';
import { processIo } from './io.js';
import { runCli } from './program.js';

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
