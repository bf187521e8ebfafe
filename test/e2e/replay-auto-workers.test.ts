// `--workers auto`: worker threads on every core but one (the main thread runs detection, the outputs and the
// acknowledgements: about a third of a replay's work per line), at least two on two cores or more, at most one per
// file (the replay starts no more workers than files: one file gets one worker, beside the main thread); one
// core: one thread (no worker at all). On 2 vCPUs 2 workers measured 1.17-1.24x one thread pinned to a core, and
// one worker for one file about 1.35x (bench/README.md, 2026-12-07).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoWorkers } from '../../src/cli/commands/replay-command.js';

describe('replay --workers auto', () => {
  it('uses every core but one, at least two, at most one worker per file, and none on one core', () => {
    assert.equal(autoWorkers(4, 1), 1, 'one core: one thread');
    assert.equal(autoWorkers(4, 2), 2, 'two cores: two workers');
    assert.equal(autoWorkers(4, 3), 2);
    assert.equal(autoWorkers(10, 8), 7);
    assert.equal(autoWorkers(3, 8), 3, 'one per file');
    assert.equal(autoWorkers(1, 8), 2, 'one file: asks for two, and the replay starts one (one per file)');
  });
});
