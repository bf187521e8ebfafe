// The agent metadata the golden files and pipeline tests stamp on documents: fixed values where the agent
// has per-install ones (agent.id, agent.name), the real ECS and casguard versions, so the golden files show
// what a real install ships.

import { agentMetadataEnricher } from '../../src/enrich/agent-metadata.js';
import type { AgentMetadata } from '../../src/pipeline/agent-metadata.types.js';
import { CASGUARD_VERSION } from '../../src/pipeline/agent-metadata.types.js';
import { ECS_VERSION } from '../../src/setup/ecs-fields.generated.js';

export const TEST_AGENT: AgentMetadata = {
  ecsVersion: ECS_VERSION,
  id: '3f2b1c7e-5d4a-4e8f-9b6c-0a1d2e3f4a5b',
  name: 'agent01',
  version: CASGUARD_VERSION,
};

/** The enricher the agent appends to its enrichers, with TEST_AGENT. */
export const testAgentStamp = agentMetadataEnricher(TEST_AGENT);
