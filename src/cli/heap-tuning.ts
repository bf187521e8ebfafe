// Heap growth of the agent process. Between full collections V8 lets the old generation grow to up to four
// times the live heap when collecting is cheap relative to allocating, which is the agent's situation: almost
// all of its garbage is short-lived documents, and the live heap is ~35 MB. In the shared harness (1M IIS
// lines) that meant old-space peaks of ~140 MB and 280 MB RSS. A fixed factor of 1.6 kept the peak near 200 MB
// at the same CPU within noise (bench/README.md, "Memory"). Imported first by main.ts; an operator's own
// `--heap-growing-percent` (node flags or NODE_OPTIONS) wins. The young generation's size cannot be changed
// here (V8 sizes it when node starts): the service definitions and `npm start` pass `--max-semi-space-size=8`.

import { setFlagsFromString } from 'node:v8';

const HEAP_GROWING_PERCENT = 60;

const given = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].some((a) =>
  /^--heap[-_]growing[-_]percent\b/.test(a),
);
if (!given) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
