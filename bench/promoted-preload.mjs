// Preload (`node --import ./bench/promoted-preload.mjs ...`): samples the allocations that outlive the young
// generation, i.e. what the scavenger copies and promotes (issue 16). V8's sampling heap profiler keeps, with
// `includeObjectsCollectedByMajorGC` and without `includeObjectsCollectedByMinorGC`, the samples of objects that
// were not collected by a scavenge: promoted ones (collected later by a mark-compact, or alive at exit). At exit
// it writes the profile to PROMOTED_OUT (default promoted.heapprofile in the working folder); summarize it with
// `node bench/promoted-sites.mjs <file> [--lines N] [--top 30] [--stacks fnName]`.
// PROMOTED_MINOR=1 keeps the young generation's garbage too (every allocation, sampled).
import fs from 'node:fs';
import inspector from 'node:inspector';

const session = new inspector.Session();
session.connect();
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startSampling', {
  samplingInterval: Number(process.env.PROMOTED_INTERVAL ?? 4096),
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: process.env.PROMOTED_MINOR === '1',
});
process.on('exit', () => {
  session.post('HeapProfiler.stopSampling', (err, r) => {
    if (err) return void process.stderr.write(`promoted-sites: ${err.message}\n`);
    fs.writeFileSync(process.env.PROMOTED_OUT ?? 'promoted.heapprofile', JSON.stringify(r.profile));
  });
});
