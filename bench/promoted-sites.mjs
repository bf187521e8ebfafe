// Summary of a sampling heap profile (bench/promoted-preload.mjs): sampled bytes by allocating function, with bytes
// per line when --lines is given; --stacks <fn> prints the callers of one function's samples.
// Usage: node bench/promoted-sites.mjs <file.heapprofile> [--lines 250000] [--top 30] [--stacks append]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args[0];
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? dflt : args[i + 1];
};
if (!file) {
  process.stderr.write(
    'usage: node bench/promoted-sites.mjs <file.heapprofile> [--lines N] [--top N] [--stacks fn]\n',
  );
  process.exit(2);
}
const lines = Number(opt('lines', 0));
const top = Number(opt('top', 30));
const stacksOf = opt('stacks', undefined);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const bySite = new Map();
const byStack = new Map();
let total = 0;
const walk = (node, stack) => {
  const cf = node.callFrame;
  const name = cf.functionName || '(anonymous)';
  const site = `${name} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
  total += node.selfSize;
  bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  const here = [...stack, name];
  if (stacksOf === name && node.selfSize > 0) {
    const key = here.slice(-8, -1).join(' < ');
    byStack.set(key, (byStack.get(key) ?? 0) + node.selfSize);
  }
  for (const c of node.children) walk(c, here);
};
walk(profile.head, []);
const mb = (b) => (b / 1048576).toFixed(1).padStart(7);
const per = (b) => (lines > 0 ? `${(b / lines).toFixed(0).padStart(5)} B/line` : '');
console.log(`${mb(total)} MB sampled in all ${per(total)}`);
for (const [site, b] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${mb(b)} MB ${per(b)}  ${site}`);
if (stacksOf) {
  console.log(`\ncallers of ${stacksOf}:`);
  for (const [k, b] of [...byStack].sort((a, b) => b[1] - a[1]).slice(0, 10))
    console.log(`${mb(b)} MB  ${k}`);
}
