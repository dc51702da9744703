import { thousands } from '../table.js';

// Text for the HTML report. Every string that came from a model file (model, node and value names) goes
// through `esc` before it reaches the page, in text and in attributes alike; numbers are formatted without
// the locale so the page is the same on every machine.

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element text and in quoted attribute values. Control characters (not allowed in HTML) become U+FFFD. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '\uFFFD');
}

/** A long name cut to `max` characters with an ellipsis (the full name goes into a tooltip). */
export const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export const int = (n: number): string => (Number.isFinite(n) ? thousands(Math.round(n)) : String(n));

export const optInt = (n: number | null | undefined): string => (n === null || n === undefined ? 'n/a' : int(n));

export const percent = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : `${(100 * v).toFixed(1)}%`);

/** 1536 -> "1.54 kB" (decimal units, three significant digits): for charts; exact counts are in the table. */
export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n, u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return u === 0 ? `${int(v)} B` : `${Number(v.toPrecision(3))} ${units[u]}`;
}

export const decibels = (s: { sqnr_db: number | null; exact?: boolean }): string =>
  (s.sqnr_db !== null ? `${s.sqnr_db.toFixed(2)} dB` : s.exact ? 'exact' : 'n/a');

/** SVG coordinates: at most two decimals, no "-0". */
export const px = (v: number): string => {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
};
