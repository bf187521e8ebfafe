// One `<Event>` element (wevtutil `qe /f:xml` or `/f:RenderedXml`, Event Viewer "Save as XML", PowerShell
// `.ToXml()`) → WindowsEvent. The framer hands over exactly one element per record.
//
// Safety: XML from a file is untrusted. saxes never expands DTD entities (an undefined entity is an error),
// and we refuse any DOCTYPE outright because Windows never writes one, so an entity bomb fails in O(length)
// time and memory. The record text is bounded (a 10 MB element is refused before parsing), as are nesting
// depth and the number of `<Data>` items. Every problem is returned as a ParseFailure, never thrown.

import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { ParseResult } from '../../pipeline/stages.types.js';
import { checkRecordText } from './record-checks.js';
import type { WindowsEvent, WindowsEventData, WindowsEventForm } from './windows-event.types.js';

export interface EventXmlLimits {
  /** Longest record text accepted (characters). */
  readonly maxChars: number;
  readonly maxDepth: number;
  readonly maxDataItems: number;
}

export const DEFAULT_EVENT_XML_LIMITS: EventXmlLimits = {
  maxChars: 1024 * 1024,
  maxDepth: 32,
  maxDataItems: 4096,
};

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z$/;

class Stop extends Error {
  constructor(
    readonly reason: string,
    readonly code: string,
  ) {
    super(reason);
  }
}

interface Collected {
  provider?: { name: string; guid?: string; eventSourceName?: string };
  eventId?: string;
  qualifiers?: string;
  version?: string;
  level?: string;
  task?: string;
  opcode?: string;
  keywords?: string;
  timeCreated?: string;
  recordId?: string;
  activityId?: string;
  relatedActivityId?: string;
  processId?: string;
  threadId?: string;
  channel?: string;
  computer?: string;
  userId?: string;
  eventData: WindowsEventData[];
  binary?: string;
  userData?: Record<string, string>;
  userDataRoot?: string;
  rendering: {
    message?: string;
    level?: string;
    task?: string;
    opcode?: string;
    channel?: string;
    provider?: string;
    keywords?: string[];
  };
  hasRendering: boolean;
}

function localName(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

function optInt(text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^\d{1,10}$/.test(t)) return undefined;
  const n = Number(t);
  return n >= min && n <= max ? n : undefined;
}

/** Parse one event element. `formatName` prefixes failure codes (`wevtutil-xml.malformed`). */
export function parseEventXml(
  text: string,
  form: WindowsEventForm,
  formatName: string = form,
  limits: EventXmlLimits = DEFAULT_EVENT_XML_LIMITS,
): ParseResult<WindowsEvent> {
  const fail = (code: string, reason: string): ParseResult<WindowsEvent> => ({
    kind: 'failure',
    code: `${formatName}.${code}`,
    reason,
  });
  const bad = checkRecordText(text, formatName, limits.maxChars);
  if (bad) return bad;
  if (!/\S/.test(text)) return { kind: 'skip' };

  const c: Collected = { eventData: [], rendering: {}, hasRendering: false };
  // Element path below the Event element: path[0] = 'System' | 'EventData' | ...
  const path: string[] = [];
  let eventDepth = -1; // depth of the <Event> element in the stack (0, or 1 under a stray <Events> root)
  let depth = 0;
  let seenEvent = false;
  let textBuf = '';
  const textStack: string[] = [];
  let currentDataName: string | undefined;
  let userDataLeafHasChild: boolean[] = [];

  const parser = new SaxesParser<{ xmlns: false; position: false }>({ xmlns: false, position: false });
  parser.on('doctype', () => {
    throw new Stop(
      'a DOCTYPE is not allowed in an event (entity declarations are never expanded)',
      'doctype',
    );
  });
  parser.on('processinginstruction', () => undefined);
  parser.on('opentag', (tag: SaxesTagPlain) => {
    depth++;
    if (depth > limits.maxDepth) throw new Stop(`elements nested deeper than ${limits.maxDepth}`, 'too_deep');
    const name = localName(tag.name);
    textStack.push(textBuf);
    textBuf = '';
    if (eventDepth < 0) {
      if (name === 'Event') {
        if (seenEvent) throw new Stop('more than one <Event> in one record', 'not_event');
        seenEvent = true;
        eventDepth = depth;
      } else if (!(depth === 1 && name === 'Events')) {
        throw new Stop(`root element is <${tag.name}>, expected <Event>`, 'not_event');
      }
      return;
    }
    path.push(name);
    const a = tag.attributes;
    const section = path[0];
    if (section === 'System' && path.length === 2) {
      switch (name) {
        case 'Provider':
          c.provider = {
            name: a['Name'] ?? '',
            ...(a['Guid'] ? { guid: a['Guid'] } : {}),
            ...(a['EventSourceName'] ? { eventSourceName: a['EventSourceName'] } : {}),
          };
          break;
        case 'EventID':
          if (a['Qualifiers'] !== undefined) c.qualifiers = a['Qualifiers'];
          break;
        case 'TimeCreated':
          c.timeCreated = a['SystemTime'];
          break;
        case 'Correlation':
          if (a['ActivityID']) c.activityId = a['ActivityID'];
          if (a['RelatedActivityID']) c.relatedActivityId = a['RelatedActivityID'];
          break;
        case 'Execution':
          c.processId = a['ProcessID'];
          c.threadId = a['ThreadID'];
          break;
        case 'Security':
          if (a['UserID']) c.userId = a['UserID'];
          break;
        default:
          break;
      }
    } else if (section === 'EventData' && path.length === 2 && name === 'Data') {
      currentDataName = a['Name'];
    } else if (section === 'UserData') {
      if (path.length === 2) {
        c.userDataRoot = name;
        // No prototype: element names such as `constructor` or `__proto__` are plain keys here.
        c.userData = Object.create(null) as Record<string, string>;
      }
      if (userDataLeafHasChild.length > 0) userDataLeafHasChild[userDataLeafHasChild.length - 1] = true;
      userDataLeafHasChild.push(false);
    } else if (section === 'RenderingInfo') {
      c.hasRendering = true;
    }
  });
  const onText = (t: string): void => {
    if (eventDepth < 0) {
      if (t.trim().length > 0) throw new Stop('text outside the <Event> element', 'malformed');
      return;
    }
    textBuf += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    const value = textBuf;
    textBuf = textStack.pop() ?? '';
    const closedDepth = depth--;
    if (eventDepth < 0) return;
    if (closedDepth === eventDepth) {
      eventDepth = -1;
      return;
    }
    const name = path[path.length - 1];
    const section = path[0];
    if (section === 'System' && path.length === 2) {
      switch (name) {
        case 'EventID':
          c.eventId = value;
          break;
        case 'Version':
          c.version = value;
          break;
        case 'Level':
          c.level = value;
          break;
        case 'Task':
          c.task = value;
          break;
        case 'Opcode':
          c.opcode = value;
          break;
        case 'Keywords':
          c.keywords = value;
          break;
        case 'EventRecordID':
          c.recordId = value;
          break;
        case 'Channel':
          c.channel = value;
          break;
        case 'Computer':
          c.computer = value;
          break;
        default:
          break;
      }
    } else if (section === 'EventData' && path.length === 2) {
      if (name === 'Data') {
        if (c.eventData.length >= limits.maxDataItems) {
          throw new Stop(`more than ${limits.maxDataItems} <Data> items`, 'too_large');
        }
        c.eventData.push(currentDataName !== undefined ? { name: currentDataName, value } : { value });
        currentDataName = undefined;
      } else if (name === 'Binary') {
        c.binary = value.trim();
      }
    } else if (section === 'UserData' && path.length >= 2) {
      const hadChild = userDataLeafHasChild.pop() ?? false;
      if (!hadChild && path.length >= 3 && c.userData && name !== undefined) {
        // Repeated leaves (RestartManager's <Application> list) keep every value: name, name_2, name_3...
        // the same keys the EVTX reader uses, so both forms give the same winlog.user_data.
        let key = name;
        for (let k = 2; Object.hasOwn(c.userData, key); k++) key = `${name}_${k}`;
        c.userData[key] = value;
      }
    } else if (section === 'RenderingInfo' && path.length >= 2) {
      if (path.length === 2) {
        switch (name) {
          case 'Message':
            c.rendering.message = value;
            break;
          case 'Level':
            if (value) c.rendering.level = value;
            break;
          case 'Task':
            if (value) c.rendering.task = value;
            break;
          case 'Opcode':
            if (value) c.rendering.opcode = value;
            break;
          case 'Channel':
            if (value) c.rendering.channel = value;
            break;
          case 'Provider':
            if (value) c.rendering.provider = value;
            break;
          default:
            break;
        }
      } else if (path.length === 3 && path[1] === 'Keywords' && name === 'Keyword' && value) {
        (c.rendering.keywords ??= []).push(value);
      }
    }
    path.pop();
  });

  try {
    parser.write(text).close();
  } catch (err) {
    if (err instanceof Stop) return fail(err.code, err.reason);
    const msg = err instanceof Error ? err.message : String(err);
    // saxes messages start with "undefined:line:col: " when no file name is set.
    return fail('malformed', `malformed XML: ${msg.replace(/^undefined:/, '').slice(0, 200)}`);
  } finally {
    userDataLeafHasChild = [];
  }
  if (!seenEvent) return fail('not_event', 'no <Event> element in the record');
  return toEvent(c, form, text, fail);
}

function toEvent(
  c: Collected,
  form: WindowsEventForm,
  xml: string,
  fail: (code: string, reason: string) => ParseResult<WindowsEvent>,
): ParseResult<WindowsEvent> {
  if (!c.provider || c.provider.name === '') return fail('missing_field', 'the event has no <Provider Name>');
  const eventId = optInt(c.eventId, 0, 65535);
  if (eventId === undefined) {
    return fail('bad_value', `<EventID> is '${(c.eventId ?? '').slice(0, 40)}', expected 0..65535`);
  }
  if (c.timeCreated === undefined) return fail('missing_field', 'the event has no <TimeCreated SystemTime>');
  let timeCreated = c.timeCreated.trim();
  if (!ISO_UTC.test(timeCreated)) {
    const ms = Date.parse(timeCreated);
    if (Number.isNaN(ms) || !/^\d{4}-/.test(timeCreated)) {
      return fail('bad_value', `<TimeCreated SystemTime> is '${timeCreated.slice(0, 40)}', not a time`);
    }
    timeCreated = new Date(ms).toISOString();
  }
  // Built by assignment rather than object spreads: this runs once per event on the hot path. The key order
  // is fixed so every event object shares one hidden class shape per set of present fields.
  const ev: Mutable<WindowsEvent> = {
    form,
    provider: c.provider,
    eventId,
    timeCreated,
    eventData: c.eventData,
  };
  const qualifiers = optInt(c.qualifiers, 0, 65535);
  if (qualifiers !== undefined) ev.qualifiers = qualifiers;
  const version = optInt(c.version, 0, 255);
  if (version !== undefined) ev.version = version;
  const level = optInt(c.level, 0, 255);
  if (level !== undefined) ev.level = level;
  const task = optInt(c.task, 0, 65535);
  if (task !== undefined) ev.task = task;
  const opcode = optInt(c.opcode, 0, 255);
  if (opcode !== undefined) ev.opcode = opcode;
  const keywords = c.keywords?.trim();
  if (keywords) ev.keywords = keywords;
  const recordId = c.recordId?.trim();
  if (recordId && /^\d{1,20}$/.test(recordId)) ev.recordId = recordId;
  if (c.activityId) ev.activityId = c.activityId;
  if (c.relatedActivityId) ev.relatedActivityId = c.relatedActivityId;
  const processId = optInt(c.processId, 0, 0xffffffff);
  if (processId !== undefined) ev.processId = processId;
  const threadId = optInt(c.threadId, 0, 0xffffffff);
  if (threadId !== undefined) ev.threadId = threadId;
  if (c.channel) ev.channel = c.channel;
  if (c.computer) ev.computer = c.computer;
  if (c.userId) ev.userId = c.userId;
  if (c.userData) ev.userData = c.userData;
  if (c.userDataRoot) ev.userDataRoot = c.userDataRoot;
  if (c.binary) ev.binary = c.binary;
  if (c.hasRendering) ev.rendering = c.rendering;
  ev.xml = xml;
  return { kind: 'event', event: ev };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
