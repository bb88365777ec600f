/**
 * Amounts for humans: integer minor units → "€12.34", "¥1,500", "KWD 1.234".
 * The exponent is ISO 4217's (shared/currencies.ts, the table the API validates with). The decimal
 * is built from the integer as a string, so no float ever touches money;
 * Intl.NumberFormat formats decimal strings exactly.
 */
import { minorUnitExponent } from "../../shared/currencies.ts";

export { minorUnitExponent };

/** "1234", 2 → "12.34"; "5", 3 → "0.005". */
export function minorToDecimal(minor: number, exponent: number): string {
  if (!Number.isSafeInteger(minor) || minor < 0) throw new RangeError(`amount must be a non-negative integer, got ${minor}`);
  if (exponent === 0) return String(minor);
  const digits = String(minor).padStart(exponent + 1, "0");
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

const formatters = new Map<string, Intl.NumberFormat>();

export function formatAmount(minor: number, currency: string, locale = "en-US"): string {
  const code = currency.toUpperCase();
  const exponent = minorUnitExponent(code);
  const cacheKey = `${locale}/${code}`;
  let fmt = formatters.get(cacheKey);
  if (fmt === undefined) {
    fmt = new Intl.NumberFormat(locale, { style: "currency", currency: code, minimumFractionDigits: exponent, maximumFractionDigits: exponent });
    formatters.set(cacheKey, fmt);
  }
  // A decimal string is formatted exactly (ECMA-402 "Intl.NumberFormat v3").
  return fmt.format(minorToDecimal(minor, exponent) as unknown as number);
}
