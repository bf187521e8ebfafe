// Secrets never reach logs or documents. EAS request headers carry `Authorization` (Basic credentials) and
// `Cookie` values; query strings can carry passwords or tokens. Everything written or shipped, including
// `event.original` and dead letters, goes through these functions first.

export const REDACTED = '[REDACTED]';

// Header lines as they appear in mailbox logs, raw HTTP dumps and event text: `Authorization: Basic abc`.
const HEADER_RE =
  /^([ \t]*(?:authorization|proxy-authorization|cookie|set-cookie|x-ms-auth[a-z-]*)[ \t]*:[ \t]*)(.*?)([ \t]*)$/gim;
// The same header names in the middle of a line (a CSV field, a flattened message): the value runs to the end
// of the field (comma, quote or line end).
const INLINE_HEADER_RE =
  /(\b(?:authorization|proxy-authorization|cookie|set-cookie)[ \t]*:[ \t]*)([^\r\n\u2028\u2029",]+)/gi;
const SECRET_PARAM =
  'password|passwd|pwd|pass|access_token|accesstoken|token|auth|authorization|apikey|api_key|secret|sig|signature';
// Query-string or form credentials: `password=...`, `access_token=...` (until & ; space or end), at the start
// of the text or after a delimiter.
const QUERY_RE = new RegExp(`((?:^|[?&;\\s,"'])(?:${SECRET_PARAM})=)([^&;\\s"]*)`, 'gi');
// The same, URL-encoded once (`password%3Dx%26next`): the value runs to an encoded `&` or a delimiter.
const QUERY_ENCODED_RE = new RegExp(
  `((?:^|[?&;\\s,"']|%26|%3F)(?:${SECRET_PARAM})%3D)((?:[^&;\\s"%]|%(?!26)[0-9A-Fa-f]{2})*)`,
  'gi',
);
// Credentials embedded in URLs: scheme://user:pass@host
const URL_CRED_RE = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)([^\s/@]+)(@)/gi;
// Bare authorization schemes inside free text: `Basic dXNlcjpwYXNz`, `Bearer eyJ...`.
const SCHEME_RE = /\b(Basic|Bearer|Negotiate|NTLM|ApiKey)\s+([A-Za-z0-9+/=._~-]{8,})/g;

/** Redact secrets in free text (a raw record, a header block, an error message). */
export function redactText(text: string): string {
  if (text.length === 0) return text;
  let out = text;
  // Fast paths: most IIS lines contain none of the trigger words, so skip the regexes entirely.
  const lower = out.toLowerCase();
  if (lower.includes('authorization') || lower.includes('cookie') || lower.includes('x-ms-auth')) {
    out = out.replace(HEADER_RE, (_m, pre: string, value: string, post: string) =>
      value.length > 0 ? `${pre}${REDACTED}${post}` : `${pre}${post}`,
    );
    out = out.replace(INLINE_HEADER_RE, (_m, pre: string) => `${pre}${REDACTED}`);
  }
  if (out.includes('=')) out = out.replace(QUERY_RE, (_m, pre: string) => `${pre}${REDACTED}`);
  if (lower.includes('%3d')) out = out.replace(QUERY_ENCODED_RE, (_m, pre: string) => `${pre}${REDACTED}`);
  // Checking for '://' first keeps this regex off long rows that merely contain an e-mail address.
  if (out.includes('@') && out.includes('://'))
    out = out.replace(URL_CRED_RE, (_m, pre: string, _p: string, at: string) => `${pre}${REDACTED}${at}`);
  if (/Basic|Bearer|Negotiate|NTLM|ApiKey/.test(out))
    out = out.replace(SCHEME_RE, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  return out;
}

const SECRET_HEADER_NAMES = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** Whether a header name's value must be redacted. */
export function isSecretHeader(name: string): boolean {
  const n = name.toLowerCase();
  return SECRET_HEADER_NAMES.has(n) || n.startsWith('x-ms-auth');
}
