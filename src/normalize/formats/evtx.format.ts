// Binary Windows event logs (.evtx: Event Viewer "Save All Events As...", `wevtutil epl`, copies of
// C:\Windows\System32\winevt\Logs). Recognised by the `ElfFile\0` signature (or the .evtx name); framed by the
// EVTX framer, which decodes every record into a WindowsEvent, so the events map to ECS through the same
// normalizer as the XML, CSV and PowerShell exports.

import type { FormatDefinition } from '../../pipeline/stages.types.js';
import { EvtxParser } from '../../parsers/evtx/evtx-parser.js';
import type { WindowsEvent } from '../../parsers/windows-event/windows-event.types.js';
import { normalizeWindowsEvent } from '../windows-event/windows-event-normalize.js';

export const evtxFormat: FormatDefinition<WindowsEvent> = {
  name: 'evtx',
  description: 'Windows binary event logs (.evtx), read natively on any OS',
  framing: 'evtx',
  detect(head: string, fileName: string): number {
    if (head.startsWith('ElfFile\0')) return 1;
    return /\.evtx$/i.test(fileName) ? 0.5 : 0;
  },
  createParser: () => new EvtxParser(),
  normalize: normalizeWindowsEvent,
};
