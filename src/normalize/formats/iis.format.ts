// The IIS W3C format (u_ex*.log on Exchange CAS / mailbox servers): recognised by its `#Software: Microsoft
// Internet Information Services` / `#Fields:` header or, for headerless excerpts, by the file name and the
// `yyyy-MM-dd HH:mm:ss` start of a line. Framed as lines.

import type { FormatDefinition } from '../../pipeline/stages.types.js';
import { IisParser } from '../../parsers/iis/iis-parser.js';
import type { IisEvent } from '../../parsers/iis/iis.types.js';
import { iisRedactionText, normalizeIis } from '../eas/iis-normalizer.js';

const LINE_START_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+ \S+ \//;

export const iisFormat: FormatDefinition<IisEvent> = {
  name: 'iis',
  description: 'IIS W3C extended logs (u_ex*.log, front end and back end), EAS query and &Log= decoded',
  framing: 'lines',
  detect(head: string, fileName: string): number {
    if (head.startsWith('#Software: Microsoft Internet Information Services')) return 0.95;
    if (
      /^#Fields: date time /m.test(head.slice(0, 4096)) &&
      !head.startsWith('#Software: Microsoft Exchange')
    )
      return 0.9;
    const nameMatch = /^u_ex\d{6,8}(?:_x)?(?:\.\d+)?\.log$/i.test(fileName);
    if (LINE_START_RE.test(head)) return nameMatch ? 0.8 : 0.6;
    return nameMatch ? 0.3 : 0;
  },
  createParser: () => new IisParser(),
  normalize: normalizeIis,
  // The normalizer masks credential columns (cs(Cookie), cs(Authorization)...) in the line it reads
  // every field from (stored as event.original when the input keeps it), so the masked line is what FileProcessor's redaction must look at:
  // a line whose only triggers were in those columns costs no document walk.
  redactionScope: 'original',
  redactionText: iisRedactionText,
};
