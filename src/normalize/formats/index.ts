// Every format casguard knows, in one list: `format: auto` asks each of them to rate a file's first bytes.
// Add a new format here (CONTRIBUTING.md, "add a log format").

import type { FormatDefinition } from '../../pipeline/stages.types.js';
import { evtxFormat } from './evtx.format.js';
import { httpProxyFormat } from './httpproxy.format.js';
import { iisFormat } from './iis.format.js';
import { mailboxLogFormat } from './mailbox-log.format.js';
import { windowsFormats } from './windows.formats.js';

export const ALL_FORMATS: readonly FormatDefinition[] = [
  iisFormat,
  httpProxyFormat,
  mailboxLogFormat,
  evtxFormat,
  ...windowsFormats,
];

export function formatNames(): string[] {
  return ALL_FORMATS.map((f) => f.name);
}
