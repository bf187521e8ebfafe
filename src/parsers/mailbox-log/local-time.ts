// Server-local wall-clock times without an offset (mailbox log `RequestTime`, `MM/dd/yyyy HH:mm:ss`) turned into
// UTC for an assumed time zone: an IANA name (`Europe/Berlin`), `UTC`, or a fixed offset (`+01:00`). Uses Intl
// only (no tz database of our own). For a time that falls into a DST gap or overlap the earlier offset wins;
// the document says which zone was assumed (event.timezone), so a reader can re-interpret it.

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(zone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(zone);
  if (f !== undefined) return f;
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    f = null;
  }
  formatters.set(zone, f);
  return f;
}

// Offsets change only at transitions, which fall on quarter hours in every zone: cache per 15-minute bucket.
const offsetCache = new Map<string, number | undefined>();
const BUCKET_MS = 15 * 60_000;

/** Offset of `zone` from UTC in ms at the instant `utcMs`, or undefined for an unknown zone. */
export function zoneOffsetMs(zone: string, utcMs: number): number | undefined {
  const key = `${zone}|${Math.floor(utcMs / BUCKET_MS)}`;
  if (offsetCache.has(key)) return offsetCache.get(key);
  const v = computeOffsetMs(zone, utcMs);
  if (offsetCache.size > 50_000) offsetCache.clear();
  offsetCache.set(key, v);
  return v;
}

function computeOffsetMs(zone: string, utcMs: number): number | undefined {
  if (zone === 'UTC' || zone === 'Z' || zone === 'Etc/UTC') return 0;
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (fixed) {
    const m = Number(fixed[2]) * 60 + Number(fixed[3]);
    if (m > 18 * 60) return undefined;
    return (fixed[1] === '-' ? -1 : 1) * m * 60_000;
  }
  const f = formatterFor(zone);
  if (!f) return undefined;
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(utcMs))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** Wall-clock fields in `zone` → UTC ms; undefined for an unknown zone or impossible date. */
export function localToUtcMs(
  zone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  if (check.getUTCDate() !== day) return undefined;
  const o1 = zoneOffsetMs(zone, wall);
  if (o1 === undefined) return undefined;
  const o2 = zoneOffsetMs(zone, wall - o1);
  if (o2 === undefined) return undefined;
  return wall - (o2 === o1 ? o1 : Math.max(o1, o2));
}

const MAILBOX_TIME_RE = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: ?([AP]M))?$/i;

// Request and response times of neighbouring entries repeat (one-second resolution): remember recent answers.
const timeCache = new Map<string, string | undefined>();

/** `09/19/2013 10:22:11` (invariant culture; `AM/PM` tolerated) in `zone` → ISO UTC, or undefined. */
export function parseMailboxLogTime(text: string, zone: string): string | undefined {
  const key = `${zone}|${text}`;
  if (timeCache.has(key)) return timeCache.get(key);
  const v = convertMailboxLogTime(text, zone);
  if (timeCache.size > 4096) timeCache.clear();
  timeCache.set(key, v);
  return v;
}

function convertMailboxLogTime(text: string, zone: string): string | undefined {
  const m = MAILBOX_TIME_RE.exec(text.trim());
  if (!m) return undefined;
  let hour = Number(m[4]);
  if (m[7] !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (m[7].toUpperCase() === 'PM' ? 12 : 0);
  }
  const ms = localToUtcMs(zone, Number(m[3]), Number(m[1]), Number(m[2]), hour, Number(m[5]), Number(m[6]));
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
