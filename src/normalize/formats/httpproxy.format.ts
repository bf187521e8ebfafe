// The HttpProxy EAS CSV format (Exchange 2013+ CAS, Logging\HttpProxy\Eas\HttpProxy_yyyyMMddHH-N.LOG):
// recognised by the bare `DateTime,RequestId,` header, the `#Log-type: HttpProxy Logs` directive, or for
// header-less excerpts by the file name plus an ISO-time CSV row. Framed as lines: Exchange's CSV writer
// (Utf8Csv) writes CR and LF inside a field as the two characters `\r` `\n`, so a record is one physical line
// and a stray quote costs that line alone (issue 19).

import type { FormatDefinition } from '../../pipeline/stages.types.js';
import { HttpProxyParser } from '../../parsers/httpproxy/httpproxy-parser.js';
import type { HttpProxyEvent } from '../../parsers/httpproxy/httpproxy.types.js';
import { normalizeHttpProxy } from '../eas/httpproxy-normalizer.js';

const ROW_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z,[0-9a-fA-F-]{32,36},\d+,\d+,\d+,\d+,/;

export const httpProxyFormat: FormatDefinition<HttpProxyEvent> = {
  name: 'httpproxy',
  description: 'Exchange HttpProxy logs (CSV, 53/69/74 columns by name), EAS query decoded',
  framing: 'lines',
  detect(head: string, fileName: string): number {
    const h = head.slice(0, 8192);
    if (h.startsWith('DateTime,RequestId,')) return 0.95;
    if (/^#Log-type: HttpProxy Logs/m.test(h)) return 0.95;
    if (/^#Fields: DateTime,RequestId,/m.test(h)) return 0.9;
    const nameMatch = /^HttpProxy_\d{8,10}-\d+\.log$/i.test(fileName);
    if (ROW_RE.test(h)) return nameMatch ? 0.8 : 0.6;
    return nameMatch ? 0.3 : 0;
  },
  createParser: () => new HttpProxyParser(),
  normalize: normalizeHttpProxy,
};
