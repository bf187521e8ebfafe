// What detection reads of an IIS line written as JSON (issue 16): a document-shaped view whose top-level fields
// are built only when read. Detection reads fields by property access (never enumerates a document), and most
// lines are decided on `event` and `microsoft.exchange.activesync` alone, which the view builds cheaply from the
// line's values; any other group comes from the full enriched document (`full()`), built at most once and only
// when something reads it. Every value equals the full document's (json-path.test.ts compares the alerts of both
// paths on generated storms).
//
// The view is never serialized, redacted or handed to an output: those get the full document.

import type { EcsDocument, JsonValue } from '../../pipeline/document.types.js';
import type { FileContext } from '../../pipeline/stages.types.js';
import { easStatusName, iosOfUserAgent } from '../../enrich/eas-enrichers.js';
import { activesyncFields, outcomeOf } from './eas-document.js';
import type { IisLine } from './iis-normalizer.js';

type Obj = { [key: string]: JsonValue };

function plusToSpace(s: string): string {
  return s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' ');
}

function fromFull(view: IisDocumentView, key: string): JsonValue | undefined {
  return view.full()[key];
}

export class IisDocumentView {
  private eventObj: Obj | undefined;
  private microsoftObj: Obj | null | undefined;
  private userAgentObj: Obj | null | undefined;

  constructor(
    private readonly line: IisLine,
    private readonly ctx: FileContext,
    /** The full enriched document (built once, by the caller's memo). */
    readonly full: () => EcsDocument,
  ) {}

  get '@timestamp'(): string {
    return this.line.timestamp;
  }

  get event(): Obj {
    if (this.eventObj !== undefined) return this.eventObj;
    const f = this.line;
    const e: Obj = {
      kind: 'event',
      module: 'exchange',
      dataset: 'exchange.activesync',
      category: ['web'],
      type: ['access'],
    };
    if (this.ctx.preserveOriginalEvent === true && f.original !== undefined) e['original'] = f.original;
    if (f.taken !== undefined) e['duration'] = f.taken * 1_000_000;
    if (f.eas !== undefined) {
      if (f.eas.command !== undefined && f.eas.command.length > 0) e['action'] = f.eas.command;
      e['outcome'] = outcomeOf(f.eas);
    } else {
      const st = f.statusCode;
      e['outcome'] = st === undefined ? 'unknown' : st >= 400 ? 'failure' : 'success';
    }
    return (this.eventObj = e);
  }

  get data_stream(): Obj {
    return { type: 'logs', dataset: 'exchange.activesync', namespace: 'default' };
  }

  get casguard(): Obj {
    return { input: { id: this.ctx.source.inputId }, format: 'iis' };
  }

  get microsoft(): JsonValue | undefined {
    if (this.microsoftObj !== undefined) return this.microsoftObj ?? undefined;
    const f = this.line;
    const iis: Obj = {};
    if (f.site !== undefined) iis['site_name'] = f.site;
    if (f.subStatus !== undefined) iis['sub_status'] = f.subStatus;
    if (f.win32 !== undefined) iis['win32_status'] = f.win32;
    if (f.assumed) iis['fields_assumed'] = true;
    const hasIis = f.site !== undefined || f.subStatus !== undefined || f.win32 !== undefined || f.assumed;
    let m: Obj | null;
    if (f.eas !== undefined) {
      // A server build (never on an IIS line) is enriched: the full document has it.
      if (f.eas.serverBuild !== undefined) return fromFull(this, 'microsoft');
      const as = activesyncFields(f.eas, 'iis');
      if (typeof as['status'] === 'number') {
        const name = easStatusName(as['status'], as['command']);
        if (name !== undefined) as['status_name'] = name;
      }
      const exchange: Obj = { activesync: as };
      if (hasIis) exchange['iis'] = iis;
      m = { exchange };
    } else m = hasIis ? { exchange: { iis } } : null;
    this.microsoftObj = m;
    return m ?? undefined;
  }

  get log(): JsonValue | undefined {
    return fromFull(this, 'log');
  }
  get host(): JsonValue | undefined {
    return fromFull(this, 'host');
  }
  get observer(): JsonValue | undefined {
    return fromFull(this, 'observer');
  }
  get url(): JsonValue | undefined {
    return fromFull(this, 'url');
  }
  get http(): JsonValue | undefined {
    return fromFull(this, 'http');
  }
  get server(): JsonValue | undefined {
    return fromFull(this, 'server');
  }
  get source(): JsonValue | undefined {
    return fromFull(this, 'source');
  }
  get network(): JsonValue | undefined {
    return fromFull(this, 'network');
  }
  get user(): JsonValue | undefined {
    return fromFull(this, 'user');
  }
  get user_agent(): JsonValue | undefined {
    // Read for most lines (rules on the client's iOS version): built here, as applyEasFacts and
    // enrichIosFromUserAgent do, or in iisDocument for other requests.
    if (this.userAgentObj !== undefined) return this.userAgentObj ?? undefined;
    const f = this.line;
    let ua: string | undefined;
    if (f.eas !== undefined) {
      const v = f.eas.userAgent;
      if (v !== undefined && v.length > 0 && v !== '-') ua = v;
    } else if (f.userAgent !== undefined) ua = plusToSpace(f.userAgent);
    let o: Obj | null = null;
    if (ua !== undefined) {
      o = { original: ua };
      const ios = iosOfUserAgent(ua);
      if (ios !== undefined) o['os'] = { name: 'iOS', version: ios.version, full: ios.full };
    }
    this.userAgentObj = o;
    return o ?? undefined;
  }
  get device(): JsonValue | undefined {
    return fromFull(this, 'device');
  }
  get error(): JsonValue | undefined {
    return fromFull(this, 'error');
  }
  get ecs(): JsonValue | undefined {
    return fromFull(this, 'ecs');
  }
  get agent(): JsonValue | undefined {
    return fromFull(this, 'agent');
  }
}
