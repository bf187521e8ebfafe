// Decodes the query string of an EAS request as IIS, HttpProxy and the mailbox log record it. Two forms exist
// (MS-ASHTTP 2.2.1.1.1): the plain form `User=..&DeviceId=..&DeviceType=..&Cmd=..` (parameter order as the
// client sent it) and the base64 form, one opaque token holding a small binary structure. Exchange appends
// its own `&Log=<tokens>` to either form in IIS logs, and CAFE appends `&CorrelationID=..;&cafeReqId=..;`.
// Invariants: never throws (malformed escapes stay as written); unknown parameters are kept in `params`.

/** The command codes of the base64 query form (MS-ASHTTP 2.2.1.1.1.1.2). */
const BASE64_COMMANDS: Readonly<Record<number, string>> = {
  0: 'Sync',
  1: 'SendMail',
  2: 'SmartForward',
  3: 'SmartReply',
  4: 'GetAttachment',
  9: 'FolderSync',
  10: 'FolderCreate',
  11: 'FolderDelete',
  12: 'FolderUpdate',
  13: 'MoveItems',
  14: 'GetItemEstimate',
  15: 'MeetingResponse',
  16: 'Search',
  17: 'Settings',
  18: 'Ping',
  19: 'ItemOperations',
  20: 'Provision',
  21: 'ResolveRecipients',
  22: 'ValidateCert',
};

/** Command parameter tags of the base64 form (MS-ASHTTP 2.2.1.1.1.1.3). */
const BASE64_PARAMS: Readonly<Record<number, string>> = {
  0: 'AttachmentName',
  1: 'CollectionId',
  2: 'CollectionName',
  3: 'ItemId',
  4: 'LongId',
  5: 'ParentId',
  6: 'Occurrence',
  7: 'Options',
  8: 'User',
};

export interface EasQuery {
  /** 'plain' (`Cmd=`...), 'base64' (MS-ASHTTP encoded), or 'none' when there was no EAS part. */
  readonly encoding: 'plain' | 'base64' | 'none';
  readonly cmd?: string;
  readonly user?: string;
  readonly deviceId?: string;
  readonly deviceType?: string;
  /** Protocol version from the base64 form (`14.1`); the plain form carries it in a header instead. */
  readonly protocolVersion?: string;
  readonly policyKey?: string;
  readonly locale?: number;
  /** The raw (still URL-encoded) `Log=` value, if Exchange appended one. */
  readonly log?: string;
  /** CAFE's request id (`cafeReqId=`), Exchange 2013+ front ends. */
  readonly cafeRequestId?: string;
  /** Every other decoded parameter, name as written → value. */
  readonly params: Readonly<Record<string, string>>;
}

/** `%XX` and `+` decoding that never throws; invalid escapes are kept as written. */
export function urlDecode(s: string): string {
  if (s.indexOf('%') < 0) return s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' ');
  const plus = s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' ');
  // A `%` not followed by two hex digits would make decodeURIComponent throw (about 5 µs): for short values go
  // straight to the piecewise decoder. For long values (2013 back-end ActivityContextData, 1 KB and more, always
  // well-formed) scanning first costs more than the rare throw; the catch below gives the same result.
  if (plus.length < 256 && BAD_ESCAPE.test(plus)) return decodePieces(plus);
  try {
    return decodeURIComponent(plus);
  } catch {
    // Mixed valid/invalid escapes (e.g. `User%domain.com` in a real 2016 line): decode what can be decoded.
    return decodePieces(plus);
  }
}

const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

/** Decode each run of valid escapes on its own; runs that are not UTF-8 stay as written. */
function decodePieces(s: string): string {
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (seq) => {
    try {
      return decodeURIComponent(seq);
    } catch {
      return seq;
    }
  });
}

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decode an EAS query (`cs-uri-query`, HttpProxy `UrlQuery` with or without leading `?`). */
export function decodeEasQuery(query: string): EasQuery {
  const n = query.length;
  // Parameters are read in place between `&`s (no split, no per-parameter string but name and value).
  let s = n > 0 && query.charCodeAt(0) === 63 /* ? */ ? 1 : 0;
  if (s === n || (n - s === 1 && query.charCodeAt(s) === 45) /* - */) return { encoding: 'none', params: {} };
  const params: Record<string, string> = {};
  let cmd: string | undefined;
  let user: string | undefined;
  let deviceId: string | undefined;
  let deviceType: string | undefined;
  let log: string | undefined;
  let cafeRequestId: string | undefined;
  let base64: Base64Query | undefined;
  for (let i = 0; s <= n; i++) {
    let e = query.indexOf('&', s);
    if (e < 0) e = n;
    const at = s;
    s = e + 1;
    if (e === at) continue;
    let eq = query.indexOf('=', at);
    if (eq >= e) eq = -1;
    // The opaque base64 form is the first (and only client) parameter; its padding may end in `=`.
    // A `=` followed by anything but `=` or an escape (`%3D`) cannot be base64 padding: skip the attempt for
    // every plain `Name=value` first parameter.
    if (i === 0 && e - at >= 8 && !(eq >= 0 && eq + 1 < e && !isPadOrEscape(query, eq + 1))) {
      base64 = decodeBase64Query(urlDecodeNoPlus(query.slice(at, e)));
      if (base64) continue;
    }
    if (eq < 0) {
      params[urlDecode(query.slice(at, e))] = '';
      continue;
    }
    const name = query.slice(at, eq);
    const raw = query.slice(eq + 1, e);
    // Exchange appends `Log=` last; its value is the token string and is decoded token by token later.
    if (name === 'Log') {
      log = raw;
      continue;
    }
    let value = urlDecode(raw);
    // CAFE writes `CorrelationID=<empty>;&cafeReqId=<guid>;`: the `;` closes the value.
    if (value.length > 0 && value.charCodeAt(value.length - 1) === 59 /* ; */) value = value.slice(0, -1);
    switch (paramKey(name)) {
      case 'cmd':
        cmd = value;
        break;
      case 'user':
        user = value;
        break;
      case 'deviceid':
        deviceId = value;
        break;
      case 'devicetype':
        deviceType = value;
        break;
      case 'cafereqid':
        cafeRequestId = value;
        break;
      default:
        params[name] = value;
    }
  }
  // Built by assignment (not conditional spreads): this runs for every EAS line.
  if (base64) {
    const out: Mutable<EasQuery> = { encoding: 'base64', params: { ...base64.params, ...params } };
    if (base64.cmd !== undefined) out.cmd = base64.cmd;
    if (base64.user !== undefined) out.user = base64.user;
    if (base64.deviceId !== undefined) out.deviceId = base64.deviceId;
    if (base64.deviceType !== undefined) out.deviceType = base64.deviceType;
    if (base64.protocolVersion !== undefined) out.protocolVersion = base64.protocolVersion;
    if (base64.policyKey !== undefined) out.policyKey = base64.policyKey;
    out.locale = base64.locale;
    if (log !== undefined) out.log = log;
    if (cafeRequestId !== undefined) out.cafeRequestId = cafeRequestId;
    return out;
  }
  const any = cmd !== undefined || user !== undefined || deviceId !== undefined || deviceType !== undefined;
  const out: Mutable<EasQuery> = { encoding: any ? 'plain' : 'none', params };
  if (cmd !== undefined) out.cmd = cmd;
  if (user !== undefined) out.user = user;
  if (deviceId !== undefined) out.deviceId = deviceId;
  if (deviceType !== undefined) out.deviceType = deviceType;
  if (log !== undefined) out.log = log;
  if (cafeRequestId !== undefined) out.cafeRequestId = cafeRequestId;
  return out;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Lower-cased parameter name; the spellings clients and CAFE write need no new string. */
export function paramKey(name: string): string {
  switch (name) {
    case 'Cmd':
      return 'cmd';
    case 'User':
      return 'user';
    case 'DeviceId':
      return 'deviceid';
    case 'DeviceType':
      return 'devicetype';
    case 'cafeReqId':
      return 'cafereqid';
    default:
      return name.toLowerCase();
  }
}

function isPadOrEscape(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c === 61 /* = */ || c === 37; /* % */
}

function urlDecodeNoPlus(s: string): string {
  // In the base64 form `+` is a base64 digit, not a space.
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

interface Base64Query {
  cmd?: string;
  user?: string;
  deviceId?: string;
  deviceType?: string;
  protocolVersion?: string;
  policyKey?: string;
  locale: number;
  params: Record<string, string>;
}

/**
 * Parse the MS-ASHTTP base64 query: version (1 byte, e.g. 141 = 14.1), command code (1), locale (2, LE),
 * device id length + bytes, policy key length (0 or 4) + uint32 LE, device type length + bytes, then
 * tag/length/value command parameters. Returns undefined if the bytes do not have that shape.
 */
export function decodeBase64Query(token: string): Base64Query | undefined {
  if (token.length < 8 || !BASE64_RE.test(token)) return undefined;
  const buf = Buffer.from(token, 'base64');
  if (buf.length < 7) return undefined;
  let p = 0;
  const version = buf[p++]!;
  const code = buf[p++]!;
  const locale = buf[p] | (buf[p + 1]! << 8);
  p += 2;
  // Versions written in this form: 12.1 (121), 14.0, 14.1, 16.0, 16.1.
  if (version < 25 || version > 200) return undefined;
  const cmd = BASE64_COMMANDS[code];
  if (cmd === undefined) return undefined;
  const idLen = buf[p++]!;
  if (p + idLen > buf.length) return undefined;
  const deviceId = buf.toString('latin1', p, p + idLen);
  p += idLen;
  if (p >= buf.length) return undefined;
  const pkLen = buf[p++]!;
  if (pkLen !== 0 && pkLen !== 4) return undefined;
  if (p + pkLen > buf.length) return undefined;
  const policyKey = pkLen === 4 ? String(buf.readUInt32LE(p)) : undefined;
  p += pkLen;
  if (p >= buf.length) return undefined;
  const typeLen = buf[p++]!;
  if (p + typeLen > buf.length) return undefined;
  const deviceType = buf.toString('utf8', p, p + typeLen);
  p += typeLen;
  const params: Record<string, string> = {};
  let user: string | undefined;
  while (p + 2 <= buf.length) {
    const tag = buf[p++]!;
    const len = buf[p++]!;
    if (p + len > buf.length) return undefined;
    const name = BASE64_PARAMS[tag] ?? `Param${tag}`;
    // Options is a bit field (0x01 SaveInSent, 0x02 AcceptMultiPart); keep it numeric.
    const value = tag === 7 && len === 1 ? String(buf[p]) : buf.toString('utf8', p, p + len);
    p += len;
    if (tag === 8) user = value;
    else params[name] = value;
  }
  const out: Base64Query = {
    cmd,
    deviceId: isPrintable(deviceId) ? deviceId : buf.toString('hex', 4 + 1, 4 + 1 + idLen),
    deviceType,
    protocolVersion: `${Math.floor(version / 10)}.${version % 10}`,
    locale,
    params,
  };
  if (policyKey !== undefined) out.policyKey = policyKey;
  if (user !== undefined) out.user = user;
  return out;
}

function isPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}
