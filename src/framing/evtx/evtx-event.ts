// Maps a resolved EVTX event tree (<Event><System/><EventData/>|<UserData/></Event>) onto the shared
// WindowsEvent model, and renders the tree as XML text in the compact form of Windows' own export
// (single-quoted attributes, no indentation) for `event.original`.

import type { WindowsEvent, WindowsEventData } from '../../parsers/windows-event/windows-event.types.js';
import { EvtxFormatError } from './evtx-errors.js';
import { isElement } from './evtx-binxml.js';
import type { XElement, XNode } from './evtx-binxml.js';

/** Concatenated text content of an element (descendant text included, as XPath string() does). */
export function textOf(e: XElement): string {
  const c = e.children;
  if (c.length === 1 && typeof c[0] === 'string') return c[0];
  let s = '';
  for (const n of c) {
    if (typeof n === 'string') s += n;
    else if (isElement(n)) s += textOf(n);
  }
  return s;
}

function attr(e: XElement, name: string): string | undefined {
  for (const a of e.attrs) if (a.name === name) return a.value;
  return undefined;
}

function num(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  const t = s.trim();
  const n = t.startsWith('0x') || t.startsWith('0X') ? parseInt(t.slice(2), 16) : Number(t);
  return Number.isFinite(n) ? n : undefined;
}

export function findEvent(nodes: readonly XNode[]): XElement | undefined {
  for (const n of nodes) if (isElement(n) && n.name === 'Event') return n;
  return undefined;
}

function put(out: Record<string, string>, name: string, value: string): void {
  let key = name;
  for (let i = 2; key in out; i++) key = `${name}_${i}`;
  out[key] = value;
}

/** Leaf elements by name → text; attributes by their own name (CAPI2 `<EventAuxInfo ProcessName='...'/>`). */
function flattenUserData(e: XElement, out: Record<string, string>): void {
  for (const c of e.children) {
    if (!isElement(c)) continue;
    for (const a of c.attrs) if (a.name !== 'xmlns') put(out, a.name, a.value);
    if (c.children.some(isElement)) flattenUserData(c, out);
    else if (c.attrs.length === 0 || c.children.length > 0) put(out, c.name, textOf(c));
  }
}

/**
 * Build the WindowsEvent for one record. `headerRecordId` and `headerTime` come from the record header and fill
 * in when the XML lacks them (never the case for Windows-written events, possible in forwarded ones).
 */
export function toWindowsEvent(
  nodes: readonly XNode[],
  headerRecordId: string,
  headerTime: string,
  renderXml: boolean,
): WindowsEvent {
  const event = findEvent(nodes);
  if (event === undefined) throw new EvtxFormatError('evtx.no_event', 'record has no <Event> element');
  let providerName = '';
  let providerGuid: string | undefined;
  let eventSourceName: string | undefined;
  let eventId: number | undefined;
  let qualifiers: number | undefined;
  let version: number | undefined;
  let level: number | undefined;
  let task: number | undefined;
  let opcode: number | undefined;
  let keywords: string | undefined;
  let timeCreated: string | undefined;
  let recordId: string | undefined;
  let activityId: string | undefined;
  let relatedActivityId: string | undefined;
  let processId: number | undefined;
  let threadId: number | undefined;
  let channel: string | undefined;
  let computer: string | undefined;
  let userId: string | undefined;
  const eventData: WindowsEventData[] = [];
  let userData: Record<string, string> | undefined;
  let userDataRoot: string | undefined;
  let binary: string | undefined;

  for (const section of event.children) {
    if (!isElement(section)) continue;
    if (section.name === 'System') {
      for (const f of section.children) {
        if (!isElement(f)) continue;
        switch (f.name) {
          case 'Provider':
            providerName = attr(f, 'Name') ?? '';
            providerGuid = attr(f, 'Guid') || undefined;
            eventSourceName = attr(f, 'EventSourceName') || undefined;
            break;
          case 'EventID':
            eventId = num(textOf(f));
            qualifiers = num(attr(f, 'Qualifiers'));
            break;
          case 'Version':
            version = num(textOf(f));
            break;
          case 'Level':
            level = num(textOf(f));
            break;
          case 'Task':
            task = num(textOf(f));
            break;
          case 'Opcode':
            opcode = num(textOf(f));
            break;
          case 'Keywords':
            keywords = textOf(f) || undefined;
            break;
          case 'TimeCreated':
            timeCreated = attr(f, 'SystemTime') || undefined;
            break;
          case 'EventRecordID':
            recordId = textOf(f) || undefined;
            break;
          case 'Correlation':
            activityId = attr(f, 'ActivityID') || undefined;
            relatedActivityId = attr(f, 'RelatedActivityID') || undefined;
            break;
          case 'Execution':
            processId = num(attr(f, 'ProcessID'));
            threadId = num(attr(f, 'ThreadID'));
            break;
          case 'Channel':
            channel = textOf(f);
            break;
          case 'Computer':
            computer = textOf(f);
            break;
          case 'Security':
            userId = attr(f, 'UserID') || undefined;
            break;
        }
      }
    } else if (section.name === 'EventData') {
      for (const d of section.children) {
        if (!isElement(d)) continue;
        if (d.name === 'Data') {
          const name = attr(d, 'Name');
          eventData.push(name === undefined ? { value: textOf(d) } : { name, value: textOf(d) });
        } else if (d.name === 'Binary') {
          binary = textOf(d) || undefined;
        }
      }
    } else if (section.name === 'UserData') {
      const root = section.children.find(isElement);
      if (root !== undefined) {
        userDataRoot = root.name;
        userData = {};
        flattenUserData(root, userData);
      }
    }
  }

  const out: {
    -readonly [K in keyof WindowsEvent]: WindowsEvent[K];
  } = {
    form: 'evtx',
    provider: {
      name: providerName,
      ...(providerGuid !== undefined && { guid: providerGuid }),
      ...(eventSourceName !== undefined && { eventSourceName }),
    },
    eventId: eventId ?? 0,
    timeCreated: timeCreated ?? headerTime,
    recordId: recordId ?? headerRecordId,
    eventData,
  };
  if (qualifiers !== undefined) out.qualifiers = qualifiers;
  if (version !== undefined) out.version = version;
  if (level !== undefined) out.level = level;
  if (task !== undefined) out.task = task;
  if (opcode !== undefined) out.opcode = opcode;
  if (keywords !== undefined) out.keywords = keywords;
  if (activityId !== undefined) out.activityId = activityId;
  if (relatedActivityId !== undefined) out.relatedActivityId = relatedActivityId;
  if (processId !== undefined) out.processId = processId;
  if (threadId !== undefined) out.threadId = threadId;
  if (channel !== undefined) out.channel = channel;
  if (computer !== undefined) out.computer = computer;
  if (userId !== undefined) out.userId = userId;
  if (userData !== undefined) out.userData = userData;
  if (userDataRoot !== undefined) out.userDataRoot = userDataRoot;
  if (binary !== undefined) out.binary = binary;
  if (renderXml) out.xml = renderXmlText(nodes);
  return out;
}

// ---- XML rendering ----

const TEXT_ESCAPE = /[&<>]/g;
const ATTR_ESCAPE = /[&<>']/g;
// Separate non-global patterns for the test: a /g regex keeps lastIndex between test() calls.
const TEXT_NEEDS = /[&<>]/;
const ATTR_NEEDS = /[&<>']/;
const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;' };
const escapeChar = (ch: string): string => ESCAPES[ch]!;

function escapeText(s: string): string {
  return TEXT_NEEDS.test(s) ? s.replace(TEXT_ESCAPE, escapeChar) : s;
}
function escapeAttr(s: string): string {
  return ATTR_NEEDS.test(s) ? s.replace(ATTR_ESCAPE, escapeChar) : s;
}

function renderNode(n: XNode, parts: string[]): void {
  if (typeof n === 'string') {
    parts.push(escapeText(n));
    return;
  }
  if (!isElement(n)) {
    parts.push(`<?${n.pi}${n.data === '' ? '' : ' ' + n.data}?>`);
    return;
  }
  let open = '<' + n.name;
  for (const a of n.attrs) open += ` ${a.name}='${escapeAttr(a.value)}'`;
  if (n.children.length === 0) {
    parts.push(open + '/>');
    return;
  }
  parts.push(open + '>');
  for (const c of n.children) renderNode(c, parts);
  parts.push(`</${n.name}>`);
}

/** The record as compact XML (every top-level fragment, processing instructions included). */
export function renderXmlText(nodes: readonly XNode[]): string {
  const parts: string[] = [];
  for (const n of nodes) renderNode(n, parts);
  return parts.join('');
}
