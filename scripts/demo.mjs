#!/usr/bin/env node
// The README's first command ends here: drop the sample logs (a KB 2851708 case) into ./inbox and run the
// agent on its embedded default, so documents appear under ./data/out and the alert is printed. When the agent
// stops (Ctrl+C), write the HTML incident report from ./data/out and print where it is.
// `npm run demo` runs this file alone (it builds first itself), so no shell list stands between npm and the
// agent; the Ctrl+C handling below keeps npm's script shell out of the stop as well.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], {
  cwd: root,
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
if (build.status !== 0) {
  console.error(`casguard demo: the build failed (npm run build exited ${build.status ?? build.signal})`);
  process.exit(1);
}
// npm runs scripts in the package folder; the demo's files go where the user typed the command.
const base = process.env.INIT_CWD ?? process.cwd();
const inbox = path.resolve(base, process.env.CASGUARD_INBOX ?? 'inbox');
mkdirSync(inbox, { recursive: true });
for (const name of readdirSync(path.join(root, 'samples'))) {
  copyFileSync(path.join(root, 'samples', name), path.join(inbox, name));
}
console.log(
  `casguard demo: copied the sample logs into ${inbox}; documents go to ./data/out (Ctrl+C to stop, then the report is written)`,
);
const child = spawn(
  process.execPath,
  [path.join(root, 'dist/cli/main.js'), 'run', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    cwd: base,
  },
);
// Ctrl+C on a terminal: the terminal is put in raw mode, so the keypress arrives here as a byte instead of a
// SIGINT to the whole foreground process group. Otherwise npm's script shell (dash on Debian) would get that
// SIGINT too, re-raise it once the demo ends and make npm exit 130 after a clean stop. Each Ctrl+C is passed
// to the agent as one SIGINT, as the terminal would: the first stops it cleanly, a second within a second is
// taken as the same request, a third within a few seconds makes it exit at once (saying so).
// A signal sent to this script alone (kill, a service manager, Ctrl+C where stdin is not a terminal) is passed
// on once per signal name, so a stop is never escalated from here.
const keyboard = process.stdin.isTTY ? process.stdin : undefined;
if (keyboard) {
  keyboard.setRawMode(true);
  keyboard.on('data', (bytes) => {
    if (!bytes.includes(0x03) || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
  });
}
const forwarded = new Set();
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    if (forwarded.has(sig) || child.exitCode !== null) return;
    forwarded.add(sig);
    child.kill(sig);
  });
child.on('exit', (code, signal) => {
  if (keyboard) {
    keyboard.setRawMode(false);
    keyboard.pause();
  }
  process.exitCode = code ?? (signal ? 0 : 1);
  const report = path.resolve(base, 'report.html');
  // The same configuration as the agent ran with (the embedded default unless --config was given).
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === '--config' || a === '-c');
  const config = at >= 0 && args[at + 1] ? ['--config', args[at + 1]] : [];
  const r = spawnSync(
    process.execPath,
    [path.join(root, 'dist/cli/main.js'), 'report', ...config, '--out', report],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: base,
    },
  );
  if (r.status === 0) console.log(`casguard demo: the incident report is ${report} (open it in a browser)`);
  else console.log(`casguard demo: no report written (casguard report exited ${r.status})`);
});
