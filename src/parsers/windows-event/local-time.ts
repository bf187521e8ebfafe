// Event Viewer CSV/TXT and PowerShell Export-Csv write the exporter's LOCAL time in its culture's format
// (`9/19/2013 10:22:11 AM`, `19.09.2013 10:22:11`, `2013-09-19 10:22:11`) with no offset. We read the common
// culture shapes and convert to UTC by assuming the configured zone (IANA name, 'UTC' or '+01:00'); the
// document then says which zone was assumed (`event.timezone`). A slashed date on a 24-hour clock is read
// day-first (en-GB, fr, es, ...) unless only month-first makes a valid date; see readLocalTime.

export interface LocalTimeFields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

const AMPM =
  /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}),? +(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,7}))? *([AaPp])\.? ?[Mm]\.?$/;
const DMY_OR_MDY = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}),? +(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,7}))?$/;
const YMD = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,7}))?$/;

function ms(frac: string | undefined): number {
  return frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
}

function valid(f: LocalTimeFields): LocalTimeFields | undefined {
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31) return undefined;
  if (f.hour > 23 || f.minute > 59 || f.second > 60) return undefined;
  const d = new Date(Date.UTC(f.year, f.month - 1, f.day));
  if (d.getUTCDate() !== f.day) return undefined;
  return f;
}

/**
 * Reads a culture-formatted local date and time. With AM/PM the order is month/day (en-US); with dots it
 * is day.month (de, ru, ...); with slashes and a 24-hour clock it is day/month unless the first number
 * cannot be a month; year-first is year-month-day.
 */
export function readLocalTime(text: string): LocalTimeFields | undefined {
  const t = text.trim().replace(/\u200e|\u200f/g, '');
  let m = AMPM.exec(t);
  if (m) {
    let hour = Number(m[4]);
    if (hour < 1 || hour > 12) return undefined;
    const pm = m[8]!.toLowerCase() === 'p';
    if (hour === 12) hour = 0;
    if (pm) hour += 12;
    return valid({
      year: Number(m[3]),
      month: Number(m[1]),
      day: Number(m[2]),
      hour,
      minute: Number(m[5]),
      second: Number(m[6] ?? 0),
      millisecond: ms(m[7]),
    });
  }
  m = YMD.exec(t);
  if (m) {
    return valid({
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6] ?? 0),
      millisecond: ms(m[7]),
    });
  }
  m = DMY_OR_MDY.exec(t);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[3]);
    const monthFirst = m[2] === '/' && a <= 12 && b > 12;
    return valid({
      year: Number(m[4]),
      month: monthFirst ? a : b,
      day: monthFirst ? b : a,
      hour: Number(m[5]),
      minute: Number(m[6]),
      second: Number(m[7] ?? 0),
      millisecond: ms(m[8]),
    });
  }
  return undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat | undefined {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      return undefined;
    }
    formatters.set(zone, f);
  }
  return f;
}

// Intl formatting is slow (~µs); exports hold many events per hour, and zone offsets only change on whole or
// half hours, so offsets are cached per zone and half-hour bucket.
const offsetCache = new Map<string, number>();
const HALF_HOUR = 1_800_000;

/** Offset of `zone` from UTC at instant `utcMs`, in ms (positive east of Greenwich). */
function zoneOffsetMs(zone: string, utcMs: number): number | undefined {
  const key = `${zone}|${Math.floor(utcMs / HALF_HOUR)}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const off = computeOffsetMs(zone, utcMs);
  if (off !== undefined) {
    if (offsetCache.size > 10_000) offsetCache.clear();
    offsetCache.set(key, off);
  }
  return off;
}

function computeOffsetMs(zone: string, utcMs: number): number | undefined {
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
  if (zone === 'UTC' || zone === 'Z') return 0;
  const f = formatterFor(zone);
  if (!f) return undefined;
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(
    parts['year']!,
    parts['month']! - 1,
    parts['day']!,
    parts['hour']!,
    parts['minute']!,
    parts['second']!,
  );
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** Local wall-clock fields in `zone` → UTC epoch ms; undefined for an unknown zone. */
export function localToUtcMs(f: LocalTimeFields, zone: string): number | undefined {
  const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, f.millisecond);
  const off1 = zoneOffsetMs(zone, wall);
  if (off1 === undefined) return undefined;
  // Two passes settle the offset except inside a DST gap, where the later offset wins (as Windows does).
  const off2 = zoneOffsetMs(zone, wall - off1) ?? off1;
  return wall - off2;
}

/** Whether a zone setting can be used (IANA name, 'UTC', or ±hh:mm). */
export function isUsableZone(zone: string): boolean {
  return zoneOffsetMs(zone, 0) !== undefined;
}
