// The file inputs: discovery, identity, tailing, rotation, encodings, checkpoints and acknowledgements.

export { FileInput } from './file-input.js';
export type { FileInputDeps, InputSummary, RunOnceOptions } from './file-input.js';
export type {
  ProcessedRecord,
  ProcessedTurn,
  ProcessedTurnSource,
  ReplayFileJob,
} from './processed-turns.js';
export { FileInputConfig } from './file-input.config.js';
export { AGENT_OWN_DESCRIPTORS, fitOpenFiles, openFileLimit } from './open-file-budget.js';
export { Registry, REGISTRY_VERSION, readCheckpoints } from './registry.js';
export type { Checkpoint, RegistryOptions } from './registry.js';
