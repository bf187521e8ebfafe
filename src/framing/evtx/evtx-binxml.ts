// Binary XML (BinXml) of one EVTX chunk: the token stream (evtx.md 1.5, [MS-EVEN6] 2.2.12) parsed into a small
// node tree, template definitions cached per chunk by their chunk offset, and template instances resolved into a
// plain element tree with every substitution replaced by its value.
//
// Invariants:
// - Every offset is relative to the chunk buffer and every read is bounds-checked: a damaged record throws an
//   EvtxFormatError, which the chunk walker turns into one failed record; nothing reads outside the chunk.
// - Caches (names, templates) live in one BinXmlChunk and never outlive it: offsets are chunk-relative, so a
//   later chunk can hold a different template at the same offset.
// - Element starts carry a dependency id only inside template definitions; template-less records (Windows Event
//   Forwarding) and BinXml embedded in values do not (evtx.md 1.5, as the Rust crate does).
// - Nesting (elements, embedded BinXml, templates inside templates) is bounded by MAX_DEPTH.

import { EvtxFormatError } from './evtx-errors.js';
import { ValueType, ansi, arrayItems, fixedSize, scalar, utf16, wellFormed } from './evtx-values.js';

/** Bound on element nesting plus embedded-BinXml / template nesting; real events stay far below it. */
export const MAX_DEPTH = 64;
/**
 * Bound on the nodes one record may resolve to. Templates are cached and may be instantiated several times
 * each, so a hostile chunk could nest templates that double at every level; real events have a few hundred.
 */
export const MAX_NODES = 100_000;

// ---- parsed (template-level) nodes -------------------------------------------------------------------------

const enum Kind {
  Element = 1,
  Text = 2,
  Subst = 3,
  Instance = 4,
  Pi = 5,
}

interface PElement {
  readonly k: Kind.Element;
  readonly name: string;
  readonly attrs: readonly PAttr[];
  readonly children: readonly PNode[];
}
interface PAttr {
  readonly name: string;
  readonly parts: readonly PNode[];
}
interface PText {
  readonly k: Kind.Text;
  readonly text: string;
}
interface PSubst {
  readonly k: Kind.Subst;
  readonly index: number;
  readonly optional: boolean;
}
interface PInstance {
  readonly k: Kind.Instance;
  readonly template: readonly PNode[];
  /** Value descriptors as triples (type, chunk offset, size). */
  readonly values: Int32Array;
}
interface PPi {
  readonly k: Kind.Pi;
  readonly target: string;
  readonly data: string;
}
type PNode = PElement | PText | PSubst | PInstance | PPi;

// ---- resolved nodes (what the event mapper and the XML renderer see) ---------------------------------------

export interface XAttr {
  readonly name: string;
  readonly value: string;
}
export interface XElement {
  readonly name: string;
  readonly attrs: readonly XAttr[];
  readonly children: readonly XNode[];
}
export interface XPi {
  readonly pi: string;
  readonly data: string;
}
/** Text is a plain (unescaped) string. */
export type XNode = XElement | XPi | string;

export function isElement(n: XNode): n is XElement {
  return typeof n === 'object' && 'children' in n;
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

interface Cursor {
  pos: number;
  end: number;
}

function bounds(c: Cursor, n: number): void {
  if (c.pos + n > c.end) {
    throw new EvtxFormatError(
      'evtx.binxml_bounds',
      `read of ${n} bytes at chunk offset ${c.pos} passes ${c.end}`,
    );
  }
}

/** Per-chunk decoder state: the chunk bytes and the name and template caches keyed by chunk offset. */
export class BinXmlChunk {
  private readonly names = new Map<number, string>();
  private readonly templates = new Map<number, readonly PNode[]>();
  /** Nodes the record being decoded may still produce (MAX_NODES at the start of each record). */
  private budget = 0;

  /** `length` is how much of `buf` belongs to the chunk (less than 65536 for a truncated last chunk). */
  constructor(
    readonly buf: Buffer,
    readonly length: number,
  ) {}

  /** Decode a record's BinXml document at [start, end) into resolved top-level nodes. */
  decodeRecord(start: number, end: number): XNode[] {
    const nodes = this.parseDocument({ pos: start, end }, false, 0);
    this.budget = MAX_NODES;
    const out: XNode[] = [];
    this.resolveList(nodes, null, 0, out);
    return out;
  }

  // ---- token stream ----

  private u8(c: Cursor): number {
    bounds(c, 1);
    return this.buf[c.pos++]!;
  }
  private u16(c: Cursor): number {
    bounds(c, 2);
    const v = this.buf.readUInt16LE(c.pos);
    c.pos += 2;
    return v;
  }
  private u32(c: Cursor): number {
    bounds(c, 4);
    const v = this.buf.readUInt32LE(c.pos);
    c.pos += 4;
    return v;
  }
  private chars(c: Cursor, count: number): string {
    bounds(c, count * 2);
    const s = this.buf.toString('utf16le', c.pos, c.pos + count * 2);
    c.pos += count * 2;
    return wellFormed(s);
  }

  /** A name reference: inline (offset == current position, structure follows) or a back reference. */
  private name(c: Cursor): string {
    const off = this.u32(c);
    if (off === c.pos) {
      const name = this.nameAt(off);
      c.pos += 8 + name.length * 2 + 2;
      if (c.pos > c.end)
        throw new EvtxFormatError('evtx.binxml_bounds', `inline name at ${off} passes ${c.end}`);
      return name;
    }
    return this.nameAt(off);
  }

  private nameAt(off: number): string {
    const cached = this.names.get(off);
    if (cached !== undefined) return cached;
    if (off < 512 || off + 8 > this.length) {
      throw new EvtxFormatError('evtx.binxml_name', `name offset ${off} outside the chunk`);
    }
    const count = this.buf.readUInt16LE(off + 6);
    if (off + 8 + count * 2 > this.length) {
      throw new EvtxFormatError('evtx.binxml_name', `name at ${off} (${count} chars) passes the chunk end`);
    }
    const name = wellFormed(this.buf.toString('utf16le', off + 8, off + 8 + count * 2));
    this.names.set(off, name);
    return name;
  }

  /** A document or fragment sequence: fragment headers, elements, template instances, PIs, until EOF. */
  private parseDocument(c: Cursor, dep: boolean, depth: number): PNode[] {
    if (depth > MAX_DEPTH)
      throw new EvtxFormatError('evtx.binxml_depth', `BinXml nesting deeper than ${MAX_DEPTH}`);
    const out: PNode[] = [];
    while (c.pos < c.end) {
      const tok = this.buf[c.pos]!;
      switch (tok & 0x0f) {
        case 0x00:
          c.pos++;
          return out;
        case 0x0f:
          bounds(c, 4);
          c.pos += 4;
          break;
        case 0x0c:
          c.pos++;
          out.push(this.parseInstance(c, depth + 1));
          break;
        case 0x01:
          c.pos++;
          out.push(this.parseElement(c, tok, dep, depth + 1));
          break;
        case 0x0a:
          c.pos++;
          out.push(this.parsePi(c));
          break;
        default:
          throw new EvtxFormatError(
            'evtx.binxml_token',
            `unexpected token 0x${tok.toString(16)} at chunk offset ${c.pos}`,
          );
      }
    }
    return out;
  }

  private parsePi(c: Cursor): PPi {
    const target = this.name(c);
    let data = '';
    if (c.pos < c.end && this.buf[c.pos] === 0x0b) {
      c.pos++;
      data = this.chars(c, this.u16(c));
    }
    return { k: Kind.Pi, target, data };
  }

  private parseElement(c: Cursor, tok: number, dep: boolean, depth: number): PElement {
    if (depth > MAX_DEPTH)
      throw new EvtxFormatError('evtx.binxml_depth', `BinXml nesting deeper than ${MAX_DEPTH}`);
    if (dep) {
      bounds(c, 2);
      c.pos += 2;
    }
    this.u32(c); // data size: not trusted, the tokens themselves delimit the element
    const name = this.name(c);
    const attrs: PAttr[] = [];
    if (tok & 0x40) {
      this.u32(c); // attribute list size
      while (c.pos < c.end && (this.buf[c.pos]! & 0x0f) === 0x06) {
        c.pos++;
        const attrName = this.name(c);
        const parts: PNode[] = [];
        while (c.pos < c.end) {
          const t = this.buf[c.pos]! & 0x0f;
          if (t !== 0x05 && t !== 0x07 && t !== 0x08 && t !== 0x09 && t !== 0x0d && t !== 0x0e) break;
          c.pos++;
          parts.push(this.parseContentToken(c, this.buf[c.pos - 1]!));
        }
        attrs.push({ name: attrName, parts });
      }
    }
    const close = this.u8(c);
    if (close === 0x03) return { k: Kind.Element, name, attrs, children: [] };
    if (close !== 0x02) {
      throw new EvtxFormatError(
        'evtx.binxml_token',
        `token 0x${close.toString(16)} where <${name}> should close its start tag`,
      );
    }
    const children: PNode[] = [];
    for (;;) {
      const t = this.u8(c);
      switch (t & 0x0f) {
        case 0x04:
          return { k: Kind.Element, name, attrs, children };
        case 0x01:
          children.push(this.parseElement(c, t, dep, depth + 1));
          break;
        case 0x0a:
          children.push(this.parsePi(c));
          break;
        case 0x0c:
          children.push(this.parseInstance(c, depth + 1));
          break;
        case 0x0f:
          bounds(c, 3);
          c.pos += 3;
          break;
        case 0x05:
        case 0x07:
        case 0x08:
        case 0x09:
        case 0x0d:
        case 0x0e:
          children.push(this.parseContentToken(c, t));
          break;
        default:
          throw new EvtxFormatError(
            'evtx.binxml_token',
            `unexpected token 0x${t.toString(16)} inside <${name}>`,
          );
      }
    }
  }

  /** Text, CDATA, character/entity reference or substitution; the token byte is already consumed. */
  private parseContentToken(c: Cursor, tok: number): PNode {
    switch (tok & 0x0f) {
      case 0x05: {
        const type = this.u8(c);
        return { k: Kind.Text, text: this.inlineValue(c, type) };
      }
      case 0x07:
        return { k: Kind.Text, text: this.chars(c, this.u16(c)) };
      case 0x08:
        return { k: Kind.Text, text: String.fromCharCode(this.u16(c)) };
      case 0x09: {
        const name = this.name(c);
        return { k: Kind.Text, text: ENTITIES[name] ?? `&${name};` };
      }
      default: {
        const index = this.u16(c);
        this.u8(c); // declared type: the value descriptor's type is what was written, and wins
        return { k: Kind.Subst, index, optional: (tok & 0x0f) === 0x0e };
      }
    }
  }

  /** A value written inline after a text token: normally a counted UTF-16 string; other types by size. */
  private inlineValue(c: Cursor, type: number): string {
    if (type === ValueType.String) return this.chars(c, this.u16(c));
    if (type === ValueType.AnsiString) {
      const n = this.u16(c);
      bounds(c, n);
      const s = ansi(this.buf, c.pos, c.pos + n);
      c.pos += n;
      return s;
    }
    const size = fixedSize(type);
    if (size === 0)
      throw new EvtxFormatError('evtx.binxml_value', `inline value of type 0x${type.toString(16)}`);
    bounds(c, size);
    const s = scalar(type, this.buf, c.pos, c.pos + size);
    c.pos += size;
    return s;
  }

  private parseInstance(c: Cursor, depth: number): PInstance {
    if (depth > MAX_DEPTH)
      throw new EvtxFormatError('evtx.binxml_depth', `BinXml nesting deeper than ${MAX_DEPTH}`);
    bounds(c, 9);
    c.pos += 5; // unknown byte, template id
    const defOffset = this.u32(c);
    let template: readonly PNode[];
    if (defOffset === c.pos) {
      // Inline definition: parse it once, then skip it to reach the instance data.
      bounds(c, 24);
      const dataSize = this.buf.readUInt32LE(c.pos + 20);
      template = this.template(defOffset, depth);
      c.pos += 24 + dataSize;
      if (c.pos > c.end)
        throw new EvtxFormatError(
          'evtx.binxml_template',
          `inline template at ${defOffset} passes the record end`,
        );
    } else {
      template = this.template(defOffset, depth);
    }
    const count = this.u32(c);
    if (count * 4 > c.end - c.pos) {
      throw new EvtxFormatError(
        'evtx.binxml_template',
        `template instance declares ${count} values, more than fit`,
      );
    }
    const values = new Int32Array(count * 3);
    let off = c.pos + count * 4;
    for (let i = 0; i < count; i++) {
      const size = this.buf.readUInt16LE(c.pos + i * 4);
      values[i * 3] = this.buf[c.pos + i * 4 + 2]!;
      values[i * 3 + 1] = off;
      values[i * 3 + 2] = size;
      off += size;
    }
    if (off > c.end) {
      throw new EvtxFormatError(
        'evtx.binxml_template',
        `template values end at ${off}, past the record end ${c.end}`,
      );
    }
    c.pos = off;
    return { k: Kind.Instance, template, values };
  }

  private template(off: number, depth: number): readonly PNode[] {
    const cached = this.templates.get(off);
    if (cached !== undefined) return cached;
    if (off < 512 || off + 24 > this.length) {
      throw new EvtxFormatError(
        'evtx.binxml_template',
        `template definition offset ${off} outside the chunk`,
      );
    }
    const dataSize = this.buf.readUInt32LE(off + 20);
    const start = off + 24;
    if (start + dataSize > this.length) {
      throw new EvtxFormatError(
        'evtx.binxml_template',
        `template definition at ${off} (${dataSize} bytes) passes the chunk end`,
      );
    }
    const nodes = this.parseDocument({ pos: start, end: start + dataSize }, true, depth);
    this.templates.set(off, nodes);
    return nodes;
  }

  // ---- resolution ----

  private spend(): void {
    if (--this.budget < 0) {
      throw new EvtxFormatError('evtx.binxml_size', `record expands to more than ${MAX_NODES} nodes`);
    }
  }

  private resolveList(nodes: readonly PNode[], values: Int32Array | null, depth: number, out: XNode[]): void {
    for (const n of nodes) {
      this.spend();
      switch (n.k) {
        case Kind.Text:
          out.push(n.text);
          break;
        case Kind.Element:
          this.resolveElement(n, values, depth, out);
          break;
        case Kind.Subst:
          this.resolveSubst(n, values, depth, out);
          break;
        case Kind.Instance:
          if (depth > MAX_DEPTH)
            throw new EvtxFormatError('evtx.binxml_depth', `template nesting deeper than ${MAX_DEPTH}`);
          this.resolveList(n.template, n.values, depth + 1, out);
          break;
        case Kind.Pi:
          out.push({ pi: n.target, data: n.data });
          break;
      }
    }
  }

  private valueType(values: Int32Array | null, index: number): number {
    if (values === null || index * 3 >= values.length) return ValueType.Null;
    return values[index * 3]!;
  }

  private resolveElement(n: PElement, values: Int32Array | null, depth: number, out: XNode[]): void {
    // An element whose content is an array substitution is emitted once per item (Windows: one <Data> per
    // insertion string); an optional substitution that is null (or an empty array) drops the element.
    let arrayItemsOf: string[] | undefined;
    let arrayIndex = -1;
    if (values !== null) {
      for (const child of n.children) {
        if (child.k !== Kind.Subst) continue;
        const type = this.valueType(values, child.index);
        if (type === ValueType.Null) {
          // [MS-EVEN6]: a null optional substitution removes its element, when it is the element's content
          // (<Binary>%n</Binary>); an element holding other children too (<Event> with an optional
          // EventData slot) stays.
          if (child.optional && n.children.length === 1) return;
          continue;
        }
        if (type & ValueType.ArrayFlag && arrayIndex === -1) {
          const i = child.index * 3;
          const items = arrayItems(type, this.buf, values[i + 1]!, values[i + 1]! + values[i + 2]!);
          if (items.length === 0 && child.optional) return;
          arrayItemsOf = items;
          arrayIndex = child.index;
        }
      }
    }
    const attrs = this.resolveAttrs(n.attrs, values);
    if (arrayItemsOf === undefined) {
      const children: XNode[] = [];
      this.resolveList(n.children, values, depth + 1, children);
      out.push({ name: n.name, attrs, children });
      return;
    }
    for (const item of arrayItemsOf) {
      this.spend();
      const children: XNode[] = [];
      for (const child of n.children) {
        if (child.k === Kind.Subst && child.index === arrayIndex) children.push(item);
        else this.resolveList([child], values, depth + 1, children);
      }
      out.push({ name: n.name, attrs, children });
    }
  }

  private resolveAttrs(attrs: readonly PAttr[], values: Int32Array | null): XAttr[] {
    const out: XAttr[] = [];
    outer: for (const a of attrs) {
      let value = '';
      for (const p of a.parts) {
        if (p.k === Kind.Text) {
          value += p.text;
        } else if (p.k === Kind.Subst) {
          const type = this.valueType(values, p.index);
          if (type === ValueType.Null) {
            if (p.optional) continue outer;
            continue;
          }
          value += this.valueText(values!, p.index, type);
        }
      }
      out.push({ name: a.name, value });
    }
    return out;
  }

  private resolveSubst(n: PSubst, values: Int32Array | null, depth: number, out: XNode[]): void {
    const type = this.valueType(values, n.index);
    if (type === ValueType.Null) return;
    const i = n.index * 3;
    const off = values![i + 1]!;
    const size = values![i + 2]!;
    if (type === ValueType.BinXml) {
      if (depth > MAX_DEPTH)
        throw new EvtxFormatError('evtx.binxml_depth', `embedded BinXml deeper than ${MAX_DEPTH}`);
      const nodes = this.parseDocument({ pos: off, end: off + size }, false, depth + 1);
      this.resolveList(nodes, null, depth + 1, out);
      return;
    }
    out.push(this.valueText(values!, n.index, type));
  }

  /** A value as text; arrays outside element content are joined with ',' (as the Rust crate does). */
  private valueText(values: Int32Array, index: number, type: number): string {
    const off = values[index * 3 + 1]!;
    const end = off + values[index * 3 + 2]!;
    if (type === ValueType.String) return utf16(this.buf, off, end);
    if (type & ValueType.ArrayFlag) return arrayItems(type, this.buf, off, end).join(',');
    if (type === ValueType.BinXml) return '';
    return scalar(type, this.buf, off, end);
  }
}
