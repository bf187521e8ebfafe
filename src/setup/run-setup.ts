// Applies the cluster assets idempotently: reads what exists, compares `_meta.casguard_hash`, and creates,
// updates or leaves each one alone. Returns a line per asset for `casguard setup` to print. A template
// changed here applies to new backing indices only (at the next rollover), as Elasticsearch documents.

import { errors } from '@elastic/elasticsearch';
import type { Client } from '@elastic/elasticsearch';
import { CasguardError } from '../pipeline/errors.js';
import type { Logger } from '../telemetry/logger.types.js';
import { ILM_POLICY } from './cluster-assets.js';
import type { Asset } from './cluster-assets.js';
import { settleExistingIndex, settleExistingStream } from './existing-streams.js';

export type SetupAction = 'created' | 'updated' | 'unchanged' | 'rolled over' | 'needs action';

export interface SetupResult {
  readonly kind: Asset['kind'];
  readonly name: string;
  readonly action: SetupAction;
  /** For `rolled over` and `needs action`: what happened or why not, in a sentence. */
  readonly detail?: string;
  /** For `needs action`: the requests the operator runs, in order. */
  readonly commands?: readonly string[];
}

/** casguard's index template whose index_patterns match `name` (the data streams' templates). */
function templateFor(assets: readonly Asset[], name: string): string | undefined {
  const matches = (pattern: string): boolean =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    ).test(name);
  return assets.find(
    (a) =>
      a.kind === 'index_template' &&
      ((a.body.index_patterns as string[] | undefined) ?? []).some((p) => matches(p)),
  )?.name;
}

/** The constant_keyword fields with a value that an index template maps itself (streamConstantProperties). */
function constantsOf(assets: readonly Asset[], template: string): Record<string, string> {
  const out: Record<string, string> = {};
  const body = assets.find((a) => a.kind === 'index_template' && a.name === template)?.body;
  const walk = (props: unknown, prefix: string): void => {
    if (props === null || typeof props !== 'object') return;
    for (const [k, v] of Object.entries(props as Record<string, Record<string, unknown>>)) {
      if (v.type === 'constant_keyword' && typeof v.value === 'string') out[`${prefix}${k}`] = v.value;
      else walk(v.properties, `${prefix}${k}.`);
    }
  };
  walk(
    ((body?.template as Record<string, unknown> | undefined)?.mappings as Record<string, unknown> | undefined)
      ?.properties,
    '',
  );
  return out;
}

/** What setup does with a data stream or index that already exists (src/setup/existing-streams.ts). */
async function settleExisting(client: Client, assets: readonly Asset[], a: Asset): Promise<SetupResult> {
  const base = { kind: a.kind, name: a.name };
  const template = a.kind === 'data_stream' ? templateFor(assets, a.name) : undefined;
  const v =
    a.kind === 'data_stream' && template !== undefined
      ? await settleExistingStream(client, a.name, template, ILM_POLICY, constantsOf(assets, template))
      : await settleExistingIndex(client, a.name);
  switch (v.action) {
    case 'unchanged':
      return { ...base, action: 'unchanged' };
    case 'rolled over':
      return {
        ...base,
        action: 'rolled over',
        detail:
          (v.oldPolicy === ILM_POLICY
            ? `it was created from an older casguard template, without the constant fields the agent leaves out ` +
              `of its documents (write index ${v.oldIndex}); `
            : `it was created from another template (write index ${v.oldIndex}, ILM policy ` +
              `${v.oldPolicy ?? 'none'}); `) +
          `new documents go to ${v.newIndex} with casguard's mappings. ` +
          `${v.oldIndex} keeps its mappings and policy: delete it (DELETE /${v.oldIndex}) once nothing in it is needed` +
          (v.constantsOnOld === true
            ? ''
            : `. Its documents written without the stream's constant fields (event.kind, event.dataset...) ` +
              `do not answer for them (${v.constantsOnOld})`),
      };
    case 'needs action':
      return { ...base, action: 'needs action', detail: v.reason, commands: v.commands };
  }
}

function isNotFound(e: unknown): boolean {
  return e instanceof errors.ResponseError && e.statusCode === 404;
}

function metaHash(meta: unknown): string | undefined {
  if (meta && typeof meta === 'object' && 'casguard_hash' in meta) {
    const h = (meta as { casguard_hash?: unknown }).casguard_hash;
    return typeof h === 'string' ? h : undefined;
  }
  return undefined;
}

async function existingHash(client: Client, a: Asset): Promise<string | null | undefined> {
  // undefined = absent; null = present without our hash (someone else's, or an older casguard)
  try {
    switch (a.kind) {
      case 'ilm_policy': {
        const r = await client.ilm.getLifecycle({ name: a.name });
        const p = r[a.name];
        return p ? (metaHash(p.policy._meta) ?? null) : undefined;
      }
      case 'component_template': {
        const r = await client.cluster.getComponentTemplate({ name: a.name });
        const t = r.component_templates.find((c) => c.name === a.name);
        return t ? (metaHash(t.component_template._meta) ?? null) : undefined;
      }
      case 'index_template': {
        const r = await client.indices.getIndexTemplate({ name: a.name });
        const t = r.index_templates.find((c) => c.name === a.name);
        return t ? (metaHash(t.index_template._meta) ?? null) : undefined;
      }
      case 'data_stream': {
        const r = await client.indices.getDataStream({ name: a.name });
        return r.data_streams.some((d) => d.name === a.name) ? null : undefined;
      }
      case 'index':
        return (await client.indices.exists({ index: a.name })) ? null : undefined;
    }
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function put(client: Client, a: Asset): Promise<void> {
  const b = a.body as never;
  switch (a.kind) {
    case 'ilm_policy':
      await client.ilm.putLifecycle({ name: a.name, ...(b as object) });
      return;
    case 'component_template':
      await client.cluster.putComponentTemplate({ name: a.name, ...(b as object) } as never);
      return;
    case 'index_template':
      await client.indices.putIndexTemplate({ name: a.name, ...(b as object) } as never);
      return;
    case 'data_stream':
      await client.indices.createDataStream({ name: a.name });
      return;
    case 'index':
      await client.indices.create({ index: a.name });
      return;
  }
}

export async function runSetup(
  client: Client,
  assets: readonly Asset[],
  logger: Logger,
  scrub: (t: string) => string = (t) => t,
): Promise<SetupResult[]> {
  const results: SetupResult[] = [];
  for (const a of assets) {
    try {
      const have = await existingHash(client, a);
      let result: SetupResult;
      if (have !== undefined && (a.kind === 'data_stream' || a.kind === 'index')) {
        result = await settleExisting(client, assets, a);
      } else {
        const action: SetupAction =
          have === undefined ? 'created' : have === a.hash ? 'unchanged' : 'updated';
        if (action !== 'unchanged') await put(client, a);
        result = { kind: a.kind, name: a.name, action };
      }
      results.push(result);
      logger.debug('setup asset', { kind: a.kind, name: a.name, action: result.action });
    } catch (e) {
      const reason =
        e instanceof errors.ResponseError
          ? `HTTP ${e.statusCode}: ${scrub(JSON.stringify(e.body ?? e.message)).slice(0, 500)}`
          : scrub(e instanceof Error ? e.message : String(e));
      throw new CasguardError('SETUP_FAILED', `setup of ${a.kind} ${a.name} failed: ${reason}`, {
        recoverable: false,
      });
    }
  }
  return results;
}
