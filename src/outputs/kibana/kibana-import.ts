// Installs casguard's Kibana content and reports it object by object: checks the Kibana version and the space,
// imports the saved objects (data views, Lens panels, dashboard) and the detection rules, and reads each answer
// the way Kibana means it. Both import APIs answer 200 even when objects fail: `success: false`, per-object
// `errors`, and, for saved objects, NOTHING written at all while any object has a resolvable error (a conflict
// or missing references) although the others are still listed in `successResults` (Kibana's
// create_saved_objects.ts). So every object is accounted for as created, overwritten/replaced, failed (with
// Kibana's error) or not imported. Idempotent: fixed ids and `overwrite=true`; a second run creates nothing new.

import { CasguardError } from '../../pipeline/errors.js';
import { OLDEST_KIBANA } from '../../setup/kibana/saved-object.types.js';
import { KibanaHttpError, type KibanaClient } from './kibana-client.js';

export type Outcome = 'created' | 'overwritten' | 'failed' | 'not imported';

export interface ObjectResult {
  /** Saved-object type (`index-pattern`, `lens`, `dashboard`) or `rule`. */
  readonly type: string;
  readonly id: string;
  readonly title: string;
  readonly outcome: Outcome;
  /** Why it failed or was not imported, in Kibana's words where Kibana gave any. */
  readonly reason?: string;
}

export interface SentObject {
  readonly type: string;
  readonly id: string;
  readonly title: string;
}

export interface SentRule {
  readonly ruleId: string;
  readonly name: string;
}

export interface KibanaImportReport {
  readonly version: string;
  readonly space: string;
  readonly results: ObjectResult[];
}

const RESOLVABLE = new Set(['conflict', 'ambiguous_conflict', 'missing_references']);

interface ImportError {
  type?: string;
  id?: string;
  error?: {
    type?: string;
    references?: { type?: string; id?: string }[];
    message?: string;
    statusCode?: number;
    destinations?: unknown[];
  };
}

function describeImportError(e: ImportError): string {
  const err = e.error ?? {};
  switch (err.type) {
    case 'missing_references':
      return `missing_references: ${(err.references ?? []).map((r) => `${r.type}:${r.id}`).join(', ')} (not in the import and not in the space)`;
    case 'conflict':
      return 'conflict: an object with this id exists in the space';
    case 'ambiguous_conflict':
      return `ambiguous_conflict: ${err.destinations?.length ?? 0} objects in the space could be this one`;
    case 'unsupported_type':
      return `unsupported_type: this Kibana does not import objects of type ${e.type}`;
    default:
      return `${err.type ?? 'unknown'}: ${err.message ?? JSON.stringify(err)}${err.statusCode ? ` (${err.statusCode})` : ''}`;
  }
}

/** Every sent saved object's outcome, from the `_import` answer. */
export function savedObjectResults(sent: readonly SentObject[], body: unknown): ObjectResult[] {
  const b = (body ?? {}) as {
    success?: unknown;
    successResults?: { type?: string; id?: string; overwrite?: boolean; destinationId?: string }[];
    errors?: ImportError[];
  };
  const key = (type: unknown, id: unknown): string => `${String(type)}:${String(id)}`;
  const errors = new Map<string, ImportError>();
  for (const e of b.errors ?? []) errors.set(key(e.type, e.id), e);
  const successes = new Map((b.successResults ?? []).map((s) => [key(s.type, s.id), s] as const));
  const blocking = [...errors.values()].filter((e) => RESOLVABLE.has(e.error?.type ?? ''));
  return sent.map((o): ObjectResult => {
    const k = key(o.type, o.id);
    const base = { type: o.type, id: o.id, title: o.title };
    const e = errors.get(k);
    if (e) return { ...base, outcome: 'failed', reason: describeImportError(e) };
    const s = successes.get(k);
    if (s === undefined)
      return {
        ...base,
        outcome: 'failed',
        reason: "missing from Kibana's answer (neither imported nor failed)",
      };
    if (blocking.length > 0)
      return {
        ...base,
        outcome: 'not imported',
        reason: `Kibana writes nothing while ${blocking.map((x) => `${x.type}:${x.id}`).join(', ')} ${blocking.length === 1 ? 'has' : 'have'} ${[...new Set(blocking.map((x) => x.error?.type))].join('/')}`,
      };
    if (s.destinationId !== undefined)
      return {
        ...base,
        outcome: 'failed',
        reason: `imported under a new id ${s.destinationId}: the id is taken in another space, so a re-import will not overwrite it`,
      };
    return { ...base, outcome: s.overwrite === true ? 'overwritten' : 'created' };
  });
}

/** Every sent rule's outcome, from the rules `_import` answer and which rule ids existed before. */
export function ruleResults(
  sent: readonly SentRule[],
  existedBefore: ReadonlySet<string>,
  body: unknown,
): ObjectResult[] {
  const b = (body ?? {}) as {
    success?: unknown;
    success_count?: unknown;
    rules_count?: unknown;
    errors?: { rule_id?: string; id?: string; error?: { status_code?: number; message?: string } }[];
  };
  const errors = new Map<string, string>();
  const unattributed: string[] = [];
  for (const e of b.errors ?? []) {
    const reason = `${e.error?.status_code ?? ''} ${e.error?.message ?? 'error'}`.trim();
    const id = e.rule_id ?? e.id;
    if (id !== undefined && sent.some((r) => r.ruleId === id)) errors.set(id, reason);
    else unattributed.push(reason);
  }
  const counted = typeof b.rules_count === 'number' ? b.rules_count : undefined;
  return sent.map((r): ObjectResult => {
    const base = { type: 'rule', id: r.ruleId, title: r.name };
    const e = errors.get(r.ruleId);
    if (e !== undefined) return { ...base, outcome: 'failed', reason: e };
    if (unattributed.length > 0)
      return { ...base, outcome: 'failed', reason: `Kibana reported: ${unattributed.join('; ')}` };
    if (counted !== undefined && counted !== sent.length)
      return {
        ...base,
        outcome: 'failed',
        reason: `Kibana read ${counted} rules of the ${sent.length} sent`,
      };
    if (b.success !== true) return { ...base, outcome: 'failed', reason: 'Kibana answered success: false' };
    return { ...base, outcome: existedBefore.has(r.ruleId) ? 'overwritten' : 'created' };
  });
}

function versionBelow(a: string, b: string): boolean {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const x = Number.isNaN(pa[i]) ? 0 : (pa[i] ?? 0);
    const y = pb[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

export interface KibanaContent {
  readonly savedObjects: {
    readonly ndjson: string;
    readonly fileName: string;
    readonly objects: readonly SentObject[];
  };
  readonly rules: { readonly ndjson: string; readonly fileName: string; readonly rules: readonly SentRule[] };
}

/**
 * The whole Kibana part of setup. Throws when Kibana cannot be used at all (unreachable, bad credentials, an
 * older version, a space that does not exist); otherwise returns every object's outcome. An import refused as a
 * whole (403, 413, 422, ...) fails each of its objects with Kibana's answer, and the other import still runs.
 */
export async function importKibanaContent(
  client: KibanaClient,
  content: KibanaContent,
): Promise<KibanaImportReport> {
  const version = await client.version();
  if (versionBelow(version, OLDEST_KIBANA)) {
    throw new CasguardError(
      'SETUP_FAILED',
      `Kibana ${version} is older than ${OLDEST_KIBANA}, the oldest version casguard's saved objects are made for`,
    );
  }
  if (!(await client.spaceExists())) {
    throw new CasguardError(
      'SETUP_FAILED',
      `the Kibana space "${client.space}" does not exist (create it first, or set kibana.space); Kibana would accept the import into a space nobody can open`,
    );
  }
  const refused = (
    objects: readonly { type: string; id: string; title: string }[],
    e: unknown,
  ): ObjectResult[] => {
    // No HTTP answer at all: nothing else will work either.
    if (!(e instanceof KibanaHttpError) || e.status === undefined) throw e;
    return objects.map((o) => ({ ...o, outcome: 'failed' as const, reason: e.message }));
  };
  const results: ObjectResult[] = [];
  try {
    const body = await client.importSavedObjects(content.savedObjects.ndjson, content.savedObjects.fileName);
    results.push(...savedObjectResults(content.savedObjects.objects, body));
  } catch (e) {
    results.push(...refused(content.savedObjects.objects, e));
  }
  const rules = content.rules.rules.map((r) => ({ type: 'rule', id: r.ruleId, title: r.name }));
  try {
    const existed = new Set<string>();
    for (const r of content.rules.rules) if (await client.ruleExists(r.ruleId)) existed.add(r.ruleId);
    const body = await client.importRules(content.rules.ndjson, content.rules.fileName);
    results.push(...ruleResults(content.rules.rules, existed, body));
  } catch (e) {
    results.push(...refused(rules, e));
  }
  return { version, space: client.space, results };
}
