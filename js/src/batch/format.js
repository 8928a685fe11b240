// @ts-check
/**
 * Numbers for people: thousands separators, durations, dollars, rates. Fixed English formats
 * (the kernel's banner says "1,000" too), independent of the browser's locale.
 *
 * @module batch/format
 */

/**
 * An integer with thousands separators: 12345 -> "12,345".
 * @param {number} n
 * @returns {string}
 */
export function thousands(n) {
  const sign = n < 0 ? "-" : "";
  return sign + String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * A duration: "45s", "2m 05s", "1h 02m" (seconds are dropped from an hour on).
 * @param {number} seconds
 * @returns {string}
 */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  const minutes = Math.round(s / 60);
  return `${thousands(Math.floor(minutes / 60))}h ${pad(minutes % 60)}m`;
}

/**
 * US dollars: four decimals under a dollar ("$0.0123"), cents above ("$1,234.50").
 * @param {number} dollars
 * @returns {string}
 */
export function money(dollars) {
  if (dollars === 0) return "$0.00";
  if (dollars < 0.0001) return "< $0.0001";
  if (dollars < 0.99995) return `$${dollars.toFixed(4)}`;
  const cents = Math.round(dollars * 100);
  return `$${thousands(Math.floor(cents / 100))}.${String(cents % 100).padStart(2, "0")}`;
}

/**
 * Rows per second: "4.2", "120", "0.05".
 * @param {number} rate
 * @returns {string}
 */
export function rate(rate) {
  if (rate >= 99.95) return thousands(rate);
  if (rate >= 0.1 || rate === 0) return rate.toFixed(1);
  return String(Number(rate.toPrecision(2)));
}
