// What `setup` does with a data stream that already exists (issue 13, finding 2). A stream written to before
// `setup` ran (the agent started first) was auto-created from whatever template matched then: on a stock cluster
// Elasticsearch's built-in `logs` template (ignore_malformed true, `@timestamp` as date_nanos, ecs@mappings,
// the `logs` ILM policy without a delete phase). A template changed later applies only to backing indices
// created afterwards, so without a rollover casguard's mappings would arrive up to 30 days later and that first
// backing index would never be deleted. So, once casguard's templates are installed:
//
//   write index made from casguard's template (its `index.lifecycle.name` is casguard's policy)  → unchanged
//   and mapping the stream's constant fields with their values (issue 16)
//   made from an older casguard template, without those constants (the agent leaves them out of
//   its documents, so they would be missing from them until the next ILM rollover)             → POST
//                                                                                                   <stream>/_rollover
//   GET _data_stream names another template as matching NOW (a higher priority one, e.g. a Fleet
//   integration at 200), or the stream's `_meta.managed_by` names another manager                → not taken
//                                                                                                   over: the
//                                                                                                   operator acts
//   otherwise (created from another template, casguard's matches now)                             → POST
//                                                                                                   <stream>/_rollover
//   the rollover refused (403: no `manage` on the stream)                                          → the operator
//                                                                                                   runs it
//
// GET _data_stream's top-level `template` and `ilm_policy` describe the template matching the name at request
// time (TransportGetDataStreamsAction: findV2Template), not the one the stream was made from; the write
// index's own settings say what it was made from. Its documents keep the old mappings and its ILM policy; the
// result says which index that is, so the operator can delete it once nothing in it is needed.

import { errors } from '@elastic/elasticsearch';
import type { Client } from '@elastic/elasticsearch';
import { MANAGED_BY } from './cluster-assets.js';

export type StreamVerdict =
  | { readonly action: 'unchanged' }
  | {
      readonly action: 'rolled over';
      readonly oldIndex: string;
      readonly newIndex: string;
      /** The ILM policy the old write index had (undefined: none). */
      readonly oldPolicy: string | undefined;
      /**
       * Whether the old write index now maps the stream's constant fields (added after the rollover, so that the
       * documents the agent wrote there without them answer for them too), or why not.
       */
      readonly constantsOnOld: true | string;
    }
  | {
      readonly action: 'needs action';
      /** Why setup did not (or could not) make casguard's template apply. */
      readonly reason: string;
      /** The requests the operator runs, in order (`POST /<stream>/_rollover`, ...). */
      readonly commands: readonly string[];
    };

interface DataStreamInfo {
  name: string;
  template?: string;
  indices: { index_name: string }[];
  _meta?: { managed_by?: unknown };
}

/** The ILM policy in a GET <index>/_settings answer (nested as Elasticsearch answers, or flat). */
function lifecycleName(settings: unknown): string | undefined {
  if (!settings || typeof settings !== 'object') return undefined;
  const s = settings as Record<string, unknown>;
  const flat = s['index.lifecycle.name'];
  if (typeof flat === 'string') return flat;
  const index = s.index as { lifecycle?: { name?: unknown } } | undefined;
  const nested = index?.lifecycle?.name;
  return typeof nested === 'string' ? nested : undefined;
}

async function writeIndexPolicy(client: Client, index: string): Promise<string | undefined> {
  const r = (await client.indices.getSettings({ index })) as Record<string, { settings?: unknown }>;
  return lifecycleName(r[index]?.settings);
}

function isForbidden(e: unknown): boolean {
  return e instanceof errors.ResponseError && e.statusCode === 403;
}

/** Whether `index` maps every dotted field of `constants` as constant_keyword with that value. */
async function mapsConstants(
  client: Client,
  index: string,
  constants: Readonly<Record<string, string>>,
): Promise<boolean> {
  const names = Object.keys(constants);
  if (names.length === 0) return true;
  const r = (await client.indices.getMapping({ index })) as Record<string, { mappings?: unknown }>;
  const root = r[index]?.mappings;
  return names.every((name) => {
    let node = root as { properties?: Record<string, unknown> } | undefined;
    const parts = name.split('.');
    for (const p of parts) node = node?.properties?.[p] as typeof node;
    const leaf = node as { type?: unknown; value?: unknown } | undefined;
    return leaf?.type === 'constant_keyword' && leaf.value === constants[name];
  });
}

/**
 * Maps the constant fields on a former write index, where the agent's documents (which leave them out) may lack
 * them: allowed where the field is not mapped yet, or is a constant_keyword without a value (the built-in `logs`
 * template's `data_stream.*`); refused where it is a keyword already (an older casguard template).
 */
async function addConstants(
  client: Client,
  index: string,
  constants: Readonly<Record<string, string>>,
): Promise<true | string> {
  if (Object.keys(constants).length === 0) return true;
  const properties: Record<string, { properties?: Record<string, unknown> }> = {};
  for (const [name, value] of Object.entries(constants)) {
    const parts = name.split('.');
    let props: Record<string, { properties?: Record<string, unknown> }> = properties;
    for (const p of parts.slice(0, -1))
      props = ((props[p] ??= { properties: {} }).properties ??= {}) as typeof props;
    props[parts[parts.length - 1]!] = { type: 'constant_keyword', value } as never;
  }
  try {
    await client.indices.putMapping({ index, properties: properties as never });
    return true;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Inspects an existing stream and rolls it over when it was made from another template and casguard's template
 * matches it now. `template` is casguard's index template for the stream, `policy` casguard's ILM policy.
 */
export async function settleExistingStream(
  client: Client,
  stream: string,
  template: string,
  policy: string,
  constants: Readonly<Record<string, string>> = {},
): Promise<StreamVerdict> {
  const r = await client.indices.getDataStream({ name: stream });
  const info = (r.data_streams as unknown as DataStreamInfo[]).find((d) => d.name === stream);
  if (!info) throw new Error(`GET _data_stream/${stream} did not return the stream`);
  const writeIndex = info.indices[info.indices.length - 1]?.index_name;
  if (writeIndex === undefined) throw new Error(`data stream ${stream} has no backing index`);
  const oldPolicy = await writeIndexPolicy(client, writeIndex);
  if (oldPolicy === policy && (await mapsConstants(client, writeIndex, constants)))
    return { action: 'unchanged' };

  const rollover = `POST /${stream}/_rollover`;
  const managedBy = info._meta?.managed_by;
  if (typeof managedBy === 'string' && managedBy !== MANAGED_BY) {
    return {
      action: 'needs action',
      reason:
        `data stream ${stream} is managed by ${managedBy} (its _meta.managed_by); casguard does not take it ` +
        `over. To let casguard own it, remove it from ${managedBy} and roll it over`,
      commands: [rollover],
    };
  }
  if (info.template !== template) {
    return {
      action: 'needs action',
      reason:
        `data stream ${stream} is matched by index template ${info.template ?? '(none)'}, not casguard's ` +
        `${template} (a template with a higher priority than casguard's wins); casguard does not take it ` +
        `over. To give it to casguard, first remove that template or narrow its index_patterns ` +
        `(GET /_index_template/${info.template ?? '*'} shows it), then roll the stream over`,
      commands: [rollover],
    };
  }
  try {
    const rolled = await client.indices.rollover({ alias: stream });
    const constantsOnOld = await addConstants(client, rolled.old_index, constants);
    return {
      action: 'rolled over',
      oldIndex: rolled.old_index,
      newIndex: rolled.new_index,
      oldPolicy,
      constantsOnOld,
    };
  } catch (e) {
    if (!isForbidden(e)) throw e;
    return {
      action: 'needs action',
      reason:
        `data stream ${stream} was created from another template (write index ${writeIndex}, ILM policy ` +
        `${oldPolicy ?? 'none'}) and this key may not roll it over (needs the manage privilege on ${stream}); ` +
        `casguard's mappings apply only after a rollover`,
      commands: [rollover],
    };
  }
}

/**
 * Whether an existing regular index (the alerts index) was made from casguard's template. casguard's mappings
 * set `date_detection: false` (casguard-ecs@mappings); an index auto-created by the agent before `setup`
 * installed the template has dynamic mappings without it. A regular index cannot roll over, so the verdict is
 * unchanged or the operator's commands.
 */
export async function settleExistingIndex(client: Client, index: string): Promise<StreamVerdict> {
  const r = (await client.indices.getMapping({ index })) as Record<string, { mappings?: unknown }>;
  const mappings = r[index]?.mappings as { date_detection?: unknown } | undefined;
  if (mappings?.date_detection === false) return { action: 'unchanged' };
  const old = `${index}-before-setup`;
  return {
    action: 'needs action',
    reason:
      `index ${index} was created without casguard's template (written to before setup): its fields are ` +
      `mapped dynamically. Copy it aside, delete it, run casguard setup again (it creates ${index} with ` +
      `casguard's mappings) and copy the alerts back`,
    commands: [
      `POST /_reindex {"source":{"index":"${index}"},"dest":{"index":"${old}"}}`,
      `DELETE /${index}`,
      'casguard setup',
      `POST /_reindex {"source":{"index":"${old}"},"dest":{"index":"${index}"}}`,
      `DELETE /${old}`,
    ],
  };
}
