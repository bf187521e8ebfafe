// Named telemetry events of the agent's identity file (STYLE.md rule 9). Both happen at most once per start.

import type { Counter } from 'prom-client';
import { counter } from './metrics.js';
import type { Logger } from './logger.types.js';

const events = (): Counter =>
  counter('casguard_agent_identity_events_total', 'Agent identity file events by name.', ['event']);

export function agentIdCreated(log: Logger, f: { path: string; agentId: string }): void {
  events().inc({ event: 'agent_id_created' });
  log.info('New agent id generated for this install.', { event: 'agent_id_created', ...f });
}

export function agentIdReplaced(
  log: Logger,
  f: { path: string; keptAs: string; error: string; agentId: string },
): void {
  events().inc({ event: 'agent_id_replaced' });
  log.warn(
    'The agent identity file was unreadable; a new agent id was generated (documents from now on carry it).',
    { event: 'agent_id_replaced', ...f },
  );
}

export function agentIdNotSaved(log: Logger, f: { path: string; error: string; agentId: string }): void {
  events().inc({ event: 'agent_id_not_saved' });
  log.warn(
    'The agent id could not be saved (the agent runs with it; a restart before the disk recovers gets a new one).',
    { event: 'agent_id_not_saved', ...f },
  );
}
