// The one table of names whose values are credentials or session tokens. Every redaction in casguard
// (documents, alerts, dead letters, the agent's own log, printed lines) asks this table through the compiled
// redactor (redactor.ts); no other module keeps its own list. README "Redaction" prints the same table.
//
// A name is looked up case-insensitively, whole: `error_code` is not `code`, `compassword` is not `pass`.
// `match: 'prefix'`/`'suffix'` make a family (`cadata` covers cadataKey, cadataIV...; `password` as a suffix
// covers NewPassword, user_password...). `in` says in which carriers the name is a credential:
//
//   header  `Name: value` as a header line (value to the end of the line) or inside a field (to `,`/`"`),
//           a header map in a document (mailbox-log request headers), an IIS `cs(Name)` column
//   param   `name=value` in a query, form body or cookie list, in any encoding IIS or a client writes:
//           `+` for space, `%3D`/`%253D` for `=`, `%26`/`%2526` for `&`, quoted values
//   colon   `name: value` / `name:value` in free text (event messages, EAS `&Log=` tokens)
//   json    `"name": "value"` (also escaped inside another JSON string)
//   xml     `<name>value</name>` (any namespace prefix, also `&lt;`-escaped) and `<Data Name="name">value`
//   field   a key in a document (`winlog.event_data.Password`, a header map): its whole value goes
//   flag    command lines: `-Password x`, `--password=x`, `/p:x`
//
// Redacting keeps the name and replaces the value with `[REDACTED]`, so a document still says that a
// password or a cookie was there.

export type Carrier = 'header' | 'param' | 'colon' | 'json' | 'xml' | 'field' | 'flag';

export interface CredentialName {
  readonly name: string;
  readonly match: 'exact' | 'prefix' | 'suffix';
  readonly in: readonly Carrier[];
  /** What the value carries, and for Exchange/AD FS names where it comes from. */
  readonly carries: string;
  /**
   * The literal (lower-case) whose presence in a text triggers the redaction rules; default: the name itself.
   * Needed only where the name alone would be a poor trigger (`p`, which counts only as `/p:`).
   */
  readonly trigger?: string;
}

const ALL: readonly Carrier[] = ['header', 'param', 'colon', 'json', 'xml', 'field', 'flag'];
/** Everything but free-text `name: value`, where a short or common word would hit ordinary prose. */
const NOT_COLON: readonly Carrier[] = ['header', 'param', 'json', 'xml', 'field', 'flag'];
/** Cookies and form/query parameters, and the same names as document keys or JSON/XML names. */
const COOKIE: readonly Carrier[] = ['param', 'json', 'xml', 'field'];
/** Passwords: not as an HTTP header (no such header), so `Password: x` in prose takes one word. */
const PASSWORD: readonly Carrier[] = ['param', 'colon', 'json', 'xml', 'field', 'flag'];

export const CREDENTIAL_NAMES: readonly CredentialName[] = [
  // HTTP authentication (RFC 9110 §11.6.2, §11.7.2) and cookies (RFC 6265).
  {
    name: 'Authorization',
    match: 'exact',
    in: NOT_COLON,
    carries:
      'HTTP credentials: Basic (base64 user:password), Bearer (OAuth access token, a JWT), NTLM, Negotiate (Kerberos), Digest',
  },
  { name: 'Proxy-Authorization', match: 'exact', in: NOT_COLON, carries: 'the same, for a proxy' },
  {
    name: 'Cookie',
    match: 'exact',
    in: NOT_COLON,
    carries: 'every cookie of a request, session cookies included',
  },
  { name: 'Set-Cookie', match: 'exact', in: NOT_COLON, carries: 'a session cookie the server hands out' },
  {
    name: 'X-MS-Auth',
    match: 'prefix',
    in: ['header', 'field'],
    carries: 'Microsoft authentication headers',
  },

  // Exchange: OWA forms-based authentication, OWA/ECP canaries, CAS → Mailbox proxying.
  {
    name: 'cadata',
    match: 'prefix',
    in: COOKIE,
    carries:
      'OWA forms-based authentication cookies: cadata (the encrypted user name and password), cadataKey, cadataIV, cadataSig, cadataTTL',
  },
  {
    name: 'sessionid',
    match: 'suffix',
    in: ['param'],
    carries:
      'session id cookies and parameters: OWA 2007/2010 FBA `sessionid`, `ASP.NET_SessionId`, `JSESSIONID` (only as a cookie or parameter: Windows event data such as `SessionId` or `RmSessionId` are numbers, not secrets)',
  },
  { name: 'ASP.NET_SessionId', match: 'exact', in: COOKIE, carries: 'ASP.NET session cookie' },
  {
    name: 'JSESSIONID',
    match: 'exact',
    in: COOKIE,
    carries: 'Java session cookie (reverse proxies, load balancers)',
  },
  {
    name: 'PHPSESSID',
    match: 'exact',
    in: COOKIE,
    carries: 'PHP session id (reverse proxies in front of Exchange)',
  },
  {
    name: 'UserContext',
    match: 'exact',
    in: ['param'],
    carries:
      'OWA 2010 session cookie (also its canary); only as a cookie: Task Scheduler event data `UserContext` is an account name',
  },
  {
    name: 'canary',
    match: 'suffix',
    in: NOT_COLON,
    carries:
      'CSRF canaries bound to a session: `X-OWA-CANARY` (OWA cookie, header and form field), `msExchEcpCanary` (ECP cookie and query parameter)',
  },
  {
    name: 'token',
    match: 'suffix',
    in: ['header', 'param', 'flag'],
    carries:
      'tokens in headers, cookies, query and form parameters: OAuth `access_token`, `refresh_token`, `id_token`, Exchange `X-CommonAccessToken` (the serialized user identity the CAS hands to the Mailbox server), CSRF tokens',
  },
  {
    name: 'token',
    match: 'exact',
    in: ['json', 'xml', 'field'],
    carries:
      'a token as a JSON member, XML element or event data name (not every name ending in "token": 4624 `ElevatedToken` is Yes or No)',
  },
  {
    name: '_token',
    match: 'suffix',
    in: ['colon', 'json', 'xml', 'field'],
    carries:
      '`access_token`, `refresh_token`, `id_token` in free text, JSON, XML and documents (a bare `Token:` is too common in event messages, e.g. "Elevated Token: Yes")',
  },
  {
    name: 'AccessToken',
    match: 'suffix',
    in: ['json', 'xml', 'field'],
    carries: 'AccessToken, CommonAccessToken...',
  },
  { name: 'RefreshToken', match: 'suffix', in: ['json', 'xml', 'field'], carries: 'OAuth refresh tokens' },
  { name: 'IdToken', match: 'suffix', in: ['json', 'xml', 'field'], carries: 'OpenID Connect id tokens' },

  // AD FS, WIF, Azure AD, ASP.NET.
  {
    name: 'MSISAuth',
    match: 'prefix',
    in: COOKIE,
    carries: 'AD FS session cookies: MSISAuth, MSISAuth1..., MSISAuthenticated',
  },
  {
    name: 'FedAuth',
    match: 'prefix',
    in: COOKIE,
    carries: 'WIF / SharePoint session token cookies: FedAuth, FedAuth1...',
  },
  {
    name: 'ESTSAUTH',
    match: 'prefix',
    in: COOKIE,
    carries: 'Azure AD (Entra ID) session cookies: ESTSAUTH, ESTSAUTHPERSISTENT',
  },
  {
    name: '.ASPXAUTH',
    match: 'exact',
    in: ['param', 'json', 'field'],
    carries: 'ASP.NET forms authentication ticket',
  },

  // OAuth 2.0, SAML 2.0, WS-Federation.
  {
    name: 'code',
    match: 'exact',
    in: ['param'],
    carries:
      'OAuth 2.0 authorization code in a redirect (`/owa/?code=...`, AD FS `/adfs/oauth2/`); only as a query or form parameter',
  },
  {
    name: 'SAMLResponse',
    match: 'exact',
    in: ['param', 'field', 'json'],
    carries: 'base64 SAML assertion: whoever replays it is signed in',
  },
  {
    name: 'wresult',
    match: 'exact',
    in: ['param', 'field', 'json'],
    carries: 'WS-Federation sign-in response (the security token)',
  },

  // Passwords, secrets, keys.
  {
    name: 'password',
    match: 'suffix',
    in: PASSWORD,
    carries: 'passwords: password, Password, NewPassword, user_password...',
  },
  { name: 'passwd', match: 'suffix', in: PASSWORD, carries: 'passwords' },
  { name: 'pwd', match: 'exact', in: PASSWORD, carries: 'passwords' },
  { name: 'pass', match: 'exact', in: ['param', 'json', 'xml', 'field', 'flag'], carries: 'passwords' },
  { name: 'secret', match: 'suffix', in: ALL, carries: 'client_secret, clientSecret, shared secrets' },
  { name: 'apikey', match: 'suffix', in: ALL, carries: 'API keys' },
  { name: 'api_key', match: 'suffix', in: ALL, carries: 'API keys' },
  { name: 'api-key', match: 'suffix', in: ALL, carries: 'API keys (`X-Api-Key`)' },
  {
    name: 'sig',
    match: 'exact',
    in: ['param'],
    carries: 'URL signatures (Azure SAS `sig=`); only as a parameter',
  },
  { name: 'signature', match: 'exact', in: ['param'], carries: 'URL signatures; only as a parameter' },
  {
    name: 'auth',
    match: 'exact',
    in: ['param'],
    carries: 'credentials passed as `auth=`; only as a parameter',
  },
  {
    name: 'p',
    match: 'exact',
    in: ['flag'],
    trigger: '/p:',
    carries:
      'the password switch of wevtutil, schtasks, eventcreate, tasklist... (`/u:user /p:password`); only as `/p:`',
  },
];

/** Names deliberately not redacted, with the reason (README lists them too). */
export const NOT_CREDENTIALS: readonly { readonly name: string; readonly why: string }[] = [
  {
    name: 'SAMLRequest',
    why: 'an AuthnRequest (issuer, assertion consumer URL, request id): it cannot sign anyone in, and it tells which relying party started a sign-in',
  },
  { name: 'RelayState', why: 'the URL to return to after sign-in' },
  {
    name: 'X-BackEndCookie',
    why: 'Exchange routing cookie (the mailbox server a session is pinned to), no credential; inside a `Cookie:` header it goes with the header',
  },
  {
    name: 'X-BEResource, X-AnonResource',
    why: 'Exchange routing cookies; their values are what ProxyLogon (CVE-2021-26855) exploitation shows, so a SOC needs them',
  },
  { name: 'X-AnchorMailbox', why: 'routing header (a mailbox address)' },
  { name: 'PBack, ClientId, PrivateComputer', why: 'OWA preferences and a client id, no session' },
];

/**
 * Values recognised by their shape, whatever name carries them (README lists them too). The regexes live in
 * redactor.ts; this list is their documentation.
 */
export const CREDENTIAL_SHAPES: readonly { readonly shape: string; readonly example: string }[] = [
  {
    shape: 'an HTTP authentication scheme and its token, separated by spaces, `+` (IIS) or `%20`',
    example:
      'Basic dXNlcjpwYXNz, Basic+dXNlcjpwYXNz, Bearer eyJ..., NTLM TlRMTVNTUAAB..., Negotiate YIIG..., Digest username=...',
  },
  {
    shape: 'a JSON Web Token anywhere (a user agent, a message)',
    example: 'eyJhbGciOi....eyJzdWIiOi....sig',
  },
  {
    shape: 'the password of a URL with user info, also percent-encoded inside a query',
    example: 'https://user:[REDACTED]@host/, https%3A%2F%2Fuser%3A[REDACTED]%40host',
  },
  {
    shape: 'the plain-text string given to ConvertTo-SecureString',
    example: "ConvertTo-SecureString '[REDACTED]' -AsPlainText -Force",
  },
];
