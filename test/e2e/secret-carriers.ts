// Input files for the secrets test (secrets.test.ts): every carrier a credential can travel in, in every
// encoding the logs use, each with its own generated secret, plus records malformed on purpose so that they
// become dead letters that still carry secrets. `Secrets` remembers which carrier holds which value and gives
// every form a leak could take (as written, percent-encoded, inside base64 or base64url at any alignment).

import { mulberry32 } from '../helpers/prng.js';
import {
  ChunkWriter,
  evtxFile,
  filetimev,
  nullv,
  str,
  strArray,
  systemTemplate,
  u16v,
  u64v,
  type Value,
} from '../evtx/evtx-builder.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Characters a password may hold that change under percent-encoding (`@ /`) or not (`! ~ *`). */
const SPECIAL = ['@', '/', '!', '~', '*'];

export interface Secret {
  readonly carrier: string;
  readonly value: string;
}

export class Secrets {
  readonly list: Secret[] = [];
  private readonly rnd: () => number;

  constructor(seed: number) {
    this.rnd = mulberry32(seed);
  }

  private run(n: number): string {
    let s = 'Q'; // a letter first: never taken for a number, never starts with a digit
    while (s.length < n) s += ALNUM[Math.floor(this.rnd() * ALNUM.length)];
    return s;
  }

  /** A new secret for `carrier`: 24 random letters and digits, or 12 + a special character + 12. */
  make(carrier: string, special = false): string {
    const sp = special ? SPECIAL[Math.floor(this.rnd() * SPECIAL.length)]! : '';
    const value = this.run(12) + sp + this.run(12);
    this.list.push({ carrier, value });
    return value;
  }

  /** Record a secret chosen elsewhere (the Elasticsearch password, an API key). */
  add(carrier: string, value: string): string {
    this.list.push({ carrier, value });
    return value;
  }
}

/**
 * Every substring a leak of `value` would show: both halves as written (a leak that cuts the value at a
 * special character still shows one), the whole value percent-encoded once and twice, and the part of its
 * base64 and base64url encodings that does not depend on what surrounds it, at each of the three alignments.
 */
export function leakForms(value: string): string[] {
  const out = new Set<string>();
  if (value.length >= 20) {
    out.add(value.slice(0, 10));
    out.add(value.slice(-10));
  } else out.add(value);
  out.add(encodeURIComponent(value));
  out.add(encodeURIComponent(encodeURIComponent(value)));
  const bytes = Buffer.from(value, 'utf8');
  for (let k = 0; k < 3; k++) {
    const padded = Buffer.concat([Buffer.alloc(k, 0x20), bytes]);
    const first = k === 0 ? 0 : 1;
    const last = Math.floor((k + bytes.length) / 3) - 1;
    if (last < first) continue;
    for (const enc of ['base64', 'base64url'] as const) {
      out.add(padded.toString(enc).slice(4 * first, 4 * (last + 1)));
    }
  }
  return [...out].filter((f) => f.length >= 8);
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

/** A JWT whose payload carries the secret (as an access token does its subject and session). */
function jwt(secret: string): string {
  return `${b64url('{"alg":"RS256","typ":"JWT"}')}.${b64url(JSON.stringify({ sub: secret, aud: 'https://outlook.office.com' }))}.${b64url(Buffer.from(`sig-${secret}-0123456789`))}`;
}

export interface Inputs {
  /** File name → content. */
  readonly files: Record<string, string | Buffer>;
}

// ---- IIS -----------------------------------------------------------------------------------------------

const IIS_FIELDS =
  'date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) cs(Authorization) cs(Referer) sc-status sc-substatus sc-win32-status time-taken';

function iisLine(
  t: string,
  method: string,
  stem: string,
  query: string,
  ua: string,
  cookie: string,
  auth: string,
  referer: string,
  status = 200,
): string {
  return `2013-09-19 ${t} 10.0.0.5 ${method} ${stem} ${query} 443 CONTOSO\\johndoe 203.0.113.10 ${ua} ${cookie} ${auth} ${referer} ${status} 0 0 47`;
}

function iis(s: Secrets): string {
  const q = (c: string, special = false): string => s.make(`IIS cs-uri-query ${c}`, special);
  const e1 = encodeURIComponent;
  const lines = [
    '#Software: Microsoft Internet Information Services 8.5',
    '#Version: 1.0',
    '#Date: 2013-09-19 14:00:00',
    `#Fields: ${IIS_FIELDS}`,
    // OAuth, SAML and WS-Federation parameters, and OWA/ECP canaries.
    iisLine(
      '14:00:01',
      'POST',
      '/adfs/oauth2/token',
      `client_secret=${e1(q('client_secret', true))}&refresh_token=${q('refresh_token')}&access_token=${q('access_token')}&code=${q('code')}&SAMLResponse=${b64(`<samlp:Response>${q('SAMLResponse (base64)')}</samlp:Response>`)}&wresult=${q('wresult')}&pwd=${e1(q('pwd', true))}&msExchEcpCanary=${q('msExchEcpCanary')}&X-OWA-CANARY=${q('X-OWA-CANARY')}&SAMLRequest=fZJNT4NAEIb&RelayState=%2Fowa`,
      'Mozilla/5.0+(Windows+NT+10.0)',
      '-',
      '-',
      '-',
    ),
    // Percent-encoded once and twice, and `Password:` with a colon.
    iisLine(
      '14:00:02',
      'GET',
      '/owa/auth.owa',
      `url=%2Fowa%2F%3Fuser%3Da%26password%3D${e1(e1(q('password encoded once', true)))}%26x%3D1&x=password%253D${e1(e1(e1(q('password encoded twice', true))))}%2526y%253D1&Password:${q('Password: (colon)')}`,
      'Mozilla/5.0+(Windows+NT+10.0)',
      '-',
      '-',
      '-',
    ),
    // An EAS request whose &Log= carries a Password: token.
    iisLine(
      '14:00:03',
      'POST',
      '/Microsoft-Server-ActiveSync/default.eas',
      `User=johndoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=Sync&Log=V141_Mbx:EX01.contoso.com_Password:${q('EAS &Log= Password: token')}_S1_`,
      'Apple-iPad2C2/1101.465',
      '-',
      '-',
      '-',
    ),
    // cs(Cookie): OWA FBA, ASP.NET, AD FS, WIF, OWA session cookies, `;+` separated as IIS writes them.
    iisLine(
      '14:00:04',
      'POST',
      '/owa/service.svc',
      'action=GetFolder&ID=-1',
      'Mozilla/5.0+(Windows+NT+10.0)',
      [
        'cadata',
        'cadataKey',
        'cadataIV',
        'cadataSig',
        'cadataTTL',
        'ASP.NET_SessionId',
        'MSISAuth',
        'MSISAuth1',
        'FedAuth',
        'FedAuth1',
        'sessionid',
        'UserContext',
        'X-OWA-CANARY',
      ]
        .map((n) => `${n}=${s.make(`IIS cs(Cookie) ${n}`, n.startsWith('cadata'))}`)
        .join(';+') + ';+X-BEResource=EXMBX01/EWS/Exchange.asmx~1942062522;+PBack=0',
      '-',
      '-',
    ),
    // cs(Authorization) Basic with `+`, a Bearer JWT in the user agent, URL user info in the referrer.
    iisLine(
      '14:00:05',
      'GET',
      '/ews/exchange.asmx',
      '-',
      `Outlook-iOS/2.0+Bearer+${jwt(s.make('IIS cs(User-Agent) Bearer JWT'))}`,
      '-',
      `Basic+${b64(`CONTOSO\\johndoe:${s.make('IIS cs(Authorization) Basic', true)}`)}`,
      `https://johndoe:${e1(s.make('IIS cs(Referer) URL user info', true))}@mail.contoso.com/owa/`,
    ),
    // Bearer (opaque) and Negotiate tokens; a JWT alone in a user agent.
    iisLine(
      '14:00:06',
      'GET',
      '/mapi/emsmdb/',
      '-',
      `Mozilla/5.0+${jwt(s.make('IIS cs(User-Agent) bare JWT'))}`,
      '-',
      `Bearer+${s.make('IIS cs(Authorization) Bearer opaque')}`,
      '-',
    ),
    iisLine(
      '14:00:07',
      'GET',
      '/mapi/nspi/',
      '-',
      'Mozilla/5.0',
      '-',
      `Negotiate+${b64(`\x60\x82${s.make('IIS cs(Authorization) Negotiate (base64)')}`)}`,
      '-',
    ),
    // The site's own additions (config `redaction:`): a name and a pattern.
    iisLine(
      '14:00:08',
      'GET',
      '/corp/app',
      `X-Corp-Session=${s.make('IIS site name X-Corp-Session')}&ref=CORPSECRET-${s.make('IIS site pattern CORPSECRET-').slice(0, 12)}`,
      'Mozilla/5.0',
      '-',
      '-',
      '-',
    ),
    // Malformed on purpose (dead letters): too few columns, a bad time, a control character.
    `2013-09-19 14:00:09 10.0.0.5 GET /owa/auth.owa password=${q('malformed line (column count) password')}&code=${q('malformed line (column count) code')} 443`,
    iisLine(
      '25:61:61',
      'GET',
      '/owa/',
      '-',
      'Mozilla/5.0',
      `cadata=${s.make('malformed line (bad time) cs(Cookie) cadata', true)}`,
      `Basic+${b64(`u:${s.make('malformed line (bad time) Basic', true)}`)}`,
      '-',
    ),
    `2013-09-19 14:00:10 10.0.0.5 GET /x \u0001 Authorization: Bearer ${jwt(s.make('malformed line (control character) Bearer JWT'))}`,
  ];
  return lines.join('\r\n') + '\r\n';
}

// ---- HttpProxy -----------------------------------------------------------------------------------------

const HP_FIELDS = [
  'DateTime',
  'RequestId',
  'MajorVersion',
  'MinorVersion',
  'BuildVersion',
  'RevisionVersion',
  'ClientRequestId',
  'Protocol',
  'UrlHost',
  'UrlStem',
  'ProtocolAction',
  'AuthenticationType',
  'IsAuthenticated',
  'AuthenticatedUser',
  'UserAgent',
  'ClientIpAddress',
  'ServerHostName',
  'HttpStatus',
  'Method',
  'UrlQuery',
  'GenericInfo',
  'GenericErrors',
];

function httpProxy(s: Secrets): string {
  const row = (v: Record<string, string>): string => HP_FIELDS.map((f) => v[f] ?? '').join(',');
  const base = {
    RequestId: '9c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f',
    MajorVersion: '15',
    MinorVersion: '0',
    BuildVersion: '620',
    RevisionVersion: '29',
    Protocol: 'Eas',
    UrlHost: 'mail.contoso.com',
    UrlStem: '/Microsoft-Server-ActiveSync/default.eas',
    AuthenticationType: 'Basic',
    IsAuthenticated: 'True',
    AuthenticatedUser: 'CONTOSO\\johndoe',
    UserAgent: 'Apple-iPad2C2/1101.465',
    ClientIpAddress: '203.0.113.10',
    ServerHostName: 'CAS01',
    HttpStatus: '200',
    Method: 'POST',
  };
  const lines = [
    '#Software: Microsoft Exchange Server',
    '#Version: 15.00.0620.029',
    '#Log-type: HttpProxy Logs',
    '#Date: 2013-09-19T14:00:00.112Z',
    `#Fields: ${HP_FIELDS.join(',')}`,
    row({
      ...base,
      DateTime: '2013-09-19T14:30:05.250Z',
      UrlQuery: `?User=johndoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=Sync&Password=${encodeURIComponent(s.make('HttpProxy UrlQuery Password', true))}&access_token=${s.make('HttpProxy UrlQuery access_token')}`,
      GenericInfo: `"Authorization: Basic ${b64(`johndoe:${s.make('HttpProxy GenericInfo Authorization Basic', true)}`)}"`,
      GenericErrors: `"Cookie: cadata=${s.make('HttpProxy GenericErrors Cookie cadata')}; X-OWA-CANARY=${s.make('HttpProxy GenericErrors Cookie X-OWA-CANARY')}"`,
    }),
    // Malformed on purpose: too few columns.
    `2013-09-19T14:30:06.250Z,abc,15,0,?Cmd=Sync&Password=${s.make('HttpProxy malformed row (column count) Password')},Authorization: Bearer ${jwt(s.make('HttpProxy malformed row Bearer JWT'))}`,
  ];
  return lines.join('\r\n') + '\r\n';
}

// ---- mailbox log ---------------------------------------------------------------------------------------

function mailboxLog(s: Secrets): string {
  const entry = (n: number, sections: string[]): string =>
    ['-----------------', ` Log Entry: ${n}`, '-----------------', '', ...sections, ''].join('\r\n');
  return (
    [
      entry(0, [
        'RequestTime : ',
        '09/19/2013 14:00:06',
        '',
        'ServerName : ',
        'CAS01',
        '',
        'RequestHeader : ',
        `POST /Microsoft-Server-ActiveSync/default.eas?User=johndoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=ItemOperations&password=${encodeURIComponent(s.make('mailbox log request line password', true))} HTTP/1.1`,
        'Content-Type: application/vnd.ms-sync.wbxml',
        `Authorization: Basic ${b64(`CONTOSO\\johndoe:${s.make('mailbox log header Authorization Basic', true)}`)}`,
        `Cookie: cadata=${s.make('mailbox log header Cookie cadata')}; ASP.NET_SessionId=${s.make('mailbox log header Cookie ASP.NET_SessionId')}`,
        `X-OWA-CANARY: ${s.make('mailbox log header X-OWA-CANARY')}`,
        'Host: mail.contoso.com',
        'User-Agent: Apple-iPad2C2/1101.465',
        '',
        '',
        'RequestBody : ',
        '<?xml version="1.0" encoding="utf-8" ?>',
        '<ItemOperations xmlns="ItemOperations:">',
        '\t<Fetch>',
        '\t\t<Store>DocumentLibrary</Store>',
        '\t\t<A:LinkId xmlns:A="DocumentLibrary:">\\\\fs01\\share\\doc.docx</A:LinkId>',
        '\t\t<UserName>CONTOSO\\johndoe</UserName>',
        `\t\t<Password>${s.make('mailbox log body <Password>', true)}</Password>`,
        '\t</Fetch>',
        '</ItemOperations>',
        '',
        'Command_WorkerThread_Exception : ',
        '--- Exception start ---',
        'Exception type: System.Net.WebException',
        `Exception message: request to https://graph.contoso.com/v1.0?access_token=${s.make('mailbox log exception message access_token')} failed`,
        'Exception level: 0',
        'Exception stack trace:    at A.B()',
        '--- Exception end ---',
        '',
        'AdditionalData : ',
        `Bearer ${jwt(s.make('mailbox log AdditionalData Bearer JWT'))}`,
        '',
        'ResponseHeader : ',
        'HTTP/1.1 200 OK',
        `Set-Cookie: X-OWA-CANARY=${s.make('mailbox log response Set-Cookie')}; path=/`,
        '',
        'ResponseTime : ',
        '09/19/2013 14:00:06',
      ]),
      // Malformed on purpose: no RequestTime section.
      entry(1, [
        'ServerName : ',
        'CAS01',
        '',
        'RequestHeader : ',
        'POST /Microsoft-Server-ActiveSync/default.eas?Cmd=Sync HTTP/1.1',
        `Authorization: Basic ${b64(`johndoe:${s.make('mailbox log malformed entry Authorization Basic', true)}`)}`,
        '',
        'RequestBody : ',
        `<Password>${s.make('mailbox log malformed entry <Password>')}</Password>`,
      ]),
    ].join('') + '\r\n'
  );
}

// ---- Windows events ------------------------------------------------------------------------------------

const NS = 'http://schemas.microsoft.com/win/2004/08/events/event';

function eventXml(recordId: number, eventData: string, provider = 'MSExchange Management'): string {
  return `<Event xmlns='${NS}'><System><Provider Name='${provider}'/><EventID>1</EventID><Level>4</Level><Task>1</Task><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='2013-09-19T14:22:11.000000000Z'/><EventRecordID>${recordId}</EventRecordID><Channel>Application</Channel><Computer>CAS01.contoso.com</Computer><Security/></System><EventData>${eventData}</EventData></Event>`;
}

const xmlEscape = (t: string): string =>
  t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function windowsXml(s: Secrets): string {
  const w = (c: string, special = false): string => s.make(`wevtutil XML ${c}`, special);
  const data = [
    `<Data Name='Password'>${xmlEscape(w('<Data Name="Password">', true))}</Data>`,
    `<Data Name='NewPassword'>${w('<Data Name="NewPassword">')}</Data>`,
    `<Data Name='CommandLine'>${xmlEscape(`cmd.exe /c wevtutil qe Application /u:CONTOSO\\admin /p:${w('command line /p:', true)} ; powershell -File x.ps1 -Password ${w('command line -Password', true)} --password=${w('command line --password=')}`)}</Data>`,
    `<Data Name='ScriptBlockText'>${xmlEscape(`$p = ConvertTo-SecureString '${w('ConvertTo-SecureString literal', true)}' -AsPlainText -Force; Invoke-RestMethod -Headers @{Authorization='Bearer ${w('script Authorization Bearer')}'}`)}</Data>`,
    `<Data Name='Body'>${xmlEscape(`{"client_secret":"${w('JSON client_secret', true)}","grant_type":"refresh_token","refresh_token":"${w('JSON refresh_token')}"}`)}</Data>`,
    `<Data Name='Request'>${xmlEscape(`<Credentials><Password>${w('escaped XML <Password> in event data', true)}</Password></Credentials>`)}</Data>`,
  ].join('');
  // Classic (unnamed) insertion strings: param1.. carry a request with its headers (issue 19: event.original
  // was redacted but winlog.event_data.param1 was not).
  const classic = [
    `<Data>${xmlEscape(`GET /owa/?password=${encodeURIComponent(w('param1 query password', true))} HTTP/1.1 Authorization: Basic ${b64(`a:${w('param1 Authorization Basic', true)}`)}, Cookie: cadata=${w('param1 Cookie cadata')}`)}</Data>`,
    `<Data>${xmlEscape(`Authorization: Negotiate ${b64(w('param2 Negotiate (base64)'))}`)}</Data>`,
    `<Data>${xmlEscape(`https://svc_ews:${encodeURIComponent(w('param3 URL user info', true))}@cas01.contoso.com/EWS/`)}</Data>`,
  ].join('');
  return (
    [
      eventXml(101, data),
      eventXml(102, classic, 'MSExchange Common'),
      // Malformed on purpose: an unclosed element.
      `<Event xmlns='${NS}'><System><Provider Name='X'/><EventID>1</EventID></System><EventData><Data Name='Password'>${w('malformed event <Data Name="Password">')}</Data><Data>Authorization: Basic ${b64(`a:${w('malformed event Authorization Basic', true)}`)}</EventData></Event>`,
    ].join('\r\n') + '\r\n'
  );
}

function eventViewerCsv(s: Secrets): string {
  const c = (x: string, special = false): string => s.make(`Event Viewer CSV ${x}`, special);
  return (
    [
      'Level,Date and Time,Source,Event ID,Task Category',
      `Information,9/19/2013 10:22:11 AM,MSExchange Management,1,General,"Cmdlet New-Mailbox -Password ${c('message -Password', true)} run. Password: ${c('message Password:')} Authorization: Basic ${b64(`a:${c('message Authorization Basic', true)}`)}"`,
      // Malformed on purpose: the date cannot be read.
      `Information,99/99/2013 10:22:11 AM,MSExchange Management,1,General,"Password: ${c('malformed row Password:')} token=${c('malformed row token=')}"`,
    ].join('\r\n') + '\r\n'
  );
}

/** Event Viewer "Save as Text": UTF-16LE with a BOM, TAB separated. */
function eventViewerTxt(s: Secrets): Buffer {
  const t = (x: string): string => s.make(`Event Viewer TXT (UTF-16) ${x}`);
  const text = [
    'Level\tDate and Time\tSource\tEvent ID\tTask Category',
    `Information\t9/19/2013 10:22:11 AM\tMSExchange Management\t1\tGeneral\t"Request ?access_token=${t('message access_token')}&x=1 Cookie: FedAuth=${t('message Cookie FedAuth')}"`,
  ].join('\r\n');
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text + '\r\n', 'utf16le')]);
}

function powerShellJson(s: Secrets): string {
  const p = (x: string, special = false): string => s.make(`PowerShell JSON ${x}`, special);
  const ev = (id: number, message: string, props: string[]): string =>
    JSON.stringify({
      Id: 1,
      Version: 0,
      Level: 4,
      RecordId: id,
      ProviderName: 'MSExchange Management',
      LogName: 'Application',
      MachineName: 'CAS01.contoso.com',
      TimeCreated: '2013-09-19T10:22:11.0000000-04:00',
      LevelDisplayName: 'Information',
      Properties: props.map((v) => ({ Value: v })),
      Message: message,
    });
  return (
    [
      ev(
        201,
        `Set-Mailbox -Identity a -Password ${p('Message -Password', true)}; GET /owa/?password=${p('Message ?password=')}`,
        [
          `Cookie: cadata=${p('Properties Cookie cadata', true)}; MSISAuth=${p('Properties Cookie MSISAuth')}`,
          `{"password":"${p('Properties JSON password', true)}"}`,
        ],
      ),
      // Malformed on purpose: no TimeCreated that can be read.
      JSON.stringify({
        Id: 1,
        RecordId: 202,
        ProviderName: 'MSExchange Management',
        TimeCreated: 'not a time',
        Message: `Password: ${p('malformed event Message Password:')}`,
        Properties: [{ Value: `Authorization: Bearer ${jwt(p('malformed event Properties Bearer JWT'))}` }],
      }),
    ].join('\r\n') + '\r\n'
  );
}

// ---- EVTX ----------------------------------------------------------------------------------------------

const guidValue: Value = { type: 0x0f, bytes: Buffer.from('8954a94547c1cd4a923f40c45405a658', 'hex') };

function evtx(s: Secrets): Buffer {
  const e = (x: string, special = false): string => s.make(`EVTX ${x}`, special);
  const w = new ChunkWriter();
  const system = (id: bigint): Value[] => [
    str('MSExchange Management'),
    nullv(),
    u16v(1),
    filetimev('2013-09-19T14:22:11.000Z', 1234567n),
    u64v(id),
    guidValue,
  ];
  w.record(301n, (r) => {
    r.fragment();
    r.instance(
      (d) =>
        systemTemplate(d, (x) => {
          x.open('EventData', false, true).closeStart();
          x.open('Data', true, true).attr('Name').text('Password').closeStart().subst(6, 0x01).end();
          x.open('Data', true, true).attr('Name').text('CommandLine').closeStart().subst(7, 0x01).end();
          x.open('Data', false, true).closeStart().subst(8, 0x81).end();
          x.end();
        }),
      [
        ...system(301n),
        str(e('<Data Name="Password">', true)),
        str(`net use \\\\fs01\\share /user:CONTOSO\\svc /p:${e('CommandLine /p:')}`),
        strArray(
          `Authorization: Bearer ${jwt(e('classic data Bearer JWT'))}`,
          `Cookie: cadata=${e('classic data Cookie cadata', true)}; X-OWA-CANARY=${e('classic data Cookie X-OWA-CANARY')}`,
        ),
      ],
    );
    r.eof();
  });
  return evtxFile(w.chunk());
}

// ---- all -----------------------------------------------------------------------------------------------

export function generateInputs(s: Secrets): Inputs {
  return {
    files: {
      'u_ex130919.log': iis(s),
      'HttpProxy_2013091914-1.LOG': httpProxy(s),
      'EASMailboxLog_johndoe_iPad.txt': mailboxLog(s),
      'Application-wevtutil.xml': windowsXml(s),
      'Application-eventviewer.csv': eventViewerCsv(s),
      'Application-eventviewer.txt': eventViewerTxt(s),
      'Application-powershell.json': powerShellJson(s),
      'Application.evtx': evtx(s),
    },
  };
}
