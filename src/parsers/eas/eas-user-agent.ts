// EAS user agents and small shared value helpers. Apple's native Mail app sends `Apple-<model>/<build>`
// (eas-formats.md 6.1): the model is the product type with `,` written as `C` (`iPad2C2` = iPad2,2), the
// build is Apple's build number re-encoded (`1101.465` = 11A465). Other clients are kept as written.

export interface AppleUserAgent {
  /** `iPad2C2` */
  readonly model: string;
  /** `1101.465` */
  readonly build: string;
}

/** `Apple-iPad2C2/1101.465` → { model: 'iPad2C2', build: '1101.465' }; anything else → undefined. */
export function parseAppleUserAgent(ua: string): AppleUserAgent | undefined {
  if (!ua.startsWith('Apple-')) return undefined;
  // A file holds a few hundred distinct agents at most: remember the answers (bounded; frozen, so sharing one
  // answer between documents is safe).
  const hit = uaCache.get(ua);
  if (hit !== undefined) return hit ?? undefined;
  const v = readAppleUserAgent(ua);
  if (uaCache.size >= CACHE_MAX) uaCache.clear();
  uaCache.set(ua, v ? Object.freeze(v) : null);
  return v;
}

const CACHE_MAX = 2048;
const uaCache = new Map<string, AppleUserAgent | null>();
const buildCache = new Map<string, string | null>();

function readAppleUserAgent(ua: string): AppleUserAgent | undefined {
  const slash = ua.indexOf('/', 6);
  if (slash < 0) return undefined;
  const model = ua.slice(6, slash);
  let end = slash + 1;
  while (end < ua.length && ua.charCodeAt(end) !== 32) end++;
  const build = ua.slice(slash + 1, end);
  if (!/^(?:iPhone|iPad|iPod|Watch|AppleTV|Mac|iMac)\w*$/.test(model)) return undefined;
  if (!/^\d{3,4}\.\d+$/.test(build)) return undefined;
  return { model, build };
}

/** A user as written (`DOMAIN\user`, `user@domain`, `user`) split into ECS `user.name` / `user.domain`. */
export function splitUser(raw: string): { name: string; domain?: string } | undefined {
  if (raw.length === 0 || raw === '-') return undefined;
  const bs = raw.indexOf('\\');
  if (bs > 0 && bs < raw.length - 1) return { name: raw.slice(bs + 1), domain: raw.slice(0, bs) };
  const at = raw.lastIndexOf('@');
  if (at > 0 && at < raw.length - 1) return { name: raw.slice(0, at), domain: raw.slice(at + 1) };
  return { name: raw };
}

/** The last word of an OS string that looks like an Apple build (`iOS 7.0 11A465` → `11A465`). */
export function osBuildOf(os: string): string | undefined {
  const sp = os.lastIndexOf(' ');
  const last = sp < 0 ? os : os.slice(sp + 1);
  return /^\d{1,2}[A-Z]\d{1,5}[a-z]?$/.test(last) ? last : undefined;
}

/** `14.02.0328.009` → `14.2.328.9`; undefined when not four dot-separated numbers (or three). */
export function normalizeBuild(raw: string): string | undefined {
  const hit = buildCache.get(raw);
  if (hit !== undefined) return hit ?? undefined;
  const v = readBuild(raw);
  if (buildCache.size >= CACHE_MAX) buildCache.clear();
  buildCache.set(raw, v ?? null);
  return v;
}

function readBuild(raw: string): string | undefined {
  const parts = raw.trim().split('.');
  if (parts.length < 3 || parts.length > 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,6}$/.test(p)) return undefined;
    out.push(Number(p));
  }
  return out.join('.');
}

/**
 * An IP address for an ECS `ip` field, or undefined. Strips an IPv6 zone (`fe80::1%12`), which Elasticsearch
 * rejects, and brackets. Deliberately strict: anything else is not an IP.
 */
export function cleanIp(raw: string): string | undefined {
  if (raw.length === 0 || raw === '-' || raw.length > 64) return undefined;
  let s = raw;
  if (s.charCodeAt(0) === 91 /* [ */) {
    const close = s.indexOf(']');
    if (close < 0) return undefined;
    s = s.slice(1, close);
  }
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (isIPv4(s)) return s;
  if (s.indexOf(':') < 0) return undefined;
  // IPv6 checks are regex per group; a host logs the same few server and client addresses on every line.
  const hit = ipv6Cache.get(s);
  if (hit !== undefined) return hit ? s : undefined;
  const ok = isIPv6(s);
  if (ipv6Cache.size >= CACHE_MAX) ipv6Cache.clear();
  ipv6Cache.set(s, ok);
  return ok ? s : undefined;
}

const ipv6Cache = new Map<string, boolean>();

function isIPv4(s: string): boolean {
  // Char scan (no split): four groups of 1-3 digits, each <= 255.
  let groups = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46 /* . */) {
      if (digits === 0 || value > 255) return false;
      groups++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (++digits > 3) return false;
      value = value * 10 + (c - 48);
    } else return false;
  }
  return groups === 4;
}

function isIPv6(s: string): boolean {
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  const groups = s.split(':');
  let count = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (g.length === 0) continue;
    if (i === groups.length - 1 && g.indexOf('.') >= 0) {
      if (!isIPv4(g)) return false;
      count += 2;
      continue;
    }
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return false;
    count++;
  }
  return dbl >= 0 ? count < 8 : count === 8;
}
