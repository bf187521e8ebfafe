// Names Windows gives to the standard levels, opcodes and keyword bits (winmeta.xml, the "Windows Event Log
// standard metadata"). Exports that carry only numbers (wevtutil /f:xml, EVTX) get these names so that
// `log.level`, `winlog.opcode` and `winlog.keywords` read the same whatever form an event arrived in, as
// Winlogbeat does when a provider's own metadata is unavailable.
// https://learn.microsoft.com/en-us/windows/win32/wes/eventmanifestschema-leveltype-complextype

/** Numeric level → the name Event Viewer shows. Level 0 (LogAlways) renders as Information. */
export const LEVEL_NAMES: Readonly<Record<number, string>> = {
  0: 'Information',
  1: 'Critical',
  2: 'Error',
  3: 'Warning',
  4: 'Information',
  5: 'Verbose',
};

/** Level name as exports write it (English) → number. Localised names are not guessed. */
export function levelFromName(name: string): number | undefined {
  switch (name.trim().toLowerCase()) {
    case 'critical':
      return 1;
    case 'error':
      return 2;
    case 'warning':
      return 3;
    case 'information':
    case 'informational':
      return 4;
    case 'verbose':
      return 5;
    default:
      return undefined;
  }
}

export const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'Info',
  1: 'Start',
  2: 'Stop',
  3: 'DCStart',
  4: 'DCStop',
  5: 'Extension',
  6: 'Reply',
  7: 'Resume',
  8: 'Suspend',
  9: 'Send',
  240: 'Receive',
};

/** Standard keyword bits (the high 16 bits are reserved for Windows). */
const STANDARD_KEYWORDS: readonly (readonly [bigint, string])[] = [
  [0x1000000000000n, 'Response Time'],
  [0x2000000000000n, 'WDI Context'],
  [0x4000000000000n, 'WDI Diag'],
  [0x8000000000000n, 'SQM'],
  [0x10000000000000n, 'Audit Failure'],
  [0x20000000000000n, 'Audit Success'],
  [0x40000000000000n, 'Correlation Hint'],
  [0x80000000000000n, 'Classic'],
];

/** Parses `0x80000000000000` or a decimal string (PowerShell writes decimal) into a bigint. */
export function parseKeywords(text: string): bigint | undefined {
  const t = text.trim();
  if (/^0x[0-9a-f]{1,16}$/i.test(t)) return BigInt(t);
  if (/^-?\d{1,20}$/.test(t)) {
    // PowerShell writes the Int64 `Keywords` property, so the top bit shows as a negative number.
    const v = BigInt(t);
    return v < 0n ? v + (1n << 64n) : v;
  }
  return undefined;
}

/** Keywords as the hex string Windows writes in XML (`0x80000000000000`). */
export function keywordsHex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/** Names of the standard keyword bits set in `value`, in Windows' order. */
export function standardKeywordNames(value: bigint): string[] {
  const out: string[] = [];
  for (const [bit, name] of STANDARD_KEYWORDS) if ((value & bit) !== 0n) out.push(name);
  return out;
}
