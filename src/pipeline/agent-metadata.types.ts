// Who produced a document. Every Elastic shipper marks its documents with ECS's `agent.*` and `ecs.version`
// (ECS marks `ecs.version` required); casguard does the same. The values are fixed for the life of the process
// and are injected into the pure stages (src/enrich/agent-metadata.ts stamps them), never looked up there.

/** casguard's own version: `agent.version` in every document and `casguard --version`. */
export const CASGUARD_VERSION = '0.1.0';

/** `agent.type` of every document (Filebeat writes `filebeat`, Winlogbeat `winlogbeat`). */
export const AGENT_TYPE = 'casguard';

export interface AgentMetadata {
  /** ECS version the field tables were generated from (`ecs.version`). */
  readonly ecsVersion: string;
  /** Stable per install: generated once and kept in the data folder (`agent.id`). */
  readonly id: string;
  /** Configurable; default the host name (`agent.name`). */
  readonly name: string;
  /** `agent.version`; normally CASGUARD_VERSION. */
  readonly version: string;
}
