// Issue 19 finding 13: with the Elasticsearch output, 23 of 61 SIGTERMs logged "stopped" and then hung until
// the hard stop deadline (exit 3), a request or timer still keeping the process alive. Here the real agent is
// stopped 20 times, at random moments, against a cluster that is slow, stalled, refusing, partly rejecting or
// healthy; every stop must end with exit 0 within 5 s.
// Exit 0 is the proof that nothing lingered: run-command's hard deadline (STOP_DEADLINE_MS + 800, an
// unreferenced timer) exits 3 if anything still holds the event loop then. The 5 s are measured on the agent's
// own clock (its "stop requested" and "casguard stopped" lines) so a busy test machine cannot fail the test;
// the wall time seen from here is reported and bounded loosely.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import type { EsFaults, EsTestServer } from '../es-server/es-test-server.js';
import { repoRoot, startAgent } from '../helpers/agent-process.js';
import { mulberry32 } from '../helpers/prng.js';
import { tempDir } from '../helpers/temp-dir.js';

const STOPS = 20;
const clusters: { name: string; faults: EsFaults }[] = [
  { name: 'slow (2.5 s per request)', faults: { delayMs: 2500 } },
  { name: 'stalled', faults: { stall: true } },
  { name: 'healthy', faults: {} },
  { name: 'answering 503', faults: { request503Rate: 1 } },
  { name: 'rejecting half the items with 429', faults: { item429Rate: 0.5 } },
];

/** One stop of a real agent; a failure description, or undefined. */
async function stopOnce(es: EsTestServer, i: number, waitMs: number): Promise<string | undefined> {
  const cluster = clusters[i % clusters.length]!;
  es.setFaults(cluster.faults);
  const samples = path.join(repoRoot, 'samples');
  const cwd = tempDir('cg-stop-');
  mkdirSync(path.join(cwd, 'inbox'));
  for (const f of readdirSync(samples)) copyFileSync(path.join(samples, f), path.join(cwd, 'inbox', f));
  const agent = startAgent(['run'], { cwd, env: { CASGUARD_ES_HOSTS: es.url } });
  await agent.waitFor(/casguard started/, 60_000);
  await new Promise((r) => setTimeout(r, waitMs));
  const t0 = Date.now();
  agent.child.kill('SIGTERM');
  const code = await agent.exited;
  wallMs.push(Date.now() - t0);
  es.setFaults({});
  const out = agent.stderr + agent.stdout;
  const at = (re: RegExp): number => Date.parse(re.exec(out)?.[1] ?? '');
  const ownMs = at(/(\S+) \S+ casguard stopped/) - at(/(\S+) \S+ stop requested/);
  if (code !== 0 || !(ownMs < 5000) || Date.now() - t0 > 15_000)
    return `stop ${i} (${cluster.name}): exit ${code}, ${ownMs} ms on its clock, ${Date.now() - t0} ms seen from here\n${agent.stderr.slice(-600)}`;
  return undefined;
}

const wallMs: number[] = [];

describe('SIGTERM with the Elasticsearch output', () => {
  // Stops run in LANES lanes at once (each lane its own cluster), to keep the wall time of 20 agent starts low.
  const LANES = 2;
  let servers: EsTestServer[] = [];
  before(async () => {
    servers = await Promise.all(Array.from({ length: LANES }, () => startEsTestServer()));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it(`exits 0 within 5 s, ${STOPS} stops at random moments`, async (t) => {
    const rnd = mulberry32(19);
    const waits = Array.from({ length: STOPS }, () => Math.floor(rnd() * 1500));
    const failures: string[] = [];
    await Promise.all(
      servers.map(async (es, lane) => {
        for (let i = lane; i < STOPS; i += LANES) {
          const f = await stopOnce(es, i, waits[i]!);
          if (f) failures.push(f);
        }
      }),
    );
    t.diagnostic(`wall time from SIGTERM to exit: max ${Math.max(...wallMs)} ms, ${wallMs.join(' ')}`);
    assert.deepEqual(failures, [], `${failures.length} of ${STOPS} stops failed`);
  });
});
