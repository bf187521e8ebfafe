// Event Viewer "Copy > Copy details as text" (what KB articles and forum posts paste, and what
// ../shared/corpus/exchange/event4999-text-examples.txt holds): per event a `Log Name:` ... `Computer:`
// header, `Description:` and the message, optionally followed by `Event Xml:` and the event's XML.
// Framed as one whole file; every block starting at a `Log Name:` line is one event. When the XML is there
// it is authoritative (UTC time, insertion strings); otherwise the header's local `Date:` is converted with
// the configured zone and the 4999 parameters come from the message. The file is all-or-nothing: a block
// that cannot be read fails the record with its block number rather than losing it silently.

import type { SourceRecord } from '../../pipeline/record.types.js';
import type { FileContext, ParseResult, RecordParser } from '../../pipeline/stages.types.js';
import { parseEventXml } from './event-xml-parser.js';
import { localToUtcMs, readLocalTime } from './local-time.js';
import { checkRecordText, failure } from './record-checks.js';
import { levelFromName } from './windows-meta.js';
import type { WindowsEvent } from './windows-event.types.js';

/** Whole-file records may hold many events; the bound is larger than for one event. */
export const MAX_DETAILS_FILE_CHARS = 16 * 1024 * 1024;
const MAX_EVENTS_PER_FILE = 100_000;

const HEADER_LINE =
  /^(Log Name|Source|Date|Event ID|Task Category|Level|Keywords|User|Computer|OpCode):[ \t]*(.*)$/;

type BlockResult = { event: WindowsEvent } | { error: string };

/** One event of a details copy, with its own text (for `event.original`: never the whole file per event). */
export interface DetailsBlock {
  readonly event: WindowsEvent;
  readonly text: string;
}

export class EventViewerDetailsParser implements RecordParser<DetailsBlock[]> {
  constructor(
    private readonly formatName: string,
    private readonly ctx: FileContext,
  ) {}

  snapshot(): unknown {
    return null;
  }

  restore(): void {}

  parse(record: SourceRecord): ParseResult<DetailsBlock[]> {
    const text = record.text.replace(/^\uFEFF/, '');
    const bad = checkRecordText(text, this.formatName, MAX_DETAILS_FILE_CHARS);
    if (bad) return bad;
    const lines = text.split(/\r?\n/);
    const starts: number[] = [];
    lines.forEach((l, i) => {
      if (/^Log Name:/.test(l)) starts.push(i);
    });
    if (starts.length === 0) {
      if (!/\S/.test(text)) return { kind: 'skip' };
      return failure(this.formatName, 'no_event', 'no "Log Name:" line: not an Event Viewer details copy');
    }
    if (starts.length > MAX_EVENTS_PER_FILE) {
      return failure(this.formatName, 'too_large', `more than ${MAX_EVENTS_PER_FILE} events in one file`);
    }
    const events: DetailsBlock[] = [];
    for (let b = 0; b < starts.length; b++) {
      const block = lines.slice(starts[b], b + 1 < starts.length ? starts[b + 1] : lines.length);
      const r = this.block(block);
      if ('error' in r) {
        return failure(this.formatName, 'bad_block', `event ${b + 1} (line ${starts[b]! + 1}): ${r.error}`);
      }
      events.push({ event: r.event, text: block.join('\r\n').replace(/\s+$/, '') });
    }
    return { kind: 'event', event: events };
  }

  private block(lines: string[]): BlockResult {
    const h: Record<string, string> = {};
    let i = 0;
    for (; i < lines.length; i++) {
      const line = lines[i]!;
      if (/^Description:/.test(line)) break;
      const m = HEADER_LINE.exec(line);
      if (m) h[m[1]!] = m[2]!.trim();
    }
    // The message runs from after `Description:` to `Event Xml:` (or the block's end).
    const rest = lines.slice(i + 1);
    const xmlAt = rest.findIndex((l) => /^Event Xml:\s*$/.test(l));
    const messageLines = xmlAt >= 0 ? rest.slice(0, xmlAt) : rest;
    const message = messageLines.join('\r\n').replace(/\s+$/, '');
    const rendering = {
      ...(message ? { message } : {}),
      ...(h['Level'] ? { level: h['Level'] } : {}),
      ...(h['Task Category'] ? { task: h['Task Category'] } : {}),
      ...(h['OpCode'] ? { opcode: h['OpCode'] } : {}),
      ...(h['Keywords']
        ? {
            keywords: h['Keywords']
              .split(',')
              .map((k) => k.trim())
              .filter(Boolean),
          }
        : {}),
    };

    if (xmlAt >= 0) {
      const xml = rest
        .slice(xmlAt + 1)
        .join('\n')
        .trim();
      const parsed = parseEventXml(xml, 'eventviewer-details', this.formatName);
      if (parsed.kind !== 'event') {
        return { error: parsed.kind === 'failure' ? parsed.reason : 'the Event Xml section is empty' };
      }
      return { event: { ...parsed.event, rendering: { ...rendering, ...parsed.event.rendering } } };
    }

    const source = h['Source'];
    if (!source) return { error: 'no Source: line' };
    const idText = h['Event ID'] ?? '';
    if (!/^\d{1,5}$/.test(idText) || Number(idText) > 65535) {
      return { error: `Event ID '${idText.slice(0, 40)}' is not 0..65535` };
    }
    const local = readLocalTime(h['Date'] ?? '');
    if (!local)
      return { error: `Date '${(h['Date'] ?? '').slice(0, 60)}' is not a date and time this reads` };
    const utc = localToUtcMs(local, this.ctx.timezone);
    if (utc === undefined) return { error: `time zone '${this.ctx.timezone}' is unknown` };
    const level = h['Level'] ? levelFromName(h['Level']) : undefined;
    const user = h['User'];
    const event: WindowsEvent = {
      form: 'eventviewer-details',
      provider: { name: source },
      eventId: Number(idText),
      ...(level !== undefined ? { level } : {}),
      timeCreated: new Date(utc).toISOString(),
      timezoneAssumed: this.ctx.timezone,
      ...(h['Log Name'] ? { channel: h['Log Name'] } : {}),
      ...(h['Computer'] ? { computer: h['Computer'] } : {}),
      ...(user && /^S-\d+(-\d+)+$/.test(user) ? { userId: user } : {}),
      eventData: [],
      rendering,
    };
    return { event };
  }
}
