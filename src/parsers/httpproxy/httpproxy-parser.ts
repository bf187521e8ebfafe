// HttpProxy EAS CSV rows (eas-formats.md 3). A new file starts with a bare CSV header line (field names, no
// `#`) and then a `#Software/#Version/#Log-type/#Date/#Fields` directive block, which is written again whenever
// a process re-opens the file; published excerpts may have either or neither. Columns are always mapped by
// name: the latest `#Fields` or header line wins; a file (or excerpt) with neither is mapped by the known schema
// of the same column count (53: 2013 RTM; 69: 2013 CU23; 74: 2016 CU23). Framing ('lines') hands over one
// row's text: the writer escapes line ends, so a row is one line and a quote left open is this row's error.
// Invariants: never throws; a bad row is a ParseFailure with an `httpproxy.*` code.

import type { SourceRecord } from '../../pipeline/record.types.js';
import type { ParseResult, RecordParser } from '../../pipeline/stages.types.js';
import { splitDelimitedRow } from '../delimited-row.js';
import type { HttpProxyEvent, HttpProxyLayout } from './httpproxy.types.js';
import { BAD_TEXT_CHARS } from '../bad-chars.js';

export const HTTPPROXY_MAX_ROW_CHARS = 1024 * 1024;

/** Exchange 2013 RTM (15.00.0516), 53 columns: the header that fits the REAL rows (eas-formats.md 3.2). */
export const HTTPPROXY_COLUMNS_53 =
  'DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,ActivityContextLifeTime,ModuleToHandlerSwitching,FirstResponseByteReceived,ProxyTime,RequestHandlerLatency,HandlerToModuleSwitching,HttpProxyOverhead,TotalRequestTime,UrlQuery,GenericInfo,GenericErrors';

/** Exchange 2016 CU23 (15.01.2375), 74 columns: REAL `#Fields` of the corpus sample. */
export const HTTPPROXY_COLUMNS_74 =
  'DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus';

const ADDED_IN_2016 = new Set([
  'EdgeTraceId',
  'DatabaseGuid',
  'UserADObjectGuid',
  'PartitionEndpointLookupLatency',
  'RoutingStatus',
]);

/** Exchange 2013 CU23, 69 columns (CODE): the 2016 CU23 list without the five columns 2016 added. */
export const HTTPPROXY_COLUMNS_69 = HTTPPROXY_COLUMNS_74.split(',')
  .filter((c) => !ADDED_IN_2016.has(c))
  .join(',');

export function httpProxyLayout(names: readonly string[], origin: string): HttpProxyLayout {
  const index: Record<string, number> = {};
  for (let i = 0; i < names.length; i++) if (index[names[i]!] === undefined) index[names[i]!] = i;
  return { names, index, origin };
}

const ASSUMED: Readonly<Record<number, HttpProxyLayout>> = {
  53: httpProxyLayout(HTTPPROXY_COLUMNS_53.split(','), 'assumed-53'),
  69: httpProxyLayout(HTTPPROXY_COLUMNS_69.split(','), 'assumed-69'),
  74: httpProxyLayout(HTTPPROXY_COLUMNS_74.split(','), 'assumed-74'),
};

const ISO_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,7})?Z$/;

function fail(code: string, reason: string): ParseResult<HttpProxyEvent> {
  return { kind: 'failure', code: `httpproxy.${code}`, reason };
}

interface HttpProxyState {
  readonly fields: readonly string[] | null;
  readonly version: string | null;
}

export class HttpProxyParser implements RecordParser<HttpProxyEvent> {
  private layout: HttpProxyLayout | undefined;
  private version: string | undefined;

  parse(record: SourceRecord): ParseResult<HttpProxyEvent> {
    let text = record.text;
    if (text.length > HTTPPROXY_MAX_ROW_CHARS) {
      return fail('row_too_long', `row of ${text.length} characters exceeds ${HTTPPROXY_MAX_ROW_CHARS}`);
    }
    if (text.length > 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r\n')) text = text.slice(0, -2);
    else if (text.endsWith('\n') || text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim().length === 0) return { kind: 'skip' };
    if (BAD_TEXT_CHARS.test(text)) {
      return fail(
        'encoding',
        'row contains control or replacement characters (binary data, or a file in another encoding)',
      );
    }
    if (text.charCodeAt(0) === 35 /* # */) {
      if (text.startsWith('#Fields:')) {
        const names = text.slice(8).trim().split(',');
        if (names.length < 2 || names[0] !== 'DateTime') return fail('fields', 'unusable #Fields directive');
        this.layout = httpProxyLayout(names, 'fields');
      } else if (text.startsWith('#Version:')) {
        this.version = text.slice(9).trim();
      }
      return { kind: 'skip' };
    }
    // The bare header line a new file starts with.
    if (text.startsWith('DateTime,RequestId,')) {
      this.layout = httpProxyLayout(text.split(','), 'header');
      return { kind: 'skip' };
    }
    const row = splitDelimitedRow(text, ',');
    if ('error' in row) return fail('csv', row.error);
    const values = row.fields;
    const layout = this.layout ?? ASSUMED[values.length];
    if (layout === undefined) {
      return fail(
        'no_fields',
        `no header seen and ${values.length} columns match no known HttpProxy schema (53, 69, 74)`,
      );
    }
    if (values.length !== layout.names.length) {
      return fail(
        'column_count',
        `${values.length} columns where the header names ${layout.names.length} (truncated or damaged row?)`,
      );
    }
    const ti = layout.index['DateTime'];
    if (ti === undefined || !ISO_RE.test(values[ti]!)) {
      return fail('timestamp', `bad DateTime '${ti === undefined ? '' : values[ti]!.slice(0, 40)}'`);
    }
    return {
      kind: 'event',
      event: this.version !== undefined ? { layout, values, version: this.version } : { layout, values },
    };
  }

  snapshot(): HttpProxyState {
    return {
      fields: this.layout && !this.layout.origin.startsWith('assumed') ? this.layout.names : null,
      version: this.version ?? null,
    };
  }

  restore(state: unknown): void {
    if (!state || typeof state !== 'object') return;
    const s = state as Partial<HttpProxyState>;
    if (Array.isArray(s.fields) && s.fields.every((f) => typeof f === 'string')) {
      this.layout = httpProxyLayout(s.fields, 'fields');
    }
    if (typeof s.version === 'string') this.version = s.version;
  }
}
