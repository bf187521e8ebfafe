// The framer factory: the input asks for a framer by the FramingKind its format declares.

import { CsvRowsFramer } from './csv-rows-framer.js';
import { createEvtxFramer } from './evtx/evtx-framer.js';
import type { Framer, FramerFactory, FramerOptions } from './framer.types.js';
import { JsonFramer } from './json-framer.js';
import { LinesFramer } from './lines-framer.js';
import { MailboxLogFramer } from './mailbox-log-framer.js';
import { WholeFileFramer } from './whole-file-framer.js';
import { XmlEventsFramer } from './xml-events-framer.js';
import type { FramingKind } from '../pipeline/record.types.js';

export const createFramer: FramerFactory = (kind: FramingKind, options: FramerOptions): Framer => {
  switch (kind) {
    case 'lines':
      return new LinesFramer(options);
    case 'csv-rows':
      return new CsvRowsFramer(options);
    case 'mailbox-log':
      return new MailboxLogFramer(options);
    case 'xml-events':
      return new XmlEventsFramer(options);
    case 'json':
      return new JsonFramer(options);
    case 'whole-file':
      return new WholeFileFramer(options);
    case 'evtx':
      // Binary: the input feeds raw bytes from `feedFrom` (the start of the resume point's chunk).
      return createEvtxFramer(options);
  }
};

export type { FramedRecord, Framer, FramerFactory, FramerOptions, TextEncoding } from './framer.types.js';
