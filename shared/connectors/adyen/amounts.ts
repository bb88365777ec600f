/**
 * Amounts between the platform's minor units and Adyen's. Both are integers in a currency's
 * minor unit, but the exponent is not always the same: the platform follows Stripe
 * (shared/currencies.ts: CLP and ISK have no decimals, IDR has two), and Adyen's table
 * (docs.adyen.com/development-resources/currency-codes) differs from ISO 4217 for CLP (2),
 * CVE (0), IDR (0) and ISK (2). Sending our number as it is would charge a hundredth of a
 * Chilean payment, or a hundred times an Indonesian one. Pure.
 */
import { minorUnitExponent } from "../../../shared/currencies.ts";

/** Where Adyen's decimals differ from the usual ones (the rest: as the platform). */
const ADYEN_EXPONENT: Readonly<Record<string, number>> = { CLP: 2, CVE: 0, IDR: 0, ISK: 2 };

export const adyenExponent = (currency: string): number => ADYEN_EXPONENT[currency.toUpperCase()] ?? minorUnitExponent(currency);
const platformExponent = minorUnitExponent;

export interface AdyenAmount {
  readonly value: number;
  readonly currency: string;
}

/** Our amount as Adyen's, or undefined when Adyen cannot express it (IDR 150.50 with no decimals at Adyen). */
export function toAdyenAmount(amount: number, currency: string): AdyenAmount | undefined {
  const c = currency.toUpperCase();
  const value = scale(amount, adyenExponent(c) - platformExponent(c));
  return value === undefined ? undefined : { value, currency: c };
}

/** Adyen's amount in our minor units, or undefined when ours cannot express it. */
export function fromAdyenAmount(a: AdyenAmount): { value: number; currency: string } | undefined {
  const c = a.currency.toUpperCase();
  const value = scale(a.value, platformExponent(c) - adyenExponent(c));
  return value === undefined ? undefined : { value, currency: c };
}

function scale(value: number, shift: number): number | undefined {
  if (!Number.isSafeInteger(value)) return undefined;
  if (shift >= 0) {
    const out = value * 10 ** shift;
    return Number.isSafeInteger(out) ? out : undefined;
  }
  const unit = 10 ** -shift;
  return value % unit === 0 ? value / unit : undefined;
}
