/**
 * RFC 3339 times, as the API takes and gives them. JavaScript's Date parser is
 * lenient (it accepts "2026-02-30" and rolls it into March), so the shape is
 * checked first and the calendar fields are checked against what Date made.
 */

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** The instant `value` names, or null when it is not a valid RFC 3339 date-time. Precision beyond ms is dropped. */
export function parseRfc3339(value: string): Date | null {
  const [, year, month, day, hour, minute, second, , offset] = RFC3339.exec(value) ?? [];
  if (offset === undefined) return null;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null;
  if (!/^[Zz]$/.test(offset) && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59)) return null;
  // The calendar date as written must exist: Date.UTC would roll Feb 30 into March.
  // setUTCFullYear, not Date.UTC, which reads the years 0–99 as 1900–1999 (so "0060-01-27" was refused).
  const calendar = new Date(0);
  calendar.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  if (calendar.getUTCFullYear() !== Number(year) || calendar.getUTCMonth() !== Number(month) - 1 || calendar.getUTCDate() !== Number(day)) {
    return null;
  }
  const instant = new Date(value.toUpperCase());
  return Number.isNaN(instant.getTime()) ? null : instant;
}

/** The API's time format: RFC 3339, UTC, milliseconds. */
export function formatRfc3339(instant: Date): string {
  return instant.toISOString();
}
