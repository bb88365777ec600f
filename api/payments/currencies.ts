/**
 * ISO 4217 codes the platform accepts, with their minor-unit exponent (cents = 2, yen = 0).
 * A subset of Stripe's presentment currencies: adding one is a product decision (the
 * gateway account must settle it), so the list is explicit rather than "any 3 letters".
 * Three-decimal currencies (BHD, KWD, ...) are left out until the gateway path is tested
 * with them.
 */
export const SupportedCurrencies = {
  AED: 2, AUD: 2, BGN: 2, BRL: 2, CAD: 2, CHF: 2, CLP: 0, CNY: 2, COP: 2, CZK: 2,
  DKK: 2, EGP: 2, EUR: 2, GBP: 2, HKD: 2, HUF: 2, IDR: 2, ILS: 2, INR: 2, ISK: 0,
  JPY: 0, KES: 2, KRW: 0, MAD: 2, MXN: 2, MYR: 2, NGN: 2, NOK: 2, NZD: 2, PEN: 2,
  PHP: 2, PKR: 2, PLN: 2, RON: 2, SAR: 2, SEK: 2, SGD: 2, THB: 2, TRY: 2, TWD: 2,
  UAH: 2, USD: 2, VND: 0, ZAR: 2,
} as const satisfies Record<string, 0 | 2>;

export type SupportedCurrency = keyof typeof SupportedCurrencies;
export const supportedCurrencyCodes = Object.keys(SupportedCurrencies) as SupportedCurrency[];
