// The stop budget across layers: the agent's own stop deadline (src/cli/agent.ts) must fit in the drain
// budget these service definitions assume, which must fit in WinSW's stoptimeout and systemd's TimeoutStopSec.
// Read as text, not imported: the service tests must not depend on the agent compiling.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import {
  AGENT_DRAIN_DEADLINE_MS,
  LINUX_DIR,
  REPO,
  WINDOWS_DIR,
  parseSystemdTimeSpan,
  parseUnit,
  parseWinswTimeSpan,
  parseXml,
  read,
} from './service-checks.js';

it('agent stop deadline < assumed drain budget < WinSW stoptimeout and systemd TimeoutStopSec', (t) => {
  const agentFile = path.join(REPO, 'src', 'cli', 'agent.ts');
  const match = existsSync(agentFile) ? /STOP_DEADLINE_MS\s*=\s*([\d_]+)/.exec(read(agentFile)) : null;
  if (!match) return t.skip('STOP_DEADLINE_MS not found in src/cli/agent.ts');
  const agentMs = Number(match[1]!.replaceAll('_', ''));
  t.diagnostic(`agent STOP_DEADLINE_MS = ${agentMs}`);
  assert.ok(agentMs < AGENT_DRAIN_DEADLINE_MS, `agent stop deadline ${agentMs} ms`);

  const xml = parseXml(read(path.join(WINDOWS_DIR, 'casguard-service.xml')));
  const winsw = parseWinswTimeSpan(xml.children.find((c) => c.name === 'stoptimeout')?.text ?? '');
  const unit = parseUnit(read(path.join(LINUX_DIR, 'casguard.service')));
  const systemd = parseSystemdTimeSpan(unit.get('Service')?.get('TimeoutStopSec')?.at(-1) ?? '');
  assert.ok(winsw > AGENT_DRAIN_DEADLINE_MS && systemd > AGENT_DRAIN_DEADLINE_MS, `${winsw} / ${systemd}`);
});
