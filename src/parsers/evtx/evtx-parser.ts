// The EVTX "parser" is trivial: the EVTX framer (src/framing/evtx/) already decodes each record's binary XML
// into the shared WindowsEvent model and hands it over as `record.payload`. This stage only checks that the
// payload is one and passes it on, so EVTX events flow through the same normalizer as exported XML.

import type { SourceRecord } from '../../pipeline/record.types.js';
import type { ParseResult, RecordParser } from '../../pipeline/stages.types.js';
import type { WindowsEvent } from '../windows-event/windows-event.types.js';

function isEvtxEvent(payload: unknown): payload is WindowsEvent {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    (payload as { form?: unknown }).form === 'evtx' &&
    Array.isArray((payload as { eventData?: unknown }).eventData)
  );
}

export class EvtxParser implements RecordParser<WindowsEvent> {
  parse(record: SourceRecord): ParseResult<WindowsEvent> {
    if (isEvtxEvent(record.payload)) return { kind: 'event', event: record.payload };
    return {
      kind: 'failure',
      code: 'evtx.no_payload',
      reason: 'EVTX record reached the parser without a decoded event (framing must be "evtx")',
    };
  }

  /** Stateless: every record carries its whole event. */
  snapshot(): unknown {
    return null;
  }

  restore(_state: unknown): void {}
}
