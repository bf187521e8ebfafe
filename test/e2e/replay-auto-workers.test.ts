// `--workers auto`: worker threads on every core but one (the main thread runs detection, the outputs and the
// acknowledgements: about a third of a replay's work per line), at most one per file; below two workers the replay
// runs on one thread (no worker at all). On 2 vCPUs the parallel path measured slower than one thread
// (bench/README.md, 2026-12-07), so there `auto` gives one thread.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoWorkers } from '../../src/cli/commands/replay-command.js';

describe('replay --workers auto', () => {
  it('uses every core but one, at most one worker per file, and no worker below two', () => {
    assert.equal(autoWorkers(4, 1), 1, 'one core');
    assert.equal(autoWorkers(4, 2), 1, 'two cores: one thread');
    assert.equal(autoWorkers(4, 3), 2);
    assert.equal(autoWorkers(10, 8), 7);
    assert.equal(autoWorkers(3, 8), 3, 'one per file');
    assert.equal(autoWorkers(1, 8), 1, 'one file: one thread');
  });
});
