/**
 * Currencies the simulator accepts and Stripe's minimum charge per currency
 * (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts), in minor units.
 * Zero-decimal currencies (JPY, KRW, …) count whole units.
 */
export const MINIMUM_AMOUNT: Readonly<Record<string, number>> = {
  usd: 50,
  aed: 200,
  aud: 50,
  bgn: 100,
  brl: 50,
  cad: 50,
  chf: 50,
  czk: 1500,
  dkk: 250,
  eur: 50,
  gbp: 30,
  hkd: 400,
  huf: 17500,
  inr: 50,
  jpy: 50,
  mxn: 1000,
  myr: 200,
  nok: 300,
  nzd: 50,
  pln: 200,
  ron: 200,
  sek: 300,
  sgd: 50,
  thb: 1000,
};

/** Presentment currencies without a published minimum here: any positive amount passes. */
const OTHER_SUPPORTED = [
  "clp",
  "cny",
  "cop",
  "egp",
  "idr",
  "ils",
  "isk",
  "kes",
  "krw",
  "mad",
  "ngn",
  "pen",
  "php",
  "pkr",
  "sar",
  "try",
  "twd",
  "uah",
  "vnd",
  "zar",
];

export const SUPPORTED_CURRENCIES: ReadonlySet<string> = new Set([...Object.keys(MINIMUM_AMOUNT), ...OTHER_SUPPORTED]);

/** Stripe's limit for most currencies: eight digits of minor units. */
export const MAXIMUM_AMOUNT = 99_999_999;
