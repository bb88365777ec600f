/**
 * Currencies: which ones the platform accepts, and each currency's minor-unit
 * exponent (ISO 4217: cents = 2, yen = 0, Kuwaiti fils = 3). Amounts are always
 * integers in the minor unit; the exponent only matters for showing them.
 */

/**
 * Accepted for payments: a subset of Stripe's presentment currencies. Adding one is
 * a product decision (the gateway account must settle it), so the list is explicit
 * rather than "any 3 letters". Three-decimal currencies are left out until the
 * gateway path is tested with them.
 */
export const supportedCurrencyCodes = [
  "AED",
  "AUD",
  "BGN",
  "BRL",
  "CAD",
  "CHF",
  "CLP",
  "CNY",
  "COP",
  "CZK",
  "DKK",
  "EGP",
  "EUR",
  "GBP",
  "HKD",
  "HUF",
  "IDR",
  "ILS",
  "INR",
  "ISK",
  "JPY",
  "KES",
  "KRW",
  "MAD",
  "MXN",
  "MYR",
  "NGN",
  "NOK",
  "NZD",
  "PEN",
  "PHP",
  "PKR",
  "PLN",
  "RON",
  "SAR",
  "SEK",
  "SGD",
  "THB",
  "TRY",
  "TWD",
  "UAH",
  "USD",
  "VND",
  "ZAR",
] as const;
export type SupportedCurrency = (typeof supportedCurrencyCodes)[number];

const ZERO_DECIMAL = new Set(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"]);
const THREE_DECIMAL = new Set(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);

export function minorUnitExponent(currency: string): number {
  const c = currency.toUpperCase();
  if (ZERO_DECIMAL.has(c)) return 0;
  if (THREE_DECIMAL.has(c)) return 3;
  return 2;
}
