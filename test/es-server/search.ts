// `_search` and `_count` over stored documents, for the queries a tool or a test uses to read back what was stored:
// match_all, match_none, term, terms, ids, exists, range, match (keyword: exact; text: any lower-cased token),
// and bool (must, filter, should, must_not, minimum_should_match). Values are compared with the field's mapped type
// (dates by instant, numbers by value, keywords exactly); a multi-field path (`message.keyword`) reads its parent's
// value; a constant_keyword with a value in the mapping matches every document of its index (the source need not
// carry it). Hits are sorted by `sort` (fields, `_doc`, `_score`; missing values last), paged with `from`/`size`
// (index.max_result_window 10,000), and answered in Elasticsearch's shape: `hits.total {value, relation}`,
// `max_score`, `_index` of the backing index. Scores are constant (1.0): relevance is not modelled.
// An unknown query is `parsing_exception: unknown query [x]`; a sort on a text field or on an unmapped field is a
// search_phase_execution_exception as Elasticsearch answers it.

import { parseDate, DEFAULT_DATE_FORMAT, DEFAULT_DATE_NANOS_FORMAT } from './date-format.js';
import { EsError } from './errors.js';
import type { ConcreteIndex, Source } from './indices.js';
import type { FieldMapping } from './mapping-state.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Hit {
  idx: ConcreteIndex;
  id: string;
  source: Source | null;
  order: number;
}

/** Values of a dotted field in a source (objects, dotted keys and arrays followed). */
export function valuesAt(source: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown, rest: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, rest);
      return;
    }
    if (rest === '') {
      if (v !== null && v !== undefined) out.push(v);
      return;
    }
    if (!isPlainObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (rest === k) walk(x, '');
      else if (rest.startsWith(k + '.')) walk(x, rest.slice(k.length + 1));
    }
  };
  walk(source, path);
  return out;
}

/**
 * The values a query, sort or exists sees for a field of a hit: a constant_keyword with a value has it for every
 * document of the index, whether or not the source carries it (ConstantKeywordFieldMapper: its queries are
 * answered from the mapping); any other field reads the source.
 */
function hitValues(h: Hit, f: { fm: FieldMapping; sourcePath: string }): unknown[] {
  if (f.fm.type === 'constant_keyword' && f.fm.value !== undefined) return [f.fm.value];
  return valuesAt(h.source, f.sourcePath);
}

/** The mapping of a field path, following multi-fields (`a.keyword`). */
function fieldOf(idx: ConcreteIndex, path: string): { fm: FieldMapping; sourcePath: string } | undefined {
  const fm = idx.mapping.fields.get(path);
  if (fm) return { fm, sourcePath: path };
  const dot = path.lastIndexOf('.');
  if (dot > 0) {
    const parent = idx.mapping.fields.get(path.slice(0, dot));
    const sub = parent?.fields?.[path.slice(dot + 1)];
    if (sub) return { fm: sub, sourcePath: path.slice(0, dot) };
  }
  return undefined;
}

/** A value normalized for comparison under a field type. */
function norm(fm: FieldMapping | undefined, v: unknown): string | number | boolean | undefined {
  const type = fm?.type ?? 'keyword';
  if (v === null || v === undefined) return undefined;
  switch (type) {
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
    case 'double':
    case 'float':
    case 'half_float':
    case 'scaled_float':
    case 'unsigned_long': {
      const n = typeof v === 'number' ? v : Number(v);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'date':
    case 'date_nanos': {
      const fmt =
        typeof fm?.params.format === 'string'
          ? fm.params.format
          : type === 'date'
            ? DEFAULT_DATE_FORMAT
            : DEFAULT_DATE_NANOS_FORMAT;
      const p = typeof v === 'string' || typeof v === 'number' ? parseDate(v, fmt) : undefined;
      return p ? p.millis + p.nanos / 1e6 : undefined;
    }
    case 'boolean':
      return v === true || v === 'true';
    default:
      return String(v as string);
  }
}

function tokens(s: string): string[] {
  return s
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((t) => t.length > 0);
}

function fieldValueOf(q: unknown): unknown {
  return isPlainObject(q) && 'value' in q ? q.value : q;
}

function parsingException(reason: string): EsError {
  return new EsError(400, 'parsing_exception', reason, { line: 1, col: 1 });
}

type Matcher = (h: Hit) => boolean;

function compile(q: unknown): Matcher {
  if (q === undefined) return () => true;
  if (!isPlainObject(q) || Object.keys(q).length !== 1)
    throw parsingException('[_na] query malformed, must start with start_object');
  const [type, body] = Object.entries(q)[0]!;
  const single = (): [string, unknown] => {
    if (!isPlainObject(body) || Object.keys(body).length !== 1)
      throw parsingException(
        `[${type}] query doesn't support multiple fields, found [${Object.keys(body as object).join('] and [')}]`,
      );
    return Object.entries(body)[0]!;
  };
  switch (type) {
    case 'match_all':
      return () => true;
    case 'match_none':
      return () => false;
    case 'ids': {
      const values = ((body as { values?: unknown[] }).values ?? []).map(String);
      return (h) => values.includes(h.id);
    }
    case 'exists': {
      const field = String((body as { field?: unknown }).field);
      return (h) => {
        const f = fieldOf(h.idx, field);
        return (
          (f ? hitValues(h, f) : valuesAt(h.source, field)).length > 0 &&
          !(h.idx.meta.get(h.id)?.ignored ?? []).includes(field)
        );
      };
    }
    case 'term':
    case 'terms':
    case 'match': {
      const [field, raw] =
        type === 'terms'
          ? (Object.entries(body as object).find(([k]) => k !== 'boost') as [string, unknown])
          : single();
      const wanted =
        type === 'terms'
          ? (raw as unknown[])
          : [type === 'match' && isPlainObject(raw) ? raw.query : fieldValueOf(raw)];
      return (h) => {
        const f = fieldOf(h.idx, field);
        if (!f) return false;
        const vals = hitValues(h, f);
        if (f.fm.type === 'text' || f.fm.type === 'match_only_text') {
          const docTokens = new Set(vals.flatMap((v) => tokens(String(v as string))));
          return wanted.some((w) =>
            type === 'match'
              ? tokens(String(w as string)).some((t) => docTokens.has(t))
              : docTokens.has(String(w as string)),
          );
        }
        const ws = wanted.map((w) => norm(f.fm, w));
        return vals.some((v) => ws.includes(norm(f.fm, v)));
      };
    }
    case 'range': {
      const [field, spec] = single();
      if (!isPlainObject(spec))
        throw parsingException('[range] query malformed, no start_object after query name');
      return (h) => {
        const f = fieldOf(h.idx, field);
        if (!f) return false;
        const fm =
          spec.format !== undefined ? { ...f.fm, params: { ...f.fm.params, format: spec.format } } : f.fm;
        return hitValues(h, f).some((raw) => {
          const v = norm(f.fm, raw);
          if (v === undefined) return false;
          const cmp = (bound: unknown): number | undefined => {
            const b = norm(fm, bound);
            if (b === undefined) return undefined;
            return v < b ? -1 : v > b ? 1 : 0;
          };
          const check = (k: string, ok: (c: number) => boolean): boolean => {
            if (spec[k] === undefined || spec[k] === null) return true;
            const c = cmp(spec[k]);
            return c !== undefined && ok(c);
          };
          return (
            check('gte', (c) => c >= 0) &&
            check('gt', (c) => c > 0) &&
            check('lte', (c) => c <= 0) &&
            check('lt', (c) => c < 0)
          );
        });
      };
    }
    case 'bool': {
      if (!isPlainObject(body)) throw parsingException('[bool] query malformed');
      const list = (k: string): Matcher[] => (body[k] === undefined ? [] : [body[k]].flat().map(compile));
      const must = [...list('must'), ...list('filter')];
      const should = list('should');
      const mustNot = list('must_not');
      const msm =
        body.minimum_should_match !== undefined
          ? Number(body.minimum_should_match)
          : must.length > 0
            ? 0
            : should.length > 0
              ? 1
              : 0;
      return (h) =>
        must.every((m) => m(h)) && !mustNot.some((m) => m(h)) && should.filter((m) => m(h)).length >= msm;
    }
    default:
      throw parsingException(`unknown query [${type}]`);
  }
}

function shardFailure(reason: EsError): EsError {
  const e = new EsError(
    400,
    'search_phase_execution_exception',
    'all shards failed',
    {
      phase: 'query',
      grouped: true,
      failed_shards: [{ shard: 0, index: null, node: 'es-test-server', reason: reason.toCause() }],
    },
    reason,
  );
  e.rootCauses = [reason.toCause()];
  return e;
}

interface SortSpec {
  field: string;
  order: 'asc' | 'desc';
}

function sortSpecs(sort: unknown): SortSpec[] {
  if (sort === undefined) return [];
  return [sort].flat().map((s) => {
    if (typeof s === 'string') return { field: s, order: s === '_score' ? 'desc' : 'asc' };
    const [field, v] = Object.entries(s as object)[0] as [string, unknown];
    const order =
      typeof v === 'string' ? v : ((v as { order?: string }).order ?? (field === '_score' ? 'desc' : 'asc'));
    return { field, order: order === 'desc' ? 'desc' : 'asc' };
  });
}

export interface SearchRequest {
  query?: unknown;
  size?: number;
  from?: number;
  sort?: unknown;
  _source?: unknown;
  track_total_hits?: boolean | number;
  seq_no_primary_term?: boolean;
  version?: boolean;
}

function filterSource(src: Source | null, spec: unknown): Source | undefined {
  if (spec === false) return undefined;
  if (src === null) return {};
  if (spec === undefined || spec === true) return src;
  const includes =
    typeof spec === 'string'
      ? [spec]
      : Array.isArray(spec)
        ? spec.map(String)
        : ((spec as { includes?: string[] }).includes ?? []);
  const excludes = isPlainObject(spec) ? ((spec.excludes as string[] | undefined) ?? []) : [];
  const out: Source = {};
  const walk = (v: unknown, prefix: string, into: Source): void => {
    if (!isPlainObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      const p = prefix ? `${prefix}.${k}` : k;
      const inc =
        includes.length === 0 ||
        includes.some(
          (i) =>
            i === p ||
            p.startsWith(i + '.') ||
            new RegExp('^' + i.replace(/\./g, '\\.').replace(/\*/g, '.*') + '$').test(p) ||
            i.startsWith(p + '.'),
        );
      const exc = excludes.some(
        (e) => e === p || new RegExp('^' + e.replace(/\./g, '\\.').replace(/\*/g, '.*') + '$').test(p),
      );
      if (!inc || exc) continue;
      if (isPlainObject(x) && !includes.some((i) => i === p)) {
        const sub: Source = {};
        walk(x, p, sub);
        if (Object.keys(sub).length > 0) into[k] = sub;
      } else into[k] = x;
    }
  };
  walk(src, '', out);
  return out;
}

/** Run a search over concrete indices. */
export function search(indices: ConcreteIndex[], req: SearchRequest): Record<string, unknown> {
  const started = Date.now();
  const matcher = compile(req.query);
  const size = req.size ?? 10;
  const from = req.from ?? 0;
  if (from + size > 10000)
    throw shardFailure(
      new EsError(
        400,
        'illegal_argument_exception',
        `Result window is too large, from + size must be less than or equal to: [10000] but was [${from + size}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.`,
      ),
    );
  const hits: Hit[] = [];
  let order = 0;
  for (const idx of indices) {
    for (const [id, source] of idx.docs) {
      const h = { idx, id, source, order: order++ };
      if (matcher(h)) hits.push(h);
    }
  }
  const specs = sortSpecs(req.sort);
  for (const s of specs) {
    if (s.field === '_doc' || s.field === '_score') continue;
    const mapped = indices.map((i) => fieldOf(i, s.field)).filter((x) => x !== undefined);
    if (mapped.length === 0)
      throw shardFailure(
        new EsError(400, 'query_shard_exception', `No mapping found for [${s.field}] in order to sort on`, {
          index: indices[0]?.name ?? '',
        }),
      );
    if (mapped.some((m) => m!.fm.type === 'text' && m!.fm.params.fielddata !== true))
      throw shardFailure(
        new EsError(
          400,
          'illegal_argument_exception',
          `Fielddata is disabled on [${s.field}] in [${indices[0]?.name ?? ''}]. Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [${s.field}] in order to load field data by uninverting the inverted index. Note that this can use significant memory.`,
        ),
      );
  }
  const sortValues = (h: Hit): unknown[] =>
    specs.map((s) => {
      if (s.field === '_doc') return h.order;
      if (s.field === '_score') return 1;
      const f = fieldOf(h.idx, s.field);
      if (!f) return undefined;
      const vals = hitValues(h, f)
        .map((v) => norm(f.fm, v))
        .filter((v) => v !== undefined) as (string | number)[];
      if (vals.length === 0) return undefined;
      return vals.reduce((a, b) => ((s.order === 'asc' ? b < a : b > a) ? b : a));
    });
  if (specs.length > 0) {
    const keyed = hits.map((h) => ({ h, k: sortValues(h) }));
    keyed.sort((a, b) => {
      for (let i = 0; i < specs.length; i++) {
        const x = a.k[i] as string | number | undefined;
        const y = b.k[i] as string | number | undefined;
        if (x === y) continue;
        if (x === undefined) return 1; // missing: _last
        if (y === undefined) return -1;
        const c = x < y ? -1 : 1;
        return specs[i]!.order === 'asc' ? c : -c;
      }
      return a.h.order - b.h.order;
    });
    hits.splice(0, hits.length, ...keyed.map((x) => x.h));
  }
  const page = hits.slice(from, from + size);
  const track = req.track_total_hits ?? 10000;
  const limit = track === true ? Number.POSITIVE_INFINITY : track === false ? -1 : Number(track);
  const total =
    limit < 0
      ? undefined
      : hits.length > limit
        ? { value: limit, relation: 'gte' }
        : { value: hits.length, relation: 'eq' };
  const scored = specs.length === 0 || specs.some((s) => s.field === '_score');
  return {
    took: Date.now() - started,
    timed_out: false,
    _shards: { total: indices.length, successful: indices.length, skipped: 0, failed: 0 },
    hits: {
      ...(total ? { total } : {}),
      max_score: scored && hits.length > 0 ? 1.0 : null,
      hits: page.map((h) => {
        const m = h.idx.meta.get(h.id);
        const src = filterSource(h.source, req._source);
        return {
          _index: h.idx.name,
          _id: h.id,
          ...(req.version && m ? { _version: m.version } : {}),
          ...(req.seq_no_primary_term && m ? { _seq_no: m.seqNo, _primary_term: m.primaryTerm } : {}),
          _score: scored ? 1.0 : null,
          ...(m?.ignored ? { _ignored: m.ignored } : {}),
          ...(src !== undefined ? { _source: src } : {}),
          ...(specs.length > 0 ? { sort: sortValues(h).map((v) => v ?? null) } : {}),
        };
      }),
    },
  };
}

export function count(indices: ConcreteIndex[], query: unknown): Record<string, unknown> {
  const matcher = compile(query);
  let n = 0;
  let order = 0;
  for (const idx of indices)
    for (const [id, source] of idx.docs) if (matcher({ idx, id, source, order: order++ })) n += 1;
  return { count: n, _shards: { total: indices.length, successful: indices.length, skipped: 0, failed: 0 } };
}
