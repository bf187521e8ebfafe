// A tolerant reader for the XML bodies in EAS mailbox logs (eas-formats.md 1.5). Exchange pretty-prints WBXML as
// XML with `xmlns="Provision:"`-style namespaces (not URIs), replaces personal data with `<Tag bytes="N"/>`, and
// writes `<Body=N bytes/>`, which is not XML. A general XML parser rejects that, so this reader patches the known
// non-XML forms and builds a small element tree. It never expands entities beyond the five predefined ones and
// numeric references (no DTD, so no entity bomb), and caps depth and element count.
// Returns a tree or an error string; never throws.

export interface XmlElement {
  readonly name: string;
  /** Namespace in scope (`Provision:`, `Settings:`), inherited from the nearest `xmlns`. */
  readonly ns: string | undefined;
  readonly attrs: Readonly<Record<string, string>>;
  text: string;
  readonly children: XmlElement[];
}

export const XML_MAX_ELEMENTS = 20_000;
export const XML_MAX_DEPTH = 64;

const TAG_RE = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const ATTR_RE = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const BODY_RE = /<([A-Za-z]+)=(\d+) bytes\/>/g;

/** Shared by every element without attributes (most of them); frozen, since the tree is handed out. */
const NO_ATTRS: Readonly<Record<string, string>> = Object.freeze({});

function isNameChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 58) /* digits and : */ ||
    c === 95 ||
    c === 46 ||
    c === 45
  );
}

/**
 * End (after `>`) of a tag at `lt` of the form `<Name>`, `</Name>` or `<Name/>` with a TAG_RE name
 * (`[A-Za-z_][\w:.-]*`), else 0. `</Name/>` is left to the regex.
 */
function simpleTagEnd(s: string, lt: number): number {
  let p = lt + 1;
  const closing = s.charCodeAt(p) === 47;
  if (closing) p++;
  const c0 = s.charCodeAt(p);
  if (!((c0 >= 97 && c0 <= 122) || (c0 >= 65 && c0 <= 90) || c0 === 95)) return 0;
  p++;
  while (isNameChar(s.charCodeAt(p))) p++;
  const c = s.charCodeAt(p);
  if (c === 62 /* > */) return p + 1;
  if (!closing && c === 47 && s.charCodeAt(p + 1) === 62) return p + 2;
  return 0;
}

/** Whether s[from, to) is empty or only what String.prototype.trim removes. */
function isBlank(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) continue;
    // Rare: decide non-ASCII characters the way trim() does.
    if (c > 127 && s.slice(i, i + 1).trim().length === 0) continue;
    return false;
  }
  return true;
}

export function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (m, e: string) => {
    switch (e) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const cp = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
      }
    }
  });
}

/** Parse a mailbox-log XML body. `[No XmlResponse]` and other non-XML text yield undefined (not an error). */
export function parseEasXml(input: string): XmlElement | undefined | string {
  let s = input.trim();
  if (s.length === 0 || s.charCodeAt(0) !== 60 /* < */) return undefined;
  if (s.indexOf('bytes/>') >= 0) s = s.replace(BODY_RE, '<$1 bytes="$2"/>');
  const root: XmlElement = { name: '#document', ns: undefined, attrs: {}, text: '', children: [] };
  const stack: XmlElement[] = [root];
  let count = 0;
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const top = stack[stack.length - 1]!;
    if (lt < 0) {
      if (!isBlank(s, i, s.length)) top.text += decodeEntities(s.slice(i));
      break;
    }
    // Between tags is almost always indentation: test it in place instead of slicing and trimming.
    if (lt > i && !isBlank(s, i, lt)) top.text += decodeEntities(s.slice(i, lt));
    const c1 = s.charCodeAt(lt + 1);
    if (c1 === 63 /* ? */) {
      const end = s.indexOf('?>', lt);
      if (end < 0) return 'unterminated processing instruction';
      i = end + 2;
      continue;
    }
    if (c1 === 33 /* ! */) {
      if (s.startsWith('<!--', lt)) {
        const end = s.indexOf('-->', lt);
        if (end < 0) return 'unterminated comment';
        i = end + 3;
        continue;
      }
      if (s.startsWith('<![CDATA[', lt)) {
        const end = s.indexOf(']]>', lt);
        if (end < 0) return 'unterminated CDATA';
        top.text += s.slice(lt + 9, end);
        i = end + 3;
        continue;
      }
      return 'DOCTYPE or declaration in an EAS body (not written by Exchange)';
    }
    let close: string | undefined;
    let name: string | undefined;
    let attrText: string | undefined;
    let selfClose: string | undefined;
    // Most tags are a bare `<Name>`, `</Name>` or `<Name/>`: read those directly (TAG_RE gives the same groups)
    // and leave attributes, whitespace and anything odd to the regex.
    const simple = simpleTagEnd(s, lt);
    if (simple > 0) {
      close = s.charCodeAt(lt + 1) === 47 ? '/' : '';
      selfClose = s.charCodeAt(simple - 2) === 47 ? '/' : '';
      name = s.slice(lt + 1 + close.length, simple - 1 - selfClose.length);
      attrText = '';
      i = simple;
    } else {
      TAG_RE.lastIndex = lt;
      const m = TAG_RE.exec(s);
      if (!m) return `malformed tag at character ${lt}`;
      i = TAG_RE.lastIndex;
      [, close, name, attrText, selfClose] = m;
    }
    if (close === '/') {
      if (stack.length <= 1 || top.name !== name) return `unexpected </${name}> at character ${lt}`;
      stack.pop();
      continue;
    }
    if (++count > XML_MAX_ELEMENTS) return `more than ${XML_MAX_ELEMENTS} elements`;
    let attrs: Readonly<Record<string, string>> = NO_ATTRS;
    if (attrText) {
      const own: Record<string, string> = {};
      ATTR_RE.lastIndex = 0;
      for (let a = ATTR_RE.exec(attrText); a; a = ATTR_RE.exec(attrText)) {
        own[a[1]!] = decodeEntities(a[2] ?? a[3] ?? '');
      }
      attrs = own;
    }
    const el: XmlElement = { name: name!, ns: attrs['xmlns'] ?? top.ns, attrs, text: '', children: [] };
    top.children.push(el);
    if (selfClose !== '/') {
      if (stack.length > XML_MAX_DEPTH) return `deeper than ${XML_MAX_DEPTH} levels`;
      stack.push(el);
    }
  }
  if (stack.length > 1) return `unclosed <${stack[stack.length - 1]!.name}>`;
  const top = root.children[0];
  if (root.children.length !== 1 || !top) return 'not exactly one root element';
  return top;
}

/** First descendant (depth-first) with a local name, or undefined. */
export function findElement(el: XmlElement, name: string): XmlElement | undefined {
  for (const c of el.children) {
    if (c.name === name) return c;
    const d = findElement(c, name);
    if (d) return d;
  }
  return undefined;
}

/** Trimmed text of a direct child, or undefined when absent, empty or a `bytes="N"` placeholder. */
export function childText(el: XmlElement, name: string): string | undefined {
  const c = el.children.find((x) => x.name === name);
  if (!c || c.attrs['bytes'] !== undefined) return undefined;
  const t = c.text.trim();
  return t.length > 0 ? t : undefined;
}
