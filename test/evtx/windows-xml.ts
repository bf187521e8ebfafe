// Reads Event Viewer's "Save All Events As... XML" export into the key fields the ground-truth test compares:
// record id, event id, provider, channel, computer, time and the <Data> items of each event.

import { SaxesParser } from 'saxes';

export interface TruthEvent {
  recordId: string;
  eventId: string;
  provider: string;
  channel: string;
  computer: string;
  time: string;
  data: string[];
}

export function readWindowsXml(xml: string): TruthEvent[] {
  const events: TruthEvent[] = [];
  const parser = new SaxesParser();
  const stack: string[] = [];
  let current: TruthEvent | undefined;
  let text = '';
  parser.on('opentag', (tag) => {
    stack.push(tag.name);
    text = '';
    const attr = (n: string): string => {
      const v = tag.attributes[n];
      return typeof v === 'string' ? v : '';
    };
    if (tag.name === 'Event') {
      current = { recordId: '', eventId: '', provider: '', channel: '', computer: '', time: '', data: [] };
    } else if (current !== undefined && stack.includes('System')) {
      if (tag.name === 'Provider') current.provider = attr('Name');
      if (tag.name === 'TimeCreated') current.time = attr('SystemTime');
    }
  });
  parser.on('text', (t) => {
    text += t;
  });
  parser.on('closetag', (tag) => {
    stack.pop();
    if (current === undefined) return;
    const inSystem = stack[stack.length - 1] === 'System';
    if (inSystem && tag.name === 'EventID') current.eventId = text;
    if (inSystem && tag.name === 'EventRecordID') current.recordId = text;
    if (inSystem && tag.name === 'Channel') current.channel = text;
    if (inSystem && tag.name === 'Computer') current.computer = text;
    if (tag.name === 'Data' && stack[stack.length - 1] === 'EventData') current.data.push(text);
    if (tag.name === 'Event') {
      events.push(current);
      current = undefined;
    }
    text = '';
  });
  parser.write(xml.replace(/^\uFEFF/, '')).close();
  return events;
}
