/**
 * The demo's `current_time` tool: the date and time now in a time zone, computed with Intl.DateTimeFormat
 * (no dependencies; runs in any page).
 */

/** A time zone the runtime does not know, or another bad input of the tool. */
export class TimeZoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeZoneError';
  }
}

export interface CurrentTime {
  /** The IANA name of the zone, as the runtime spells it, e.g. "Europe/Paris". */
  time_zone: string;
  /** Local date and time with the offset, e.g. "2026-11-21T15:04:05+01:00". */
  iso: string;
  /** e.g. "Saturday, 21 November 2026". */
  date: string;
  /** 24-hour clock, e.g. "15:04:05". */
  time: string;
  /** e.g. "+01:00", "-05:00", "+05:30" ("+00:00" for UTC). */
  utc_offset: string;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

/** The runtime's own time zone (the user's, in a page). */
export function localTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A formatter for `zone`, or null when the runtime rejects the name. */
function formatterFor(zone: string): Intl.DateTimeFormat | null {
  const cached = formatters.get(zone);
  if (cached) return cached;
  let f: Intl.DateTimeFormat;
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
    return null; // RangeError: invalid time zone
  }
  formatters.set(zone, f);
  return f;
}

function unknownZone(name: string): TimeZoneError {
  return new TimeZoneError(
    `Unknown time zone "${name}": use an IANA name such as "Europe/Paris" or "America/New_York".`,
  );
}

let knownZones: readonly string[] | undefined;

/** The runtime's list of zones (plus "UTC", which some leave out), or [] when it cannot list them. */
function supportedZones(): readonly string[] {
  if (!knownZones) {
    const list = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf;
    let zones: string[] = [];
    try {
      if (typeof list === 'function') zones = list('timeZone');
    } catch {
      // an engine without the 'timeZone' key
    }
    knownZones = ['UTC', ...zones];
  }
  return knownZones;
}

/**
 * Resolves a user- or model-supplied zone name to one the runtime accepts: `undefined`, `""` and
 * `"local"` mean the runtime's zone; names are matched case-insensitively, with spaces read as `_`
 * ("america/new york" → "America/New_York"). A name is kept as given rather than swapped for the
 * runtime's preferred alias (some engines report "Asia/Calcutta" for "Asia/Kolkata"). Throws
 * `TimeZoneError` for an unknown zone.
 */
export function resolveTimeZone(timeZone?: string | null): string {
  if (timeZone === undefined || timeZone === null) return localTimeZone();
  if (typeof timeZone !== 'string') throw unknownZone(String(timeZone));
  const trimmed = timeZone.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'local') return localTimeZone();
  const name = trimmed.replace(/\s+/g, '_');
  const wanted = name.toLowerCase();
  // The runtime's own spelling when it lists the zone (this also fixes the case).
  const listed = supportedZones().find((z) => z.toLowerCase() === wanted);
  if (listed && formatterFor(listed)) return listed;
  // Aliases the list leaves out ("Asia/Kolkata" in older ICU data, "Etc/GMT+5", "GMT").
  const f = formatterFor(name);
  if (f) return name === wanted ? f.resolvedOptions().timeZone : name;
  throw unknownZone(timeZone);
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

function formatOffset(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const abs = Math.abs(seconds);
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  // Historical local mean times have offsets in seconds (Paris 1890: +00:09:21).
  return `${sign}${pad(h)}:${pad(m)}${s ? `:${pad(s)}` : ''}`;
}

/**
 * The date and time at `now` (default: the current instant) in `timeZone` (default: the runtime's).
 * Throws `TimeZoneError` for an unknown zone.
 */
export function currentTime(timeZone?: string, now: Date = new Date()): CurrentTime {
  const zone = resolveTimeZone(timeZone);
  const ms = now instanceof Date ? now.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new TimeZoneError('current_time needs a valid date.');
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone)!.formatToParts(ms)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const { year, month, day, minute, second } = parts;
  const hour = parts.hour % 24; // some engines said "24" for midnight before hourCycle was honoured

  // The offset is the local wall-clock time read as UTC minus the instant (both to the second).
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day);
  wall.setUTCHours(hour, minute, second, 0);
  const offsetSeconds = Math.round((wall.getTime() - Math.floor(ms / 1000) * 1000) / 1000);
  const utc_offset = formatOffset(offsetSeconds);

  const time = `${pad(hour)}:${pad(minute)}:${pad(second)}`;
  return {
    time_zone: zone,
    iso: `${pad(year, 4)}-${pad(month)}-${pad(day)}T${time}${utc_offset}`,
    date: `${WEEKDAYS[wall.getUTCDay()]}, ${day} ${MONTHS[month - 1]} ${year}`,
    time,
    utc_offset,
  };
}
