// Date formats as a `date`/`date_nanos` mapping declares them (`format`, default
// `strict_date_optional_time||epoch_millis`, and `strict_date_optional_time_nanos||epoch_millis` for date_nanos):
// validation of the format string (DateFormatter#forPattern: the built-in names of FormatNames.java, otherwise a
// java.time pattern, "Invalid format: [x]: Unknown pattern letter: f") and parsing of values.
//
// Parsed exactly: strict_date_optional_time(_nanos), date_optional_time, iso8601, epoch_millis, epoch_second,
// (strict_)date, year_month_day, year_month, year, (strict_)date_time(_no_millis),
// (strict_)date_hour_minute_second(_millis|_fraction), basic_date, basic_date_time(_no_millis), and java.time
// patterns made of y u M d D H h k K m s S n a E Z X x z V, quoted literals and [optional] sections.
// Other built-in names are accepted in mappings but parsed leniently (Date.parse): written at the top of
// es-test-server.ts.

/** Every name of FormatNames.java (snake_case; the camelCase aliases were removed in 8.0). */
const BUILTIN_NAMES = new Set(
  (
    'iso8601 basic_date basic_date_time basic_date_time_no_millis basic_ordinal_date basic_ordinal_date_time ' +
    'basic_ordinal_date_time_no_millis basic_time basic_time_no_millis basic_t_time basic_t_time_no_millis ' +
    'basic_week_date strict_basic_week_date basic_week_date_time strict_basic_week_date_time ' +
    'basic_week_date_time_no_millis strict_basic_week_date_time_no_millis date strict_date date_hour ' +
    'strict_date_hour date_hour_minute strict_date_hour_minute date_hour_minute_second ' +
    'strict_date_hour_minute_second date_hour_minute_second_fraction strict_date_hour_minute_second_fraction ' +
    'date_hour_minute_second_millis strict_date_hour_minute_second_millis date_optional_time ' +
    'strict_date_optional_time strict_date_optional_time_nanos date_time strict_date_time date_time_no_millis ' +
    'strict_date_time_no_millis hour strict_hour hour_minute strict_hour_minute hour_minute_second ' +
    'strict_hour_minute_second hour_minute_second_fraction strict_hour_minute_second_fraction ' +
    'hour_minute_second_millis strict_hour_minute_second_millis ordinal_date strict_ordinal_date ' +
    'ordinal_date_time strict_ordinal_date_time ordinal_date_time_no_millis strict_ordinal_date_time_no_millis ' +
    'time strict_time time_no_millis strict_time_no_millis t_time strict_t_time t_time_no_millis ' +
    'strict_t_time_no_millis week_date strict_week_date week_date_time strict_week_date_time ' +
    'week_date_time_no_millis strict_week_date_time_no_millis weekyear strict_weekyear weekyear_week ' +
    'strict_weekyear_week weekyear_week_day strict_weekyear_week_day year strict_year year_month ' +
    'strict_year_month year_month_day strict_year_month_day epoch_second epoch_millis'
  ).split(' '),
);

export const DEFAULT_DATE_FORMAT = 'strict_date_optional_time||epoch_millis';
export const DEFAULT_DATE_NANOS_FORMAT = 'strict_date_optional_time_nanos||epoch_millis';
/** RootObjectMapper.Defaults.DYNAMIC_DATE_TIME_FORMATTERS. */
export const DEFAULT_DYNAMIC_DATE_FORMATS = [
  DEFAULT_DATE_FORMAT,
  'yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis',
];

/** A parsed instant: milliseconds since the epoch and the nanoseconds within that millisecond. */
export interface Instant {
  millis: number;
  nanos: number;
}

type Parser = (text: string) => Instant | undefined;

const VALID_LETTERS = new Set('GuyDMLdQqYwWEecFahKkHmsSAnNVvzOXxZpB'.split(''));

/** Throws Error(message as Elasticsearch words it) when the format is not valid; returns the parsers. */
export function compileFormat(format: string): Parser[] {
  const parts = format.split('||');
  return parts.map((p) => {
    if (p.length === 0) throw new Error(`Invalid format: [${format}]: empty pattern`);
    if (BUILTIN_NAMES.has(p)) return namedParser(p);
    return patternParser(p);
  });
}

/** Null when valid, otherwise the reason (for mapping validation). */
export function formatError(format: string): string | undefined {
  try {
    compileFormat(format);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const cache = new Map<string, Parser[]>();
/** Parse `value` (a JSON string or number) with `format`; undefined when no part of the format accepts it. */
export function parseDate(value: string | number, format: string): Instant | undefined {
  let parsers = cache.get(format);
  if (!parsers) {
    parsers = compileFormat(format);
    cache.set(format, parsers);
  }
  const text = typeof value === 'number' ? numberText(value) : value;
  for (const p of parsers) {
    const r = p(text);
    if (r) return r;
  }
  return undefined;
}

function numberText(n: number): string {
  return Number.isInteger(n) ? n.toFixed(0) : String(n);
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

interface Fields {
  year: number;
  month?: number;
  day?: number;
  dayOfYear?: number;
  hour?: number;
  minute?: number;
  second?: number;
  fraction?: string;
  offsetMinutes?: number;
}

function build(f: Fields): Instant | undefined {
  const month = f.month ?? 1;
  let day = f.day ?? 1;
  if (month < 1 || month > 12) return undefined;
  if (f.dayOfYear !== undefined) {
    const d = new Date(Date.UTC(f.year, 0, f.dayOfYear));
    if (d.getUTCFullYear() !== f.year) return undefined;
    day = d.getUTCDate();
    return build({ ...f, dayOfYear: undefined, month: d.getUTCMonth() + 1, day });
  }
  if (day < 1 || day > daysInMonth(f.year, month)) return undefined;
  const h = f.hour ?? 0;
  const mi = f.minute ?? 0;
  const s = f.second ?? 0;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const frac = (f.fraction ?? '').padEnd(9, '0').slice(0, 9);
  const millisPart = Number(frac.slice(0, 3));
  const nanos = Number(frac.slice(3));
  const d = new Date(0);
  d.setUTCFullYear(f.year, month - 1, day);
  d.setUTCHours(h, mi, s, millisPart);
  return { millis: d.getTime() - (f.offsetMinutes ?? 0) * 60000, nanos };
}

function offset(z: string | undefined): number | undefined | null {
  if (z === undefined || z === '') return undefined;
  if (z === 'Z') return 0;
  const m = /^([+-])(\d{2})(?::?(\d{2}))?$/.exec(z);
  if (!m) return null;
  const hh = Number(m[2]);
  const mm = Number(m[3] ?? '0');
  if (hh > 18 || mm > 59) return null;
  return (m[1] === '-' ? -1 : 1) * (hh * 60 + mm);
}

function isoParser(opts: {
  strict: boolean;
  time: 'optional' | 'required';
  millis: 'optional' | 'none' | 'required';
}) {
  const d2 = opts.strict ? '\\d{2}' : '\\d{1,2}';
  const year = opts.strict ? '\\d{4,9}' : '[+-]?\\d{1,9}';
  const frac =
    opts.millis === 'none' ? '' : opts.millis === 'required' ? '[.,](\\d{1,9})' : '(?:[.,](\\d{1,9}))?';
  const zone = '(Z|[+-]\\d{2}(?::?\\d{2})?)?';
  const re =
    opts.time === 'optional'
      ? new RegExp(
          `^(${year})(?:-(${d2})(?:-(${d2})(?:T(${d2})(?::(${d2})(?::(${d2})${frac})?)?${zone})?)?)?$`,
        )
      : new RegExp(`^(${year})-(${d2})-(${d2})T(${d2}):(${d2}):(${d2})${frac}${zone}$`);
  return (text: string): Instant | undefined => {
    const m = re.exec(text);
    if (!m) return undefined;
    const hasFrac = opts.millis !== 'none';
    const z = offset(hasFrac ? m[8] : m[7]);
    if (z === null) return undefined;
    return build({
      year: Number(m[1]),
      ...(m[2] !== undefined ? { month: Number(m[2]) } : {}),
      ...(m[3] !== undefined ? { day: Number(m[3]) } : {}),
      ...(m[4] !== undefined ? { hour: Number(m[4]) } : {}),
      ...(m[5] !== undefined ? { minute: Number(m[5]) } : {}),
      ...(m[6] !== undefined ? { second: Number(m[6]) } : {}),
      ...(hasFrac && m[7] !== undefined ? { fraction: m[7] } : {}),
      ...(z !== undefined ? { offsetMinutes: z } : {}),
    });
  };
}

function epochParser(unit: 'millis' | 'second'): Parser {
  return (text) => {
    if (!/^-?\d+(\.\d+)?$/.test(text)) return undefined;
    const [int, frac = ''] = text.split('.');
    const scale = unit === 'millis' ? 1 : 1000;
    const whole = Number(int) * scale;
    if (!Number.isFinite(whole) || Math.abs(whole) > 8.64e15) return undefined;
    // The fraction of a millisecond (epoch_millis) or of a second (epoch_second).
    const fracDigits = unit === 'millis' ? frac.padEnd(6, '0').slice(0, 6) : frac.padEnd(9, '0').slice(0, 9);
    const sign = int!.startsWith('-') ? -1 : 1;
    if (unit === 'millis') return { millis: whole, nanos: sign * Number(fracDigits) };
    const ms = Number(fracDigits.slice(0, 3));
    return { millis: whole + sign * ms, nanos: sign * Number(fracDigits.slice(3)) };
  };
}

function namedParser(name: string): Parser {
  const strict = name.startsWith('strict_');
  const base = strict ? name.slice('strict_'.length) : name;
  switch (base) {
    case 'date_optional_time':
    case 'date_optional_time_nanos':
    case 'iso8601':
      return isoParser({ strict: strict || base === 'iso8601', time: 'optional', millis: 'optional' });
    case 'epoch_millis':
      return epochParser('millis');
    case 'epoch_second':
      return epochParser('second');
    case 'date_time':
      return isoParser({ strict, time: 'required', millis: 'required' });
    case 'date_time_no_millis':
      return isoParser({ strict, time: 'required', millis: 'none' });
    case 'date_hour_minute_second':
      return patternParser("yyyy-MM-dd'T'HH:mm:ss");
    case 'date_hour_minute_second_millis':
      return patternParser("yyyy-MM-dd'T'HH:mm:ss.SSS");
    case 'date_hour_minute_second_fraction':
      return isoParser({ strict, time: 'required', millis: 'required' });
    case 'date':
    case 'year_month_day':
      return strict ? patternParser('yyyy-MM-dd') : patternParser('yyyy-M-d');
    case 'year_month':
      return patternParser(strict ? 'yyyy-MM' : 'yyyy-M');
    case 'year':
      return patternParser('yyyy');
    case 'basic_date':
      return patternParser('yyyyMMdd');
    case 'basic_date_time':
      return patternParser("yyyyMMdd'T'HHmmss.SSSXX");
    case 'basic_date_time_no_millis':
      return patternParser("yyyyMMdd'T'HHmmssXX");
    default:
      // A real format name the test server does not parse exactly (written at the top of es-test-server.ts).
      return (text) => {
        const t = Date.parse(text);
        return Number.isNaN(t) ? undefined : { millis: t, nanos: 0 };
      };
  }
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTHS_FULL = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

type Setter = (f: Fields & { pm?: boolean; hour12?: number }, v: string) => boolean;

/** A java.time pattern compiled to a regular expression with a setter per group. */
function patternParser(pattern: string): Parser {
  let re = '';
  const setters: Setter[] = [];
  let depth = 0;
  let i = 0;
  const num = (min: number, max: number, set: (f: Fields & { hour12?: number }, n: number) => void): void => {
    re += `(\\d{${min},${max}})`;
    setters.push((f, v) => {
      set(f, Number(v));
      return true;
    });
  };
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end === -1)
        throw new Error(
          `Invalid format: [${pattern}]: Pattern ends with an incomplete string literal: ${pattern}`,
        );
      const lit = end === i + 1 ? "'" : pattern.slice(i + 1, end);
      re += lit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i = end + 1;
      continue;
    }
    if (c === '[') {
      re += '(?:';
      depth += 1;
      i += 1;
      continue;
    }
    if (c === ']') {
      if (depth === 0)
        throw new Error(`Invalid format: [${pattern}]: Pattern invalid as it contains ] without previous [`);
      re += ')?';
      depth -= 1;
      i += 1;
      continue;
    }
    if (c === '#' || c === '{' || c === '}')
      throw new Error(`Invalid format: [${pattern}]: Pattern includes reserved character: '${c}'`);
    if (/[a-zA-Z]/.test(c)) {
      if (!VALID_LETTERS.has(c))
        throw new Error(`Invalid format: [${pattern}]: Unknown pattern letter: ${c}`);
      let n = 1;
      while (pattern[i + n] === c) n += 1;
      i += n;
      switch (c) {
        case 'y':
        case 'u':
        case 'Y':
          if (n === 2) num(2, 2, (f, v) => (f.year = 2000 + v));
          else num(n, 9, (f, v) => (f.year = v));
          break;
        case 'M':
        case 'L':
          if (n >= 4) {
            re += `([A-Za-z]+)`;
            setters.push((f, v) => {
              const k = MONTHS_FULL.indexOf(v.toLowerCase());
              if (k < 0) return false;
              f.month = k + 1;
              return true;
            });
          } else if (n === 3) {
            re += `([A-Za-z]{3})`;
            setters.push((f, v) => {
              const k = MONTHS.indexOf(v.toLowerCase());
              if (k < 0) return false;
              f.month = k + 1;
              return true;
            });
          } else num(n, 2, (f, v) => (f.month = v));
          break;
        case 'd':
          num(n, 2, (f, v) => (f.day = v));
          break;
        case 'D':
          num(n, 3, (f, v) => (f.dayOfYear = v));
          break;
        case 'H':
        case 'k':
          num(n, 2, (f, v) => (f.hour = c === 'k' && v === 24 ? 0 : v));
          break;
        case 'h':
        case 'K':
          num(n, 2, (f, v) => (f.hour12 = v));
          break;
        case 'm':
          num(n, 2, (f, v) => (f.minute = v));
          break;
        case 's':
          num(n, 2, (f, v) => (f.second = v));
          break;
        case 'S':
          re += `(\\d{${n}})`;
          setters.push((f, v) => {
            f.fraction = v;
            return true;
          });
          break;
        case 'n':
          re += `(\\d{1,9})`;
          setters.push((f, v) => {
            f.fraction = v.padStart(9, '0');
            return true;
          });
          break;
        case 'a':
          re += `([AaPp][Mm])`;
          setters.push((f, v) => {
            (f as { pm?: boolean }).pm = v.toLowerCase() === 'pm';
            return true;
          });
          break;
        case 'E':
        case 'e':
        case 'c':
          re += n >= 4 ? '([A-Za-z]+)' : n === 3 ? '([A-Za-z]{3})' : '(\\d{1,2})';
          setters.push(() => true);
          break;
        case 'Z':
        case 'X':
        case 'x': {
          const allowZ = c !== 'x';
          const colon = (c === 'Z' && n >= 5) || ((c === 'X' || c === 'x') && n >= 3);
          const hoursOnly = (c === 'X' || c === 'x') && n === 1;
          const body = hoursOnly ? '[+-]\\d{2}(?:\\d{2})?' : colon ? '[+-]\\d{2}:\\d{2}' : '[+-]\\d{4}';
          re += `(${allowZ ? 'Z|' : ''}${body})`;
          setters.push((f, v) => {
            const o = offset(v);
            if (o === null || o === undefined) return false;
            f.offsetMinutes = o;
            return true;
          });
          break;
        }
        case 'z':
        case 'V':
        case 'v':
        case 'O':
          re += '([A-Za-z][A-Za-z0-9/_+-]*)';
          setters.push((f, v) => {
            if (v === 'UTC' || v === 'GMT' || v === 'Z') f.offsetMinutes = 0;
            return true;
          });
          break;
        default:
          // G, Q, q, w, W, F, A, N, p, B: valid letters the test server does not parse; match a token.
          re += '([A-Za-z0-9]+)';
          setters.push(() => true);
      }
      continue;
    }
    re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    i += 1;
  }
  if (depth !== 0)
    throw new Error(`Invalid format: [${pattern}]: Pattern invalid as it contains [ without matching ]`);
  const regex = new RegExp(`^${re}$`);
  return (text) => {
    const m = regex.exec(text);
    if (!m) return undefined;
    const f: Fields & { pm?: boolean; hour12?: number } = { year: 1970 };
    for (let g = 0; g < setters.length; g++) {
      const v = m[g + 1];
      if (v === undefined) continue;
      if (!setters[g]!(f, v)) return undefined;
    }
    if (f.hour12 !== undefined) {
      if (f.hour12 > 12) return undefined;
      f.hour = (f.hour12 % 12) + (f.pm ? 12 : 0);
    }
    return build(f);
  };
}

/** date_nanos stores nanoseconds since the epoch in a long: 1970-01-01 to 2262-04-11T23:47:16.854775807. */
export function nanosRangeError(i: Instant, text: string): string | undefined {
  if (i.millis < 0)
    return `date[${text}] is before the epoch in 1970 and cannot be stored in nanosecond resolution`;
  if (i.millis > 9223372036854)
    return `date[${text}] is after 2262-04-11T23:47:16.854775807 and cannot be stored in nanosecond resolution`;
  return undefined;
}
