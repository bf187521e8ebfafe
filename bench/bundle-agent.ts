// The agent as the release packages ship it (its esbuild bundles, scripts/package-common.ts), written to a folder
// that `CASGUARD_DIST` (bench/harness-agent.sh) and `A_DIST`/`B_DIST` (bench/ab-replay.sh) accept:
//   node --import tsx bench/bundle-agent.ts /tmp/casguard-bundle     → /tmp/casguard-bundle/dist/cli/main.js
// `dist/` from `npm run build` loads about 350 compiled files and 800 files of node_modules at every start; the
// bundle is one file. Measured (bench/README.md, issue 16): a 5-line replay costs 1.4-1.6 CPU-s from dist/ and
// about 1.0 from the bundle, which the per-line figures of a short replay carry whole.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleAgent, runtimePackageJson } from '../scripts/package-common.js';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: node --import tsx bench/bundle-agent.ts <folder>\n');
  process.exit(2);
}
const { files } = await bundleAgent();
mkdirSync(path.join(out, 'dist', 'cli'), { recursive: true });
for (const f of files) writeFileSync(path.join(out, f.path), f.data);
writeFileSync(path.join(out, 'package.json'), runtimePackageJson('0.0.0-bench'));
process.stdout.write(`${path.join(out, 'dist')} (CASGUARD_DIST / A_DIST / B_DIST)\n`);
