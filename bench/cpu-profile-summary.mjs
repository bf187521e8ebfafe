// Self time of a V8 CPU profile (`node --cpu-prof`), summed by function and by file, largest first.
// Usage: node bench/cpu-profile-summary.mjs <file.cpuprofile | folder> [--top 40] [--lines 200000]
// A folder: its newest .cpuprofile. `--lines` adds a µs-per-line column (the profile's lines of input).
// Files are shown relative to the working directory (node_modules/... and node:... as they are); V8's own
// entries ("(garbage collector)", "(program)", "(idle)") are their own file.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const top = opt('--top', 40);
const lines = opt('--lines', 0);
let file = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
if (!file) {
  console.error('usage: node bench/cpu-profile-summary.mjs <file.cpuprofile | folder> [--top N] [--lines N]');
  process.exit(2);
}
if (statSync(file).isDirectory()) {
  const dir = file;
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ f: path.join(dir, f), t: statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t)[0];
  if (!newest) throw new Error(`no .cpuprofile in ${dir}`);
  file = newest.f;
}
const prof = JSON.parse(readFileSync(file, 'utf8'));

// Sample i lasted timeDeltas[i + 1] (the delta before the next sample); the last one gets the mean.
const byNode = new Map();
const { samples, timeDeltas } = prof;
let total = 0;
for (let i = 0; i < samples.length; i++) {
  const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : (prof.endTime - prof.startTime) / samples.length;
  byNode.set(samples[i], (byNode.get(samples[i]) ?? 0) + dt);
  total += dt;
}
const cwd = process.cwd();
const shortUrl = (u) => {
  if (!u) return '';
  const p = u.startsWith('file://') ? decodeURIComponent(u.slice(7)) : u;
  return p.startsWith(cwd) ? path.relative(cwd, p) : p.replace(/^.*\/node_modules\//, 'node_modules/');
};
const byFn = new Map();
const byFile = new Map();
for (const n of prof.nodes) {
  const t = byNode.get(n.id);
  if (!t) continue;
  const cf = n.callFrame;
  const f = shortUrl(cf.url) || cf.functionName || '(native)';
  const key = `${cf.functionName || '(anonymous)'}  ${f}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
  byFile.set(f, (byFile.get(f) ?? 0) + t);
}
const active = total - (byFile.get('(idle)') ?? 0);
const show = (title, m) => {
  console.log(`\n${title}`);
  console.log(`${'ms'.padStart(9)} ${'%act'.padStart(6)}${lines ? ' µs/line' : ''}  name`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const ms = t / 1000;
    const per = lines ? ` ${(t / lines).toFixed(3).padStart(7)}` : '';
    // Idle is not part of the active time it would be a share of.
    const pct = k.startsWith('(idle)') ? '-' : ((100 * t) / active).toFixed(1);
    console.log(`${ms.toFixed(1).padStart(9)} ${pct.padStart(6)}${per}  ${k}`);
  }
};
console.log(
  `${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled, ${(active / 1e6).toFixed(2)} s not idle` +
    (lines ? ` (${(active / lines).toFixed(2)} µs per line)` : ''),
);
show('self time by file', byFile);
show('self time by function', byFn);
