// Heap growth of the agent process. Between full collections V8 lets the old generation grow to up to four
// times the live heap when collecting is cheap relative to allocating, which is the agent's situation: almost
// all of its garbage is short-lived documents, and the live heap is ~35 MB. In the shared harness (1M IIS
// lines) that meant old-space peaks of ~140 MB and 280 MB RSS. A fixed factor of 1.6 kept the peak near 200 MB
// at the same CPU within noise (bench/README.md, "Memory"). Imported first by main.ts; an operator's own
// `--heap-growing-percent` (node flags or NODE_OPTIONS) wins. The young generation's size cannot be changed
// here (V8 sizes it when node starts): the service definitions and `npm start` pass `--max-semi-space-size=8`.

//
// Allocation-site pretenuring is switched off. V8 watches how many objects from each allocation site survive
// young-generation collections and, past a threshold, allocates that site's objects straight in the old
// generation from then on. A stall early in a run (the replay's first known-ids check, a slow cluster at start,
// an outage) keeps a few thousand documents alive for a moment, so their allocation sites are pretenured and
// every later document is born in the old generation: in a 200,000-line replay that doubled the GC time and
// cost 35-40 % more CPU for the rest of the run (bench/README.md, "The replay regression"). Without a stall it
// is neutral; with it the stall costs only its own time.

import { setFlagsFromString } from 'node:v8';

const HEAP_GROWING_PERCENT = 60;

const operatorFlags = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
const given = (flag: RegExp): boolean => operatorFlags.some((a) => flag.test(a));
if (!given(/^--heap[-_]growing[-_]percent\b/))
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
if (!given(/^--(no-)?allocation[-_]site[-_]pretenuring\b/))
  setFlagsFromString('--no-allocation-site-pretenuring');
