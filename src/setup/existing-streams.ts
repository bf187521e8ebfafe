// What `setup` does with a data stream that already exists (issue 13, finding 2). A stream written to before
// `setup` ran (the agent started first) was auto-created from whatever template matched then: on a stock cluster
// Elasticsearch's built-in `logs` template (ignore_malformed true, `@timestamp` as date_nanos, ecs@mappings,
// the `logs` ILM policy without a delete phase). A template changed later applies only to backing indices
// created afterwards, so without a rollover casguard's mappings would arrive up to 30 days later and that first
// backing index would never be deleted. So, once casguard's templates are installed:
//
//   write index made from casguard's template (its `index.lifecycle.name` is casguard's policy)  → unchanged
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

/**
 * Inspects an existing stream and rolls it over when it was made from another template and casguard's template
 * matches it now. `template` is casguard's index template for the stream, `policy` casguard's ILM policy.
 */
export async function settleExistingStream(
  client: Client,
  stream: string,
  template: string,
  policy: string,
): Promise<StreamVerdict> {
  const r = await client.indices.getDataStream({ name: stream });
  const info = (r.data_streams as unknown as DataStreamInfo[]).find((d) => d.name === stream);
  if (!info) throw new Error(`GET _data_stream/${stream} did not return the stream`);
  const writeIndex = info.indices[info.indices.length - 1]?.index_name;
  if (writeIndex === undefined) throw new Error(`data stream ${stream} has no backing index`);
  const oldPolicy = await writeIndexPolicy(client, writeIndex);
  if (oldPolicy === policy) return { action: 'unchanged' };

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
    return { action: 'rolled over', oldIndex: rolled.old_index, newIndex: rolled.new_index, oldPolicy };
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
