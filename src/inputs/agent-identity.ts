// The identity of this casguard install: `agent.id` in every document. Generated once (a random UUID, as the
// Beats do) and kept in `<dataDir>/meta.json`, the file and format Beats use for the same purpose
// (`{"uuid": ..., "first_start": ...}`, libbeat/cmd/instance/beat.go), so the id survives restarts, upgrades
// and `casguard replay` runs that share the data folder. Written atomically (temp file, fsync, rename, fsync of
// the folder). An unreadable file is kept aside as `meta.json.bad` and replaced, with a warning: a new id is
// better than an agent that cannot start. For the same reason a file that cannot be written (a full or failing
// disk) is an outage, not a fatal error: the agent runs with the new id and says so; a restart before the disk
// recovers would generate another one.

import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeError } from '../pipeline/errors.js';
import { agentIdCreated, agentIdNotSaved, agentIdReplaced } from '../telemetry/agent-identity-events.js';
import type { Logger } from '../telemetry/logger.types.js';

export const AGENT_META_FILE = 'meta.json';

const MetaFile = z.object({
  uuid: z.uuid(),
  first_start: z.string(),
});

export interface AgentIdentity {
  readonly id: string;
  /** When this install first started (ISO 8601). */
  readonly firstStart: string;
}

/** Reads `<dataDir>/meta.json`, creating it (and the folder) on first start. */
export async function loadAgentIdentity(
  dataDir: string,
  logger: Logger,
  now: () => Date = () => new Date(),
): Promise<AgentIdentity> {
  const file = path.join(dataDir, AGENT_META_FILE);
  let problem: string | undefined;
  try {
    const parsed = MetaFile.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (parsed.success) return { id: parsed.data.uuid, firstStart: parsed.data.first_start };
    const issue = parsed.error.issues[0];
    problem = `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problem = describeError(err);
  }
  const identity: AgentIdentity = { id: randomUUID(), firstStart: now().toISOString() };
  await mkdir(dataDir, { recursive: true });
  if (problem !== undefined) {
    const keptAs = `${file}.bad`;
    await rename(file, keptAs);
    agentIdReplaced(logger, { path: file, keptAs, error: problem, agentId: identity.id });
  } else {
    agentIdCreated(logger, { path: file, agentId: identity.id });
  }
  try {
    await writeAtomically(
      file,
      `${JSON.stringify({ uuid: identity.id, first_start: identity.firstStart })}\n`,
    );
  } catch (err) {
    await rm(`${file}.tmp`, { force: true }).catch(() => undefined);
    agentIdNotSaved(logger, { path: file, error: describeError(err), agentId: identity.id });
  }
  return identity;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  if (process.platform === 'win32') return; // no fsync of folders on Windows
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } catch {
    // some file systems refuse fsync on directories
  } finally {
    await dir.close();
  }
}
