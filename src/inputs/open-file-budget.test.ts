import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_OWN_DESCRIPTORS, fitOpenFiles, openFileLimit } from './open-file-budget.js';

// The layout of /proc/self/limits as Linux prints it (fs/proc/base.c, proc_pid_limits): the soft limit first.
const limits = (soft: string, hard: string): string =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max processes             95396                95396                processes ',
    `Max open files            ${soft.padEnd(21)}${hard.padEnd(21)}files     `,
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n');

describe('open files against the process limit', () => {
  it('reads the soft limit of open files, none when unlimited or absent', () => {
    assert.equal(openFileLimit(limits('1024', '524288')), 1024);
    assert.equal(openFileLimit(limits('unlimited', 'unlimited')), undefined);
    assert.equal(openFileLimit('Limit  Soft Limit  Hard Limit  Units\n'), undefined);
  });

  it("reads this process's own limit on Linux", (t) => {
    if (process.platform !== 'linux') return t.skip('not Linux');
    const own = openFileLimit();
    assert.ok(own === undefined || own > 0, 'own === undefined || own > 0');
  });

  it('leaves the bounds as they are when they fit with the agent’s own descriptors', () => {
    assert.deepEqual(fitOpenFiles([256, 256], 512 + AGENT_OWN_DESCRIPTORS), { maxOpenFiles: [256, 256] });
    assert.deepEqual(fitOpenFiles([256], undefined), { maxOpenFiles: [256] });
    assert.deepEqual(fitOpenFiles([], 10), { maxOpenFiles: [] });
  });

  it('shares what is left after them equally, lowering only the bounds above the share', () => {
    const b = fitOpenFiles([256, 256, 20], 400);
    assert.equal(b.perInput, Math.floor((400 - AGENT_OWN_DESCRIPTORS) / 3));
    assert.deepEqual(b.maxOpenFiles, [112, 112, 20]);
    assert.deepEqual(fitOpenFiles([256], 50), { maxOpenFiles: [1], perInput: 1 });
  });
});
