#!/usr/bin/env node
// The README's first command ends here: drop the sample logs (a KB 2851708 case) into ./inbox and run the
// agent on its embedded default, so documents appear under ./data/out and the alert is printed.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const inbox = path.resolve(process.env.CASGUARD_INBOX ?? 'inbox');
mkdirSync(inbox, { recursive: true });
for (const name of readdirSync(path.join(root, 'samples'))) {
  copyFileSync(path.join(root, 'samples', name), path.join(inbox, name));
}
console.log(
  `casguard demo: copied the sample logs into ${inbox}; documents go to ./data/out (Ctrl+C to stop)`,
);
const child = spawn(
  process.execPath,
  [path.join(root, 'dist/cli/main.js'), 'run', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 0 : 1);
});
