// Windows event export forms, one FormatDefinition each, all producing WindowsEvent and sharing one
// normalizer (normalizeWindowsEvent) so an event reads the same in every form:
//   wevtutil-xml      `wevtutil qe LOG /f:xml` or `/f:RenderedXml`: one <Event> per line, no root
//   eventviewer-xml   Event Viewer "Save ... as XML": <?xml?> + <Events> root, RenderingInfo per event
//   eventviewer-csv   Event Viewer "Save ... as CSV": 5 named columns + the unnamed message column
//   eventviewer-txt   Event Viewer "Save ... as Text": the same columns, TAB separated
//   powershell-csv    Get-WinEvent (or Get-EventLog) | Export-Csv (with or without the #TYPE line)
//   powershell-json   Get-WinEvent (or Get-EventLog) | ConvertTo-Json (5.1 \/Date(ms)\/ or PS7 ISO; array or one per line)
//   eventviewer-details  Event Viewer "Copy details as text" (KB articles' form), the whole file at once
// detect() rates a file's first bytes (BOM removed) on the same 0..1 scale as the other formats.

import type { FileContext, FormatDefinition } from '../../pipeline/stages.types.js';
import { parseEventXml } from '../../parsers/windows-event/event-xml-parser.js';
import {
  EventViewerDetailsParser,
  type DetailsBlock,
} from '../../parsers/windows-event/eventviewer-details-parser.js';
import { EventViewerTableParser } from '../../parsers/windows-event/eventviewer-table-parser.js';
import { PowerShellCsvParser, PowerShellJsonParser } from '../../parsers/windows-event/powershell-parser.js';
import type { WindowsEvent, WindowsEventForm } from '../../parsers/windows-event/windows-event.types.js';
import { normalizeWindowsEvent } from '../windows-event/windows-event-normalize.js';

const EVENT_NS = 'http://schemas.microsoft.com/win/2004/08/events/event';

function firstLine(head: string): string {
  const nl = head.search(/\r?\n/);
  return (nl < 0 ? head : head.slice(0, nl)).replace(/^\uFEFF/, '');
}

function xmlFormat(
  name: 'wevtutil-xml' | 'eventviewer-xml',
  description: string,
  detect: (head: string, fileName: string) => number,
): FormatDefinition<WindowsEvent> {
  const form: WindowsEventForm = name;
  return {
    name,
    description,
    framing: 'xml-events',
    detect,
    createParser: () => ({
      parse: (record) => parseEventXml(record.text, form, name),
      snapshot: () => null,
      restore: () => undefined,
    }),
    normalize: normalizeWindowsEvent,
  };
}

export const wevtutilXmlFormat = xmlFormat(
  'wevtutil-xml',
  'wevtutil qe /f:xml (or /f:RenderedXml) output: one <Event> element per line, no root element',
  (head) => {
    const h = head.replace(/^\uFEFF/, '').trimStart();
    if (/^<Event[\s>]/.test(h)) return h.slice(0, 200).includes(EVENT_NS) ? 0.95 : 0.7;
    // PowerShell `.ToXml()` or a single saved event may carry a declaration but still no <Events> root.
    if (/^<\?xml[^>]*\?>\s*<Event[\s>]/.test(h)) return 0.8;
    return 0;
  },
);

export const eventViewerXmlFormat = xmlFormat(
  'eventviewer-xml',
  'Event Viewer "Save as XML": <Events> root with one <Event> (and RenderingInfo) per event',
  (head) => {
    const h = head.replace(/^\uFEFF/, '').trimStart();
    if (/^(?:<\?xml[^>]*\?>\s*)?<Events>\s*(?:<Event[\s>]|$)/.test(h)) return 0.95;
    return 0;
  },
);

const EV_HEADER_CSV = /^(?:Level|Keywords),Date and Time,Source,Event ID,Task Category\s*$/;
const EV_HEADER_TXT = /^(?:Level|Keywords)\tDate and Time\tSource\tEvent ID\tTask Category\s*$/;

function eventViewerTable(
  name: 'eventviewer-csv' | 'eventviewer-txt',
  delimiter: ',' | '\t',
): FormatDefinition<WindowsEvent> {
  const header = delimiter === ',' ? EV_HEADER_CSV : EV_HEADER_TXT;
  // A localised header: 5 delimiter-separated words, and a first row whose second field starts with a date.
  const sep = delimiter === ',' ? ',' : '\\t';
  const rowStart = new RegExp(`^[^${sep}"]+${sep}\\d{1,4}[./-]\\d{1,2}[./-]\\d{1,4}[ ,]`);
  return {
    name,
    description:
      delimiter === ','
        ? 'Event Viewer "Save as CSV": Level, Date and Time, Source, Event ID, Task Category + message'
        : 'Event Viewer "Save as Text": the CSV columns separated by TAB',
    framing: 'csv-rows',
    detect(head: string, fileName: string): number {
      const first = firstLine(head);
      if (header.test(first)) return 0.95;
      const lines = head.replace(/^\uFEFF/, '').split(/\r?\n/);
      if (first.split(delimiter).length === 5 && !first.includes('"') && rowStart.test(lines[1] ?? '')) {
        return /\.(csv|txt)$/i.test(fileName) ? 0.6 : 0.5;
      }
      return 0;
    },
    createParser: (ctx: FileContext) => new EventViewerTableParser(name, name, delimiter, ctx),
    normalize: normalizeWindowsEvent,
  };
}

export const eventViewerCsvFormat = eventViewerTable('eventviewer-csv', ',');
export const eventViewerTxtFormat = eventViewerTable('eventviewer-txt', '\t');

export const powerShellCsvFormat: FormatDefinition<WindowsEvent> = {
  name: 'powershell-csv',
  description: 'Get-WinEvent | Export-Csv (Windows PowerShell 5.1 with #TYPE line, or PowerShell 7)',
  framing: 'csv-rows',
  detect(head: string): number {
    const first = firstLine(head);
    if (/^#TYPE System\.Diagnostics\.(?:Eventing\.Reader\.EventLogRecord|EventLogEntry)\s*$/.test(first)) {
      return 0.95;
    }
    const header = first.startsWith('#TYPE') ? (head.split(/\r?\n/)[1] ?? '') : first;
    const names = /^"[^"]*"(?:,"[^"]*")+\s*$/.test(header) ? header.split(',') : [];
    const has = (n: string): boolean => names.some((x) => x.trim() === `"${n}"`);
    if (has('Id') && has('ProviderName') && has('TimeCreated')) return 0.9;
    if (has('EventID') && has('Source') && has('TimeGenerated')) return 0.9; // Get-EventLog
    return 0;
  },
  createParser: (ctx: FileContext) => new PowerShellCsvParser('powershell-csv', ctx),
  normalize: normalizeWindowsEvent,
};

export const powerShellJsonFormat: FormatDefinition<WindowsEvent> = {
  name: 'powershell-json',
  description: 'Get-WinEvent | ConvertTo-Json (array or one object per line; 5.1 or 7 date forms)',
  framing: 'json',
  detect(head: string): number {
    const h = head.replace(/^\uFEFF/, '').trimStart();
    if (!h.startsWith('[') && !h.startsWith('{')) return 0;
    const probe = h.slice(0, 64 * 1024);
    if (/"ProviderName"\s*:/.test(probe) && /"TimeCreated"\s*:/.test(probe)) return 0.9;
    if (/"Source"\s*:/.test(probe) && /"TimeGenerated"\s*:/.test(probe) && /"EventID"\s*:/.test(probe))
      return 0.9;
    return 0;
  },
  createParser: (ctx: FileContext) => new PowerShellJsonParser('powershell-json', ctx),
  normalize: normalizeWindowsEvent,
};

export const eventViewerDetailsFormat: FormatDefinition<DetailsBlock[]> = {
  name: 'eventviewer-details',
  description: 'Event Viewer "Copy details as text" (Log Name:, Source:, ... Description:), whole file',
  framing: 'whole-file',
  detect(head: string): number {
    const h = head.replace(/^\uFEFF/, '').trimStart();
    if (/^Log Name:[ \t]*\S/.test(h) && /^Source:/m.test(h) && /^Event ID:/m.test(h)) return 0.9;
    return 0;
  },
  createParser: (ctx: FileContext) => new EventViewerDetailsParser('eventviewer-details', ctx),
  // Each event's own block is its `event.original`; log.offset stays the file's (the record is the file).
  normalize: (blocks, record, ctx) =>
    blocks.flatMap((b) => normalizeWindowsEvent(b.event, { ...record, text: b.text }, ctx)),
};

/** Every Windows event export form, for the format registry and `format: auto`. */
export const windowsFormats: FormatDefinition[] = [
  wevtutilXmlFormat,
  eventViewerXmlFormat,
  eventViewerCsvFormat,
  eventViewerTxtFormat,
  powerShellCsvFormat,
  powerShellJsonFormat,
  eventViewerDetailsFormat,
] as FormatDefinition[];
