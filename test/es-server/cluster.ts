// The cluster state: concrete indices, data streams with their backing (and failure) indices, templates, and the
// cluster settings that change how indices are created. Index creation follows MetadataCreateIndexService and
// MetadataCreateDataStreamService: the matching template is resolved, index setting providers add their settings
// (LogsdbIndexModeSettingsProvider: `index.mode: logsdb` for data streams named logs-*-* when
// cluster.logsdb.enabled and the template does not set index.mode), logsdb adds `host.name` (keyword) and
// `@timestamp` (date) when absent. A data stream's backing indices are named
// `.ds-<stream>-<yyyy.MM.dd>-<generation, 6 digits>` (DataStream#getDefaultBackingIndexName); a rollover
// resolves the template again (MetadataRolloverService#rolloverDataStream), so a changed template applies to the
// new write index only.

import { EsError, illegalArgument } from './errors.js';
import { ConcreteIndex, notFound } from './indices.js';
import type { IndexOptions, Source } from './indices.js';
import type { FlatSettings } from './index-settings.js';
import { cloneMappingState, emptyMappingState, mergeMappings } from './mapping-state.js';
import type { IndexMappingState } from './mapping-state.js';
import { globMatch } from './glob.js';
import { TemplateStore } from './templates.js';
import type { ResolvedTemplate } from './templates.js';

export interface DataStream {
  readonly name: string;
  /** Backing indices, oldest first; the last is the write index. */
  readonly indices: ConcreteIndex[];
  readonly failureIndices: ConcreteIndex[];
  generation: number;
  template: string;
  readonly meta?: unknown;
  readonly hidden: boolean;
  readonly allowCustomRouting: boolean;
  failureStoreEnabled: boolean;
  rolloverOnWrite: boolean;
  failureRolloverOnWrite: boolean;
}

export interface ClusterOptions extends IndexOptions {
  major: number;
  minor: number;
  logsdbEnabled: boolean;
  /** action.auto_create_index (default true). */
  autoCreateIndex: boolean;
  /** The clock backing index names and rollover use (tests move it to see dated names change). */
  now: () => Date;
}

/** MetadataCreateIndexService#validateIndexOrAliasName and MetadataCreateDataStreamService#validateDataStreamName. */
export function invalidIndexName(name: string): string | undefined {
  if (name !== name.toLowerCase()) return 'must be lowercase';
  if (name === '.' || name === '..') return "must not be '.' or '..'";
  if (/^[-_+]/.test(name)) return "must not start with '_', '-', or '+'";
  if (/[\\/*?"<>| ,#:]/.test(name))
    return 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]';
  if (Buffer.byteLength(name) > 255) return 'index name is too long, (' + Buffer.byteLength(name) + ' > 255)';
  return undefined;
}

export function dayOf(d: Date): string {
  return `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
}

export class Cluster {
  readonly templates = new TemplateStore();
  readonly indices = new Map<string, ConcreteIndex>();
  readonly dataStreams = new Map<string, DataStream>();

  constructor(readonly opts: ClusterOptions) {}

  /** A data stream, a concrete index, or undefined. */
  lookup(name: string): { dataStream: DataStream } | { index: ConcreteIndex } | undefined {
    const ds = this.dataStreams.get(name);
    if (ds) return { dataStream: ds };
    const idx = this.indices.get(name);
    if (idx) return { index: idx };
    return undefined;
  }

  writeIndexOf(ds: DataStream): ConcreteIndex {
    return ds.indices[ds.indices.length - 1]!;
  }

  /** Settings added by IndexSettingProviders and defaults every index gets. */
  private finalSettings(name: string, resolved: FlatSettings, dataStream?: string): FlatSettings {
    const s: FlatSettings = { ...resolved };
    // LogsdbIndexModeSettingsProvider (x-pack/plugin/logsdb): logs-*-* data streams, unless index.mode is set.
    if (
      this.opts.logsdbEnabled &&
      dataStream !== undefined &&
      globMatch('logs-*-*', dataStream) &&
      s['index.mode'] === undefined
    )
      s['index.mode'] = 'logsdb';
    s['index.number_of_shards'] ??= '1';
    s['index.number_of_replicas'] ??= '1';
    if (dataStream !== undefined) s['index.hidden'] = 'true';
    s['index.provided_name'] = name;
    s['index.creation_date'] = String(Date.now());
    s['index.routing.allocation.include._tier_preference'] ??= 'data_content';
    return s;
  }

  private newIndex(
    name: string,
    settings: FlatSettings,
    mapping: IndexMappingState,
    dataStream?: string,
    template?: string,
  ): ConcreteIndex {
    if (settings['index.mode'] === 'logsdb') {
      // IndexMode.LOGSDB#getDefaultMapping: host.name (keyword) when it can be added, @timestamp (date).
      const host = mapping.fields.get('host');
      if (!mapping.fields.has('host.name') && (!host || host.type === 'object'))
        mergeMappings(mapping, { properties: { host: { properties: { name: { type: 'keyword' } } } } });
      if (!mapping.fields.has('@timestamp'))
        mergeMappings(mapping, { properties: { '@timestamp': { type: 'date' } } });
    }
    const idx = new ConcreteIndex(name, settings, mapping, this.opts, dataStream, template);
    settings['index.uuid'] = idx.uuid;
    this.indices.set(name, idx);
    return idx;
  }

  private resolvedFor(name: string): ResolvedTemplate | undefined {
    const m = this.templates.findTemplate(name);
    return m ? this.templates.resolve(m[0], m[1]) : undefined;
  }

  /** PUT <index> or the auto-creation of a plain index. */
  createIndex(name: string, body: { settings: FlatSettings; mappings?: unknown }): ConcreteIndex {
    const invalid = invalidIndexName(name);
    if (invalid)
      throw new EsError(400, 'invalid_index_name_exception', `Invalid index name [${name}], ${invalid}`, {
        index_uuid: '_na_',
        index: name,
      });
    if (this.lookup(name))
      throw new EsError(
        400,
        'resource_already_exists_exception',
        `index [${name}/${this.indices.get(name)?.uuid ?? '_na_'}] already exists`,
        {
          index_uuid: this.indices.get(name)?.uuid ?? '_na_',
          index: name,
        },
      );
    const r = this.resolvedFor(name);
    if (r && r.template.data_stream !== undefined)
      throw illegalArgument(
        `cannot create index with name [${name}], because it matches with template [${r.name}] that creates data streams only, use create data stream api instead`,
      );
    const mapping = r ? r.mapping : emptyMappingState();
    mergeMappings(mapping, body.mappings);
    return this.newIndex(
      name,
      this.finalSettings(name, { ...(r?.settings ?? {}), ...body.settings }),
      mapping,
      undefined,
      r?.name,
    );
  }

  private backingName(prefix: '.ds' | '.fs', ds: string, generation: number): string {
    return `${prefix}-${ds}-${dayOf(this.opts.now())}-${String(generation).padStart(6, '0')}`;
  }

  /** PUT _data_stream/<name> or the auto-creation of a data stream by a write. */
  createDataStream(name: string): DataStream {
    const invalid = invalidIndexName(name);
    if (invalid)
      throw new EsError(400, 'invalid_index_name_exception', `Invalid index name [${name}], ${invalid}`, {
        index_uuid: '_na_',
        index: name,
      });
    if (name.startsWith('.ds-')) throw illegalArgument(`data_stream [${name}] must not start with '.ds-'`);
    if (this.dataStreams.has(name))
      throw new EsError(400, 'resource_already_exists_exception', `data_stream [${name}] already exists`);
    if (this.indices.has(name))
      throw new EsError(
        400,
        'resource_already_exists_exception',
        `index [${name}/${this.indices.get(name)!.uuid}] already exists`,
        { index: name },
      );
    const m = this.templates.findTemplate(name);
    if (!m) throw illegalArgument(`no matching index template found for data stream [${name}]`);
    if (m[1].data_stream === undefined)
      throw illegalArgument(
        `matching index template [${m[0]}] for data stream [${name}] has no data stream template`,
      );
    const r = this.templates.resolve(m[0], m[1]);
    const dsTemplate = m[1].data_stream as { hidden?: boolean; allow_custom_routing?: boolean };
    const ds: DataStream = {
      name,
      indices: [],
      failureIndices: [],
      generation: 1,
      template: m[0],
      ...(m[1]._meta !== undefined ? { meta: structuredClone(m[1]._meta) } : {}),
      hidden: dsTemplate.hidden === true,
      allowCustomRouting: dsTemplate.allow_custom_routing === true,
      failureStoreEnabled: r.failureStore,
      rolloverOnWrite: false,
      failureRolloverOnWrite: true,
    };
    ds.indices.push(
      this.newIndex(
        this.backingName('.ds', name, 1),
        this.finalSettings(this.backingName('.ds', name, 1), r.settings, name),
        r.mapping,
        name,
        m[0],
      ),
    );
    this.dataStreams.set(name, ds);
    return ds;
  }

  /** POST <stream>/_rollover. */
  rollover(
    target: string,
    body: Record<string, unknown>,
    params: { dryRun: boolean; lazy: boolean },
  ): Record<string, unknown> {
    const ds = this.dataStreams.get(target);
    if (!ds) {
      if (this.indices.has(target))
        throw illegalArgument(
          'rollover target is a [concrete index] but one of [alias,data_stream] was expected',
        );
      throw illegalArgument(`rollover target [${target}] does not exist`);
    }
    const old = this.writeIndexOf(ds);
    const conditions = (body.conditions ?? {}) as Record<string, unknown>;
    const results: Record<string, boolean> = {};
    const docs = old.docs.size;
    const ageMs = Date.now() - old.creationDate;
    for (const [c, v] of Object.entries(conditions)) {
      let met = false;
      if (c === 'max_docs' || c === 'max_primary_shard_docs') met = docs >= Number(v);
      else if (c === 'min_docs' || c === 'min_primary_shard_docs') met = docs >= Number(v);
      else if (c === 'max_age' || c === 'min_age') met = ageMs >= parseTime(String(v as string));
      results[`[${c}: ${String(v as string)}]`] = met;
    }
    const maxConds = Object.entries(results).filter(([k]) => k.startsWith('[max_'));
    const minConds = Object.entries(results).filter(([k]) => k.startsWith('[min_'));
    const met =
      Object.keys(conditions).length === 0 ||
      ((maxConds.length === 0 || maxConds.some(([, v]) => v)) && minConds.every(([, v]) => v));
    const newName = this.backingName('.ds', target, ds.generation + 1);
    const base = {
      acknowledged: false,
      shards_acknowledged: false,
      old_index: old.name,
      new_index: newName,
      rolled_over: false,
      dry_run: params.dryRun,
      lazy: params.lazy,
      conditions: results,
    };
    if (params.lazy) {
      if (!params.dryRun) ds.rolloverOnWrite = true;
      return { ...base, acknowledged: true };
    }
    if (!met || params.dryRun) return base;
    this.rolloverNow(ds);
    return { ...base, acknowledged: true, shards_acknowledged: true, rolled_over: true };
  }

  /** Roll a data stream over now (also the lazy rollover of the first write after `?lazy=true`). */
  rolloverNow(ds: DataStream): ConcreteIndex {
    const m = this.templates.findTemplate(ds.name);
    if (!m) throw illegalArgument(`no matching index template found for data stream [${ds.name}]`);
    if (m[1].data_stream === undefined)
      throw illegalArgument(
        `matching index template [${m[0]}] for data stream [${ds.name}] has no data stream template`,
      );
    const r = this.templates.resolve(m[0], m[1]);
    ds.generation += 1;
    ds.template = m[0];
    ds.rolloverOnWrite = false;
    const name = this.backingName('.ds', ds.name, ds.generation);
    const idx = this.newIndex(name, this.finalSettings(name, r.settings, ds.name), r.mapping, ds.name, m[0]);
    ds.indices.push(idx);
    return idx;
  }

  /** The failure index a redirected document goes to (created at the first failure, as on Elasticsearch). */
  failureIndexOf(ds: DataStream): ConcreteIndex {
    if (ds.failureRolloverOnWrite || ds.failureIndices.length === 0) {
      ds.generation += 1;
      const name = this.backingName('.fs', ds.name, ds.generation);
      const idx = new ConcreteIndex(
        name,
        this.finalSettings(name, { 'index.hidden': 'true' }, ds.name),
        emptyMappingState(),
        { ...this.opts, checkMappings: false },
        ds.name,
      );
      this.indices.set(name, idx);
      ds.failureIndices.push(idx);
      ds.failureRolloverOnWrite = false;
    }
    return ds.failureIndices[ds.failureIndices.length - 1]!;
  }

  /** The data stream a concrete index backs. */
  dataStreamOf(idx: ConcreteIndex): DataStream | undefined {
    return idx.dataStream !== undefined ? this.dataStreams.get(idx.dataStream) : undefined;
  }

  deleteIndex(name: string): void {
    const idx = this.indices.get(name);
    if (!idx) {
      if (this.dataStreams.has(name))
        throw illegalArgument(
          `The provided expression [${name}] matches a data stream, specify the corresponding concrete indices instead.`,
        );
      throw notFound(name);
    }
    const ds = this.dataStreamOf(idx);
    if (ds && this.writeIndexOf(ds) === idx)
      throw illegalArgument(
        `index [${name}] is the write index for data stream [${ds.name}] and cannot be deleted`,
      );
    if (ds) ds.indices.splice(ds.indices.indexOf(idx), 1);
    this.indices.delete(name);
  }

  deleteDataStream(name: string): void {
    const ds = this.dataStreams.get(name);
    if (!ds) throw notFound(name);
    for (const i of [...ds.indices, ...ds.failureIndices]) this.indices.delete(i.name);
    this.dataStreams.delete(name);
  }

  /**
   * GET _data_stream: one entry as Elasticsearch shows it (GetDataStreamAction.Response). As in
   * TransportGetDataStreamsAction#innerOperation, `template` is the index template that matches the stream's name
   * NOW (findV2Template), not the one it was created from, and the top-level `ilm_policy` is that template's
   * resolved `index.lifecycle.name`; each backing index shows its own policy. A stream created from the built-in
   * `logs` template therefore names casguard's template once `setup` installed it, while its write index still
   * shows `ilm_policy: logs` until a rollover.
   */
  describeDataStream(ds: DataStream): Record<string, unknown> {
    const write = this.writeIndexOf(ds);
    const matching = this.templates.findTemplate(ds.name);
    const ilm =
      matching !== undefined
        ? (this.templates.resolve(matching[0], matching[1]).settings['index.lifecycle.name'] as
            string | undefined)
        : undefined;
    const indexInfo = (i: ConcreteIndex): Record<string, unknown> => {
      const p = i.settings['index.lifecycle.name'] as string | undefined;
      return {
        index_name: i.name,
        index_uuid: i.uuid,
        prefer_ilm: i.settings['index.lifecycle.prefer_ilm'] !== 'false',
        ...(p !== undefined ? { ilm_policy: p } : {}),
        managed_by: p !== undefined ? 'Index Lifecycle Management' : 'Unmanaged',
        ...(this.opts.major >= 9 || (this.opts.major === 8 && this.opts.minor >= 17)
          ? { index_mode: i.mode }
          : {}),
      };
    };
    return {
      name: ds.name,
      timestamp_field: { name: '@timestamp' },
      indices: ds.indices.map(indexInfo),
      generation: ds.generation,
      ...(ds.meta !== undefined ? { _meta: ds.meta } : {}),
      status: 'YELLOW',
      ...(matching !== undefined ? { template: matching[0] } : {}),
      ...(ilm !== undefined ? { ilm_policy: ilm } : {}),
      next_generation_managed_by: ilm !== undefined ? 'Index Lifecycle Management' : 'Unmanaged',
      prefer_ilm: true,
      hidden: ds.hidden,
      system: false,
      allow_custom_routing: ds.allowCustomRouting,
      replicated: false,
      rollover_on_write: ds.rolloverOnWrite,
      ...(this.opts.major >= 9 || (this.opts.major === 8 && this.opts.minor >= 17)
        ? { index_mode: write.mode }
        : {}),
      ...(this.opts.major >= 9
        ? {
            failure_store: {
              enabled: ds.failureStoreEnabled,
              rollover_on_write: ds.failureRolloverOnWrite,
              indices: ds.failureIndices.map(indexInfo),
            },
          }
        : {}),
    };
  }

  /** Names a target expression (comma list, wildcards) resolves to, for reads (data streams and indices). */
  resolveExpression(expr: string, includeHidden = false): { names: string[]; missing: string[] } {
    const names: string[] = [];
    const missing: string[] = [];
    for (const part of expr.split(',')) {
      if (part === '_all' || part.includes('*')) {
        const pat = part === '_all' ? '*' : part;
        for (const n of this.dataStreams.keys()) if (globMatch(pat, n) && !names.includes(n)) names.push(n);
        for (const [n, i] of this.indices)
          if (
            globMatch(pat, n) &&
            !names.includes(n) &&
            (includeHidden ||
              pat.startsWith('.') ||
              (i.settings['index.hidden'] !== 'true' && i.dataStream === undefined))
          )
            names.push(n);
      } else if (this.lookup(part)) {
        if (!names.includes(part)) names.push(part);
      } else missing.push(part);
    }
    return { names, missing };
  }

  /** Concrete indices behind a list of names (a data stream's backing indices). */
  concrete(names: string[]): ConcreteIndex[] {
    const out: ConcreteIndex[] = [];
    for (const n of names) {
      const l = this.lookup(n);
      if (!l) continue;
      if ('dataStream' in l) out.push(...l.dataStream.indices);
      else out.push(l.index);
    }
    return [...new Set(out)];
  }

  /** A copy of a mapping (GET _mapping of several indices). */
  mappingOf(idx: ConcreteIndex): IndexMappingState {
    return cloneMappingState(idx.mapping);
  }

  /** The ingest timestamp Elasticsearch's logs@default-pipeline copies into a missing @timestamp. */
  applyDefaultPipeline(idx: ConcreteIndex, doc: Source): EsError | undefined {
    const p = idx.settings['index.default_pipeline'] as string | undefined;
    if (p === undefined || p === '_none') return undefined;
    const pipeline = this.templates.pipelines.get(p);
    if (!pipeline) return illegalArgument(`pipeline with id [${p}] does not exist`);
    if (p === 'logs@default-pipeline' && doc['@timestamp'] === undefined)
      doc['@timestamp'] = new Date().toISOString();
    return undefined;
  }
}

export function parseTime(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(nanos|micros|ms|s|m|h|d)$/.exec(v);
  if (!m) return Number.POSITIVE_INFINITY;
  const unit = { nanos: 1e-6, micros: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}
