// The EAS mailbox-log format (Get-MobileDeviceStatistics -GetMailboxLog output, or the EASMailboxLog_*.txt
// attachment): recognised by the `Log Entry: N` separator or the section keys. Framed per `Log Entry` block.
// Times in the log are server-local; FileContext.timezone says which zone to read them in.

import type { FormatDefinition } from '../../pipeline/stages.types.js';
import { MailboxLogParser } from '../../parsers/mailbox-log/mailbox-log-parser.js';
import type { MailboxLogEntry } from '../../parsers/mailbox-log/mailbox-log.types.js';
import { normalizeMailboxLog } from '../eas/mailbox-log-normalizer.js';

export const mailboxLogFormat: FormatDefinition<MailboxLogEntry> = {
  name: 'mailbox-log',
  description: 'EAS mailbox logs (Get-MobileDeviceStatistics -GetMailboxLog), one document per Log Entry',
  framing: 'mailbox-log',
  detect(head: string, fileName: string): number {
    const h = head.slice(0, 16384);
    if (/^-{17}\r?\n Log Entry: \d+\r?\n-{17}/m.test(h)) return 0.95;
    const keys = ['RequestTime :', 'ServerName :', 'AssemblyVersion :', 'RequestHeader :', 'RequestBody :'];
    const hits = keys.filter((k) => h.includes(k)).length;
    if (hits >= 2) return 0.8;
    if (/^EASMailboxLog_/i.test(fileName)) return 0.5;
    return 0;
  },
  createParser: (ctx) => new MailboxLogParser(ctx),
  normalize: normalizeMailboxLog,
};
