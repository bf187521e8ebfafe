// The typed model of one EAS mailbox-log entry (Get-MobileDeviceStatistics -GetMailboxLog, eas-formats.md 1):
// its sections in order and the parts this agent understands, decoded.

import type { XmlElement } from './eas-xml.js';

export interface MailboxLogSection {
  readonly key: string;
  readonly value: string;
}

export interface HttpHeader {
  readonly name: string;
  readonly value: string;
}

export interface MailboxLogRequest {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  /** Raw query (after `?`), or undefined. */
  readonly query?: string;
  readonly version?: string;
  readonly headers: readonly HttpHeader[];
}

export interface MailboxLogResponse {
  readonly version?: string;
  readonly status?: number;
  readonly reason?: string;
  readonly headers: readonly HttpHeader[];
}

export interface MailboxLogException {
  readonly type: string;
  readonly message?: string;
  readonly level?: number;
  /** The stack trace lines as written (leading whitespace trimmed, blank lines dropped), joined with `\n`. */
  readonly stackTrace?: string;
  /** Method names of the frames (`System.Buffer.BlockCopy`), top first. */
  readonly frames: readonly string[];
  readonly httpStatus?: number;
  readonly airSyncStatus?: number;
  readonly protocolLoggerString?: string;
}

export interface MailboxLogExceptionSection {
  /** Section key (`Command_WorkerThread_Exception`). */
  readonly key: string;
  /** Outer exception first, then inner exceptions by level. */
  readonly exceptions: readonly MailboxLogException[];
}

export interface MailboxLogEntry {
  /** `N` of ` Log Entry: N`, when the entry carries its separator. */
  readonly entryNumber?: number;
  readonly sections: readonly MailboxLogSection[];
  /** First value per key. */
  readonly byKey: Readonly<Record<string, string>>;
  /** `RequestTime` converted to UTC with `timezone`. */
  readonly requestTime: string;
  readonly responseTime?: string;
  /** The zone the local times were read in (FileContext.timezone). */
  readonly timezone: string;
  readonly request?: MailboxLogRequest;
  readonly response?: MailboxLogResponse;
  readonly requestBody?: XmlElement;
  readonly responseBody?: XmlElement;
  readonly exceptions: readonly MailboxLogExceptionSection[];
  /** Problems with parts of the entry that did not stop it from becoming an event (e.g. a broken XML body). */
  readonly warnings: readonly string[];
}
