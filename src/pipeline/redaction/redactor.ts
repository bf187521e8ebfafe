// Compiles the credential table (credential-names.ts) and a site's additions (redaction.config.ts) into the
// functions every redaction in casguard goes through: text (a raw record, a dead letter, a log line, an error
// message) and documents (every string at any depth, and every value whose key is a credential name).
//
// The rules find structures, not spellings: `name=value` in any encoding, `Name: value` headers, JSON members,
// XML elements and `<Data Name="...">`, command-line flags; the table decides whether a name is a credential
// in that carrier. Shapes that need no name (authorization schemes with their token, JWTs, URL user info,
// ConvertTo-SecureString literals) have their own rules.
//
// Hot path: one case-insensitive scan for trigger literals (every credential name contains one, and so does
// every shape) decides whether a text can hold anything; text without a trigger is returned as is. A char-code
// prefilter (compilePrefilter) runs before that scan and settles most texts alone. Otherwise
// the rules run only on the lines around each trigger. Every rule matches within one line, except the
// whitespace between an authorization scheme and its token and between an XML start tag and its text, which
// may run over blank lines to the next line with content, so a range reaches to the end of the next non-blank
// line. `text(s)` therefore equals `textFull(s)` (all rules over the whole text); the tests compare both on
// random texts.

import { CREDENTIAL_NAMES, type Carrier } from './credential-names.js';
import type { RedactionConfig } from './redaction.config.js';

export const REDACTED = '[REDACTED]';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };

export interface Redactor {
  /** Whether `text` holds a trigger literal (or matches an extra pattern): only then can a rule change it. */
  triggered(text: string): boolean;
  /** `text` with every credential value replaced; the same string object when nothing was. */
  text(text: string): string;
  /** Every rule over the whole text: what `text` returns, without the trigger ranges (for tests). */
  textFull(text: string): string;
  /** Whether `name` (case-insensitive) is a credential name in that carrier. */
  isCredentialName(name: string, carrier: Carrier): boolean;
  /**
   * Redacts a document in place: a value whose key is a credential name (`field` carrier) becomes
   * `[REDACTED]` as a whole (strings at any depth below it too); every other string goes through `text`.
   */
  document(doc: { [key: string]: Json | undefined }): void;
}

// ---- names -------------------------------------------------------------------------------------------------

interface NameEntry {
  readonly name: string;
  readonly match: 'exact' | 'prefix' | 'suffix';
  readonly in: readonly Carrier[];
  readonly trigger?: string;
}

const CARRIERS: readonly Carrier[] = ['header', 'param', 'colon', 'json', 'xml', 'field', 'flag'];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** `corp_*` → prefix, `*_pin` → suffix, else exact; site names count in every carrier. */
function extraEntry(name: string): NameEntry {
  if (name.endsWith('*')) return { name: name.slice(0, -1), match: 'prefix', in: CARRIERS };
  if (name.startsWith('*')) return { name: name.slice(1), match: 'suffix', in: CARRIERS };
  return { name, match: 'exact', in: CARRIERS };
}

/** One anchored, case-insensitive regex per carrier, with a bounded cache of answers (keys repeat a lot). */
class NameClass {
  private readonly re: RegExp | undefined;
  private readonly cache = new Map<string, boolean>();

  constructor(entries: readonly NameEntry[], carrier: Carrier) {
    const alts = entries
      .filter((e) => e.in.includes(carrier))
      .map((e) => {
        const n = escapeRe(e.name);
        return e.match === 'exact' ? n : e.match === 'prefix' ? `${n}[^]*` : `[^]*${n}`;
      });
    this.re = alts.length === 0 ? undefined : new RegExp(`^(?:${alts.join('|')})$`, 'i');
  }

  has(name: string): boolean {
    if (this.re === undefined) return false;
    let v = this.cache.get(name);
    if (v === undefined) {
      v = this.re.test(name);
      if (this.cache.size >= 4096) this.cache.clear();
      this.cache.set(name, v);
    }
    return v;
  }
}

// ---- triggers ----------------------------------------------------------------------------------------------

/** Literals of the value shapes: authorization schemes, ConvertTo-SecureString. */
const SHAPE_TRIGGERS = ['basic', 'bearer', 'negotiate', 'ntlm', 'digest', 'apikey', 'securestring'];
/**
 * Triggers that are not case-insensitive literals, for the positions scan: a JWT (`eyJ`), URL user info
 * (`://user:pass@`, checked up to the `@` so an ordinary referrer does not trigger) and encoded URLs. The gate
 * checks the same with string searches (see `fastTriggered`).
 */
const SHAPE_TRIGGER_SOURCES = ['eyJ', '://[^\\s/?#@]*@', '%(?:25)?3[aA]%(?:25)?2[fF]%(?:25)?2[fF]'];
const URL_USERINFO_TRIGGER = /:\/\/[^\s/?#@]*@/;
const ENCODED_URL_TRIGGER = /%(?:25)?3[aA]%(?:25)?2[fF]%(?:25)?2[fF]/;
/** A three-character piece of every match of the shape triggers above: `eyJ`, `://`, `3a%` (`%3A%2F%2F`...). */
const SHAPE_TRIGRAMS = ['eyJ', '://', '3a%'];

// ---- prefilter ---------------------------------------------------------------------------------------------

/**
 * One pass over a text's char codes that proves most texts hold no trigger, before the gate's regexes run (issue
 * 16: the case-insensitive gate regex cost more than anything else of the redaction on an IIS line, and nearly
 * every line holds no trigger). Each trigger literal (and shape) has one three-character piece that any text
 * holding it must hold too; the pieces are kept as a set of hashes, and a text none of whose three-character
 * windows hashes into the set cannot trigger. A window that does hash into it proves nothing: the gate decides.
 *
 * Why no trigger can be missed: the hash of a window is `(a << 10 ^ b << 5 ^ c) & 0x7fff` over the char codes
 * with bit 5 set (ASCII letters lower-cased; every other char mapped the same way in text and piece), so two
 * windows equal up to ASCII case hash alike. The gate's regex is case-insensitive without the `u` flag, where
 * an ASCII letter matches only ASCII letters (ECMAScript Canonicalize: no non-ASCII char folds to ASCII), so a
 * piece of ASCII chars matches only windows that hash alike. A piece with another char, or a literal shorter
 * than three chars (a site's `redaction.names`), turns the prefilter off.
 */
export interface Prefilter {
  /** False only when `s` cannot hold any trigger of the set. */
  mayHold(s: string): boolean;
}

const PASS_ALL: Prefilter = { mayHold: () => true };

// Letter frequencies in English text (per cent), for choosing the rarest piece of a literal. Any piece would do
// for correctness; a rare one lets more texts through without the gate.
const LETTER_FREQ: Readonly<Record<string, number>> = {
  e: 12.7,
  t: 9.1,
  a: 8.2,
  o: 7.5,
  i: 7.0,
  n: 6.7,
  s: 6.3,
  h: 6.1,
  r: 6.0,
  d: 4.3,
  l: 4.0,
  c: 2.8,
  u: 2.8,
  m: 2.4,
  w: 2.4,
  f: 2.2,
  g: 2.0,
  y: 2.0,
  p: 1.9,
  b: 1.5,
  v: 1.0,
  k: 0.8,
  j: 0.15,
  x: 0.15,
  q: 0.1,
  z: 0.07,
};

/** The three-character piece of `literal` whose letters are rarest in English, or undefined if it is shorter. */
export function rarestPiece(literal: string): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (let i = 0; i + 3 <= literal.length; i++) {
    const piece = literal.slice(i, i + 3);
    let score = 0;
    for (const ch of piece.toLowerCase()) score += LETTER_FREQ[ch] ?? 0.5;
    if (score < bestScore) {
      best = piece;
      bestScore = score;
    }
  }
  return best;
}

/** A prefilter for texts that may hold `pieces` (each three chars, matched up to ASCII case). */
export function compilePrefilter(pieces: readonly (string | undefined)[]): Prefilter {
  const bits = new Uint8Array(4096);
  for (const piece of pieces) {
    if (piece === undefined || piece.length !== 3) return PASS_ALL;
    let h = 0;
    for (let i = 0; i < 3; i++) {
      const c = piece.charCodeAt(i);
      if (c >= 128) return PASS_ALL;
      h = ((h << 5) ^ (c | 32)) & 0x7fff;
    }
    bits[h >> 3]! |= 1 << (h & 7);
  }
  return {
    mayHold(s: string): boolean {
      let h = 0;
      for (let i = 0; i < s.length; i++) {
        // Only the last three chars stay in `h`: an older one is shifted past bit 14.
        h = ((h << 5) ^ (s.charCodeAt(i) | 32)) & 0x7fff;
        if ((bits[h >> 3]! & (1 << (h & 7))) !== 0) return true;
      }
      return false;
    },
  };
}

/** The shortest set of literals: a literal that contains another is implied by it. */
function minimalLiterals(literals: readonly string[]): string[] {
  const set = [...new Set(literals.map((l) => l.toLowerCase()))].sort((a, b) => a.length - b.length);
  const out: string[] = [];
  for (const l of set) if (!out.some((o) => l.includes(o))) out.push(l);
  return out;
}

/**
 * `a(?:uth|pi_key)|c(?:ookie|ode)|...`: literals grouped by first letter. The same matches as a flat
 * alternation, and the regex engine rejects most positions after one character (measurably faster on long
 * records).
 */
function triggerSource(literals: readonly string[]): string {
  const byFirst = new Map<string, string[]>();
  for (const l of minimalLiterals(literals)) {
    const k = l[0]!;
    byFirst.set(k, [...(byFirst.get(k) ?? []), l.slice(1)]);
  }
  const parts: string[] = [];
  for (const [first, rests] of byFirst) {
    const r = rests.map(escapeRe);
    parts.push(
      r.length === 1
        ? escapeRe(first) + r[0]
        : `${escapeRe(first)}(?:${r.sort((a, b) => b.length - a.length).join('|')})`,
    );
  }
  return parts.join('|');
}

// ---- value rules -------------------------------------------------------------------------------------------

/** A parameter value: quoted (kept quoted), or up to `& ; ,` whitespace, a quote, `<>`, or an encoded `&`. */
const PARAM_VALUE =
  '"[^"\\r\\n]*"|\'[^\'\\r\\n]*\'|&quot;(?:(?!&quot;)[^\\r\\n])*&quot;|\\\\"(?:[^"\\\\\\r\\n]|\\\\[^"])*\\\\"|(?:[^&;,\\s"\'<>%\\\\]|%(?!(?:25)?26)|\\\\(?!"))+';
/**
 * Before a parameter name: a query, form or cookie separator, plain or percent-encoded once or twice, or the
 * `=` of an enclosing parameter whose value is itself a query (`url=%2Fowa%3Fpassword%3D...`).
 */
const PARAM_PRE = '(^|[?&;,\\s"\'+(|{[=]|%(?:25)?(?:26|3[fF]|3[dD]|20|2[bB]|3[bB]|22|2[cC]))';

// The rules below that find `name <separator>` heads scan with exec and, when a name is not a credential,
// continue right after its separator: the value of an ordinary parameter may itself hold one
// (`x=password%253D...`, `Mbx:EX01_Password:...`, `-x -Password y`).

// `name=value` (queries, form bodies, cookies, attributes): `=` plain, `%3D` or `%253D`.
const PARAM_HEAD_RE = new RegExp(`${PARAM_PRE}([A-Za-z0-9_.$-]+)(=|%(?:25)?3[dD])`, 'g');
const PARAM_VALUE_RE = new RegExp(`(?:${PARAM_VALUE})`, 'y');
// `name: value` in free text and `name:value` (EAS &Log= tokens, after `_`).
const COLON_HEAD_RE = new RegExp(
  '(^|[?&;,\\s"\'+(|{[=:]|%(?:25)?(?:26|3[fF]|3[aA]|20|2[bB]))([A-Za-z0-9_.$-]+)([ \\t]*:[ \\t]*|%(?:25)?3[aA])',
  'g',
);
const COLON_VALUE_RE = /"[^"\r\n]*"|'[^'\r\n]*'|[^\s&;,"'<>]+/y;
// A header line: the value runs to the end of the line.
const HEADER_LINE_RE = /^([ \t]*)([A-Za-z][A-Za-z0-9_-]*)([ \t]*:[ \t]*)(\S[^\r\n\u2028\u2029]*?)([ \t]*)$/gm;
// A header inside a line (a CSV field, a flattened message): the value runs to the end of the field.
const HEADER_INLINE_HEAD_RE = /(^|[^A-Za-z0-9_-])([A-Za-z][A-Za-z0-9_-]*)([ \t]*:[ \t]*)/g;
const HEADER_INLINE_VALUE_RE = /[^\r\n\u2028\u2029",]+/y;
// `"name": "value"` and the same escaped inside another JSON string (`\"name\":\"value\"`).
const JSON_RE = /"([^"\\\r\n]{1,64})"([ \t]*:[ \t]*)"((?:[^"\\\r\n]|\\.)*)"/g;
const JSON_ESCAPED_RE = /\\"([^"\\\r\n]{1,64})\\"([ \t]*:[ \t]*)\\"([^"\r\n]*?)\\"/g;
// ... and XML-escaped (JSON in the text of an XML event: `{&quot;name&quot;:&quot;value&quot;}`).
const JSON_XML_ESCAPED_RE =
  /&quot;([^"&\\\r\n]{1,64})&quot;([ \t]*:[ \t]*)&quot;((?:(?!&quot;)[^\r\n])*?)&quot;/g;
// `<ns:Name attr>text` and `&lt;Name&gt;text`: the text up to the next tag, on the tag's line or the next one.
const XML_TEXT = '(\\s*)((?:[^<&\\r\\n\\u2028\\u2029]|&(?!lt;))*)';
const XML_ELEMENT_RE = new RegExp(
  `(<|&lt;)((?:[A-Za-z_][\\w.-]*:)?)([A-Za-z_][\\w.-]*)((?:[ \\t][^<>\\r\\n]*?)?)(>|&gt;)${XML_TEXT}`,
  'g',
);
// `<Data Name="Password">text` (event data, any element with a Name attribute), plain or `&lt;`-escaped.
const XML_NAMED_RE = new RegExp(
  `(<|&lt;)([A-Za-z_][\\w.:-]*[ \\t][^<>\\r\\n]*?\\bName[ \\t]*=[ \\t]*)("|'|&quot;)([^"'<>&\\r\\n]{1,128})\\3([^<>\\r\\n]*?)(>|&gt;)${XML_TEXT}`,
  'gi',
);
// An authorization scheme and its token, separated as HTTP (space), IIS (`+`) or a URL (`%20`, `%2B`) writes it.
const SCHEME_RE =
  /\b(?:(Basic|Bearer|Negotiate|NTLM|ApiKey)(\s+|\++|%20|%2[bB])((?:[A-Za-z0-9+/=._~-]|%[0-9A-Fa-f]{2})+)|(Digest)(\s+|\++|%20)(\S+))/gi;
// A JSON Web Token (header.payload[.signature...]), whatever carries it.
const JWT_RE = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)*/g;
// URL user info: the password up to the last `@` of the authority.
const URL_RE = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)([^\s/?#]*)(@)/gi;
const URL_ENCODED_RE =
  /\b([a-z][a-z0-9+.-]*%(?:25)?3[aA]%(?:25)?2[fF]%(?:25)?2[fF](?:[^\s%/?#&@:]|%(?!(?:25)?(?:3[aA]|2[fF]|40)))*%(?:25)?3[aA])((?:[^\s%/?#&]|%(?!(?:25)?2[fF]))*)(%(?:25)?40)/gi;
// Command-line flags: `-Password x`, `--password=x`, `/p:x`.
const FLAG_HEAD_RE = /(^|[\s"'(])(--?|\/)([A-Za-z][A-Za-z0-9_-]*)([ \t]*[:=][ \t]*|[ \t]+)/g;
const FLAG_VALUE_RE = /"[^"\r\n]*"|'[^'\r\n]*'|[^\s"']+/y;
const SECURE_STRING_RE = /(ConvertTo-SecureString[ \t]+(?:-String[ \t]+)?)("[^"\r\n]*"|'[^'\r\n]*')/gi;

/**
 * Scans `s` for heads (`pre name sep`); where `credential(groups)` says so, the value that `valueRe` (sticky)
 * matches right after the head is replaced by `replacement(value)`. Elsewhere the scan goes on right after
 * the head, so a value is searched for heads too.
 */
function replaceValues(
  s: string,
  headRe: RegExp,
  /** Index of the separator group: the scan goes on from the separator, which may be the next `pre`. */
  sepGroup: number,
  valueRe: RegExp,
  credential: (m: RegExpExecArray) => boolean,
  replacement: (value: string) => string,
): string {
  headRe.lastIndex = 0;
  let m = headRe.exec(s);
  if (m === null) return s;
  let out = '';
  let copied = 0;
  while (m !== null) {
    const at = m.index + m[0].length;
    if (credential(m)) {
      valueRe.lastIndex = at;
      const v = valueRe.exec(s);
      if (v !== null && v[0].length > 0) {
        out += s.slice(copied, at) + replacement(v[0]);
        copied = at + v[0].length;
        headRe.lastIndex = copied;
        m = headRe.exec(s);
        continue;
      }
    }
    // Not a credential (or no value): go on from the separator (`=` or a space can be the next head's `pre`).
    headRe.lastIndex = Math.max(at - m[sepGroup]!.length, m.index + 1);
    m = headRe.exec(s);
  }
  return copied === 0 ? s : out + s.slice(copied);
}

/** Keeps the quotes of a quoted value. */
function redactValue(value: string): string {
  const q = value[0];
  if (q === '"' || q === "'") return q + REDACTED + q;
  if (value.startsWith('&quot;')) return `&quot;${REDACTED}&quot;`;
  if (value.startsWith('\\"')) return `\\"${REDACTED}\\"`;
  return REDACTED;
}

const LETTERS = /^[A-Za-z]+$/;

/**
 * Whether the word after an authorization scheme is a credential and not prose ("Basic authentication",
 * "NTLM V2"): a real token has a digit or symbol, or is long, or (Basic) decodes to `user:password`.
 */
function isToken(scheme: string, token: string): boolean {
  if (token.length < 8) return false;
  if (!LETTERS.test(token) || token.length >= 20) return true;
  if (scheme.toLowerCase() !== 'basic') return false;
  const decoded = Buffer.from(token, 'base64').toString('latin1');
  return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(decoded);
}

interface ExtraPattern {
  readonly re: RegExp;
}

// ---- compiling ---------------------------------------------------------------------------------------------

export function compileRedactor(additions?: Partial<RedactionConfig>): Redactor {
  const entries: NameEntry[] = [...CREDENTIAL_NAMES, ...(additions?.names ?? []).map(extraEntry)];
  const cls = Object.fromEntries(CARRIERS.map((c) => [c, new NameClass(entries, c)])) as Record<
    Carrier,
    NameClass
  >;
  const extras: ExtraPattern[] = (additions?.patterns ?? []).map((p) => ({
    re: new RegExp(p.pattern, p.ignoreCase ? 'dgi' : 'dg'),
  }));
  const literals = minimalLiterals([...entries.map((e) => e.trigger ?? e.name), ...SHAPE_TRIGGERS]);
  // The gate: one case-insensitive regex over the literals that start with a letter (the engine rejects most
  // positions after one character), string searches for the rest. Literals starting with punctuation (`/p:`)
  // would make the regex try nearly every position of a URL-heavy IIS line; as plain searches they cost
  // next to nothing (`indexOf` for each case when the literal has one letter, else a small regex).
  const letterLits = literals.filter((l) => /^[a-z]/.test(l));
  const otherLits = literals.filter((l) => !/^[a-z]/.test(l));
  const LETTER_GATE = new RegExp(triggerSource(letterLits), 'i');
  const otherChecks: ((s: string) => boolean)[] = otherLits.map((l) => {
    const letters = l.replace(/[^a-z]/g, '');
    if (letters.length <= 1) {
      const upper = l.toUpperCase();
      return (s: string) => s.includes(l) || s.includes(upper);
    }
    const re = new RegExp(escapeRe(l), 'i');
    return (s: string) => re.test(s);
  });
  const prefilter = compilePrefilter([...literals.map(rarestPiece), ...SHAPE_TRIGRAMS]);
  /** Positions of every trigger (for the line ranges): the literals, case-insensitive, and the shapes. */
  const TRIGGER_G = new RegExp(
    // (`eyJ` is found in any case here; positions only need to be a superset.)
    [triggerSource(literals), ...SHAPE_TRIGGER_SOURCES].join('|'),
    'gi',
  );

  const headerExact = new NameClass(
    entries.filter((e) => e.match === 'exact'),
    'header',
  );
  const isName = (name: string, carrier: Carrier): boolean => cls[carrier].has(name);

  /** Every built-in rule over `s`, in an order where an earlier rule's output never feeds a later one wrongly. */
  function rules(s: string): string {
    let out = s;
    out = out.replace(
      HEADER_LINE_RE,
      (m, lead: string, name: string, sep: string, _v: string, trail: string) =>
        cls.header.has(name) ? lead + name + sep + REDACTED + trail : m,
    );
    out = replaceValues(
      out,
      HEADER_INLINE_HEAD_RE,
      3,
      HEADER_INLINE_VALUE_RE,
      // A family name counts inline only in HTTP header style (`X-CommonAccessToken`), so prose such as
      // "Elevated Token: Yes" keeps its value.
      (m) => cls.header.has(m[2]!) && (m[2]!.includes('-') || headerExact.has(m[2]!)),
      () => REDACTED,
    );
    out = out.replace(URL_RE, (m, pre: string, pass: string, at: string) =>
      pass.length > 0 ? pre + REDACTED + at : m,
    );
    out = out.replace(URL_ENCODED_RE, (m, pre: string, pass: string, at: string) =>
      pass.length > 0 ? pre + REDACTED + at : m,
    );
    out = out.replace(JWT_RE, REDACTED);
    out = out.replace(
      SCHEME_RE,
      (
        m,
        scheme: string | undefined,
        sep: string | undefined,
        token: string | undefined,
        digest: string | undefined,
        dsep: string | undefined,
        dtoken: string | undefined,
      ) => {
        if (scheme !== undefined) return isToken(scheme, token!) ? scheme + sep! + REDACTED : m;
        return isToken(digest!, dtoken!) ? digest! + dsep! + REDACTED : m;
      },
    );
    out = out.replace(JSON_RE, (m, name: string, sep: string, value: string) =>
      value.length > 0 && cls.json.has(name) ? `"${name}"${sep}"${REDACTED}"` : m,
    );
    out = out.replace(JSON_ESCAPED_RE, (m, name: string, sep: string, value: string) =>
      value.length > 0 && cls.json.has(name) ? `\\"${name}\\"${sep}\\"${REDACTED}\\"` : m,
    );
    out = out.replace(JSON_XML_ESCAPED_RE, (m, name: string, sep: string, value: string) =>
      value.length > 0 && cls.json.has(name) ? `&quot;${name}&quot;${sep}&quot;${REDACTED}&quot;` : m,
    );
    out = out.replace(
      XML_NAMED_RE,
      (
        m,
        lt: string,
        head: string,
        q: string,
        name: string,
        rest: string,
        gt: string,
        ws: string,
        text: string,
      ) =>
        text.trim().length > 0 && (cls.field.has(name) || cls.xml.has(name))
          ? lt + head + q + name + q + rest + gt + ws + REDACTED
          : m,
    );
    out = out.replace(
      XML_ELEMENT_RE,
      (m, lt: string, prefix: string, name: string, attrs: string, gt: string, ws: string, text: string) =>
        text.trim().length > 0 && cls.xml.has(name) ? lt + prefix + name + attrs + gt + ws + REDACTED : m,
    );
    out = replaceValues(out, PARAM_HEAD_RE, 3, PARAM_VALUE_RE, (m) => cls.param.has(m[2]!), redactValue);
    out = replaceValues(
      out,
      COLON_HEAD_RE,
      3,
      COLON_VALUE_RE,
      (m) => {
        const name = m[2]!;
        const u = name.lastIndexOf('_');
        return cls.colon.has(name) || (u > 0 && u < name.length - 1 && cls.colon.has(name.slice(u + 1)));
      },
      redactValue,
    );
    out = replaceValues(
      out,
      FLAG_HEAD_RE,
      4,
      FLAG_VALUE_RE,
      (m) => {
        const name = m[3]!;
        if (name === 'p' || name === 'P') return m[2] === '/' && m[4] === ':';
        return cls.flag.has(name);
      },
      redactValue,
    );
    out = out.replace(SECURE_STRING_RE, (_m, head: string, value: string) => head + redactValue(value));
    return out;
  }

  function applyExtras(s: string): string {
    let out = s;
    for (const { re } of extras) {
      re.lastIndex = 0;
      let m = re.exec(out);
      if (m === null) continue;
      let built = '';
      let copied = 0;
      while (m !== null) {
        const span = m.indices?.groups?.['value'] ?? m.indices?.[0];
        if (span !== undefined && span[1] > span[0]) {
          built += out.slice(copied, span[0]) + REDACTED;
          copied = span[1];
        }
        if (m[0].length === 0) re.lastIndex++;
        m = re.exec(out);
      }
      out = built + out.slice(copied);
    }
    return out;
  }

  function textFull(s: string): string {
    const out = applyExtras(rules(s));
    return out === s ? s : out;
  }

  /** The built-in rules applied only to the lines around each trigger literal (module comment). */
  function ranged(s: string): string {
    TRIGGER_G.lastIndex = 0;
    let m = TRIGGER_G.exec(s);
    if (m === null) return s;
    let out = '';
    let copied = 0;
    while (m !== null) {
      const a = lineStart(s, m.index, copied);
      let b = throughNextContent(s, lineEnd(s, m.index + m[0].length));
      // Merge every further trigger inside this range (its own line may reach further).
      TRIGGER_G.lastIndex = m.index + Math.max(1, m[0].length);
      let next = TRIGGER_G.exec(s);
      while (next !== null && next.index < b) {
        b = Math.max(b, throughNextContent(s, lineEnd(s, next.index + next[0].length)));
        TRIGGER_G.lastIndex = next.index + Math.max(1, next[0].length);
        next = TRIGGER_G.exec(s);
      }
      out += s.slice(copied, a) + rules(s.slice(a, b));
      copied = b;
      m = next;
    }
    out += s.slice(copied);
    return out === s ? s : out;
  }

  function text(s: string): string {
    if (s.length === 0) return s;
    let out = ranged(s);
    if (extras.length > 0) out = applyExtras(out);
    return out === s ? s : out;
  }

  /** Whether a built-in rule could change `s`: a trigger literal, `eyJ`, URL user info or an encoded URL. */
  function fastTriggered(s: string): boolean {
    if (!prefilter.mayHold(s)) return false;
    if (LETTER_GATE.test(s)) return true;
    if (s.includes('eyJ')) return true;
    for (const check of otherChecks) if (check(s)) return true;
    if (s.includes('://') && URL_USERINFO_TRIGGER.test(s)) return true;
    return s.includes('%') && ENCODED_URL_TRIGGER.test(s);
  }

  function triggered(s: string): boolean {
    if (fastTriggered(s)) return true;
    for (const { re } of extras) {
      re.lastIndex = 0;
      if (re.test(s)) return true;
    }
    return false;
  }

  function document(doc: { [key: string]: Json | undefined }): void {
    // First walk: values under credential keys are replaced, every other string is collected in walk order.
    const strings: string[] = [];
    collect(doc, strings, cls.field);
    if (strings.length === 0) return;
    // One gate over all strings joined by `\n` (no trigger holds a line break, so none spans two strings)
    // instead of one per string; usually nothing triggers (the raw record's trigger was in a part no field
    // kept, or in a column the normalizer masked) and the document is done.
    const joined = strings.join('\n');
    let flagged: Uint8Array | undefined;
    if (fastTriggered(joined)) {
      flagged = new Uint8Array(strings.length);
      TRIGGER_G.lastIndex = 0;
      let m = TRIGGER_G.exec(joined);
      let idx = 0;
      let end = strings[0]!.length;
      while (m !== null) {
        while (m.index >= end) {
          idx++;
          end += 1 + strings[idx]!.length;
        }
        flagged[idx] = 1;
        TRIGGER_G.lastIndex = end + 1;
        m = TRIGGER_G.exec(joined);
      }
    }
    if (flagged === undefined && extras.length === 0) return;
    // Second walk, in the same order: the flagged strings (and, with extra patterns, every string).
    const redactOne = (i: number, v: string): string => {
      let r = flagged !== undefined && flagged[i] === 1 ? ranged(v) : v;
      if (extras.length > 0) r = applyExtras(r);
      return r;
    };
    apply(doc, { next: 0 }, cls.field, redactOne);
  }

  return { triggered, text, textFull, isCredentialName: isName, document };
}

/** Strings in walk order; values under a credential key are replaced on the way (and not collected). */
function collect(
  value: { [key: string]: Json | undefined } | Json[],
  strings: string[],
  field: NameClass,
): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i]!;
      if (typeof v === 'string') strings.push(v);
      else if (v !== null && typeof v === 'object') collect(v, strings, field);
    }
    return;
  }
  for (const key in value) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') {
      if (field.has(key)) {
        if (v !== '' && v !== '-') value[key] = REDACTED;
      } else strings.push(v);
    } else if (typeof v === 'object') {
      if (field.has(key)) wipe(v);
      else collect(v, strings, field);
    }
  }
}

/** The strings `collect` collected, visited in the same order (credential keys skipped the same way). */
function apply(
  value: { [key: string]: Json | undefined } | Json[],
  at: { next: number },
  field: NameClass,
  redactOne: (i: number, v: string) => string,
): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i]!;
      if (typeof v === 'string') {
        const r = redactOne(at.next++, v);
        if (r !== v) value[i] = r;
      } else if (v !== null && typeof v === 'object') apply(v, at, field, redactOne);
    }
    return;
  }
  for (const key in value) {
    const v = value[key];
    if (v === undefined || v === null || field.has(key)) continue;
    if (typeof v === 'string') {
      const r = redactOne(at.next++, v);
      if (r !== v) value[key] = r;
    } else if (typeof v === 'object') apply(v, at, field, redactOne);
  }
}

/** Every string below a credential key. */
function wipe(value: { [key: string]: Json | undefined } | Json[]): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i]!;
      if (typeof v === 'string') {
        if (v !== '' && v !== '-') value[i] = REDACTED;
      } else if (v !== null && typeof v === 'object') wipe(v);
    }
    return;
  }
  for (const key in value) {
    const v = value[key];
    if (typeof v === 'string') {
      if (v !== '' && v !== '-') value[key] = REDACTED;
    } else if (v !== null && v !== undefined && typeof v === 'object') wipe(v);
  }
}

// ---- line ranges -------------------------------------------------------------------------------------------

const TERMINATOR = /[\n\r\u2028\u2029]/g;
const NON_SPACE = /\S/g;

/** Start of the line holding `i`, searching back no further than `floor` (native scans, no char loop). */
function lineStart(text: string, i: number, floor: number): number {
  if (i <= floor) return floor;
  const p = Math.max(
    text.lastIndexOf('\n', i - 1),
    text.lastIndexOf('\r', i - 1),
    text.lastIndexOf('\u2028', i - 1),
    text.lastIndexOf('\u2029', i - 1),
  );
  return Math.max(p + 1, floor);
}

/** Index of the line terminator ending the line that holds `i` (or the text length). */
function lineEnd(text: string, i: number): number {
  TERMINATOR.lastIndex = i;
  const m = TERMINATOR.exec(text);
  return m === null ? text.length : m.index;
}

/** From a line end: past any blank (whitespace-only, as `\s` sees it) lines to the end of the next non-blank line. */
function throughNextContent(text: string, end: number): number {
  NON_SPACE.lastIndex = end;
  const m = NON_SPACE.exec(text);
  return m === null ? text.length : lineEnd(text, m.index);
}
