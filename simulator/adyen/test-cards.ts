/**
 * What a card does in Adyen mode. Two ways in, both from Adyen's test environment plus ours:
 *  - the platform's tokens (`pm_card_visa`, …) sent as a stored payment method,
 *    `paymentMethod: { type: "scheme", storedPaymentMethodId: "<token>" }` with a
 *    `shopperReference`: the same names as in Stripe mode, mapped to Adyen's outcome;
 *  - Adyen's documented triggers (docs.adyen.com/development-resources/testing/result-codes):
 *    `additionalData.RequestedTestAcquirerResponseCode` or `paymentMethod.holderName` on a
 *    raw test card number, e.g. NOT_ENOUGH_BALANCE → Refused / "Not enough balance" / 12.
 * Refusal texts and codes: docs.adyen.com/development-resources/refusal-reasons.
 */

export type ResultCode = "Authorised" | "Refused" | "Error" | "Received" | "Cancelled";
export type Outcome = { resultCode: ResultCode; refusalReason?: string; refusalReasonCode?: string };

export type AdyenCard = {
  brand: "visa" | "mc" | "amex" | "discover" | "diners" | "jcb" | "cup";
  outcome: Outcome;
  /** `fail`: a refund succeeds, then REFUND_FAILED arrives (Adyen's "refund failed" holder name); `pending`: it settles later. */
  refund?: "fail" | "pending";
};

const AUTHORISED: Outcome = { resultCode: "Authorised" };
const refused = (refusalReason: string, code: number, resultCode: ResultCode = "Refused"): Outcome => ({
  resultCode,
  refusalReason,
  refusalReasonCode: String(code),
});

/** Adyen's test table: code → outcome; `RequestedTestAcquirerResponseCode` and holder names share it. */
const BY_CODE: Readonly<Record<number, { holderName: string; outcome: Outcome }>> = {
  0: { holderName: "UNKNOWN", outcome: refused("Unknown", 0, "Error") },
  1: { holderName: "APPROVED", outcome: AUTHORISED },
  2: { holderName: "DECLINED", outcome: refused("Refused", 2) },
  3: { holderName: "REFERRAL", outcome: refused("Referral", 3) },
  4: { holderName: "ERROR", outcome: refused("Acquirer Error", 4, "Error") },
  5: { holderName: "BLOCK_CARD", outcome: refused("Blocked Card", 5) },
  6: { holderName: "CARD_EXPIRED", outcome: refused("Expired Card", 6) },
  7: { holderName: "INVALID_AMOUNT", outcome: refused("Invalid Amount", 7) },
  8: { holderName: "INVALID_CARD_NUMBER", outcome: refused("Invalid Card Number", 8) },
  9: { holderName: "ISSUER_UNAVAILABLE", outcome: refused("Issuer Unavailable", 9) },
  10: { holderName: "NOT_SUPPORTED", outcome: refused("Not supported", 10) },
  11: { holderName: "NOT_3D_AUTHENTICATED", outcome: refused("3D Not Authenticated", 11) },
  12: { holderName: "NOT_ENOUGH_BALANCE", outcome: refused("Not enough balance", 12) },
  13: { holderName: "PENDING", outcome: { resultCode: "Received" } },
  14: { holderName: "ACQUIRER_FRAUD", outcome: refused("Acquirer Fraud", 14) },
  15: { holderName: "CANCELLED", outcome: refused("Cancelled", 15) },
  16: { holderName: "SHOPPER_CANCELLED", outcome: refused("Shopper Cancelled", 16) },
  20: { holderName: "FRAUD", outcome: refused("FRAUD", 20) },
  24: { holderName: "CVC_DECLINED", outcome: refused("CVC Declined", 24) },
  29: { holderName: "WITHDRAWAL_COUNT_EXCEEDED", outcome: refused("Withdrawal count exceeded", 29) },
  38: { holderName: "AUTHENTICATION_REQUIRED", outcome: refused("Authentication Required", 38) },
};

export function outcomeForCode(code: string): Outcome | undefined {
  return /^\d{1,2}$/.test(code) ? BY_CODE[Number(code)]?.outcome : undefined;
}

const BY_HOLDER = new Map(Object.values(BY_CODE).map((e) => [e.holderName, e.outcome]));

/** A raw test card's holder name: a test value, Adyen's "refund failed", or a real name (authorised). */
export function cardForHolder(brand: AdyenCard["brand"], holderName: string | undefined): AdyenCard {
  const name = (holderName ?? "").trim();
  if (name.toLowerCase() === "refund failed") return { brand, outcome: AUTHORISED, refund: "fail" };
  return { brand, outcome: BY_HOLDER.get(name.toUpperCase()) ?? AUTHORISED };
}

const visa = (outcome: Outcome = AUTHORISED, extra: Partial<AdyenCard> = {}): AdyenCard => ({ brand: "visa", outcome, ...extra });
const code = (n: number) => BY_CODE[n]!.outcome;

/** The platform's tokens, the Stripe mode's names, mapped to the nearest Adyen outcome (README table). */
export const TOKENS: Readonly<Record<string, AdyenCard>> = {
  pm_card_visa: visa(),
  pm_card_visa_debit: visa(),
  pm_card_mastercard: { brand: "mc", outcome: AUTHORISED },
  pm_card_mastercard_debit: { brand: "mc", outcome: AUTHORISED },
  pm_card_mastercard_prepaid: { brand: "mc", outcome: AUTHORISED },
  pm_card_amex: { brand: "amex", outcome: AUTHORISED },
  pm_card_discover: { brand: "discover", outcome: AUTHORISED },
  pm_card_diners: { brand: "diners", outcome: AUTHORISED },
  pm_card_jcb: { brand: "jcb", outcome: AUTHORISED },
  pm_card_unionpay: { brand: "cup", outcome: AUTHORISED },
  pm_card_bypassPending: visa(),
  pm_card_refundFail: visa(AUTHORISED, { refund: "fail" }),
  pm_card_pendingRefund: visa(AUTHORISED, { refund: "pending" }),
  pm_card_visa_chargeDeclined: visa(code(2)),
  pm_card_chargeCustomerFail: visa(code(2)),
  pm_card_visa_chargeDeclinedInsufficientFunds: visa(code(12)),
  // Adyen has no lost or stolen refusal of its own: issuers' lost/stolen answers map to Blocked Card.
  pm_card_visa_chargeDeclinedLostCard: visa(code(5)),
  pm_card_visa_chargeDeclinedStolenCard: visa(code(5)),
  pm_card_chargeDeclinedFraudulent: visa(code(20)),
  pm_card_visa_chargeDeclinedVelocityLimitExceeded: visa(code(29)),
  pm_card_chargeDeclinedExpiredCard: visa(code(6)),
  pm_card_chargeDeclinedIncorrectCvc: visa(code(24)),
  pm_card_chargeDeclinedProcessingError: visa(code(4)),
  // A merchant-initiated charge on a card whose issuer wants 3D Secure: refused, retry with the shopper present.
  pm_card_authenticationRequired: visa(code(38)),
  pm_card_processing: visa(code(13)),
};

export function lookupToken(token: string): AdyenCard | undefined {
  return Object.hasOwn(TOKENS, token) ? TOKENS[token] : undefined;
}

/** Brand of a raw test card number by its prefix (enough for Adyen's test numbers). */
export function brandOf(number: string): AdyenCard["brand"] {
  if (/^3[47]/.test(number)) return "amex";
  if (/^5[1-5]|^2[2-7]/.test(number)) return "mc";
  if (/^6(011|5)/.test(number)) return "discover";
  if (/^3(0[0-5]|[68])/.test(number)) return "diners";
  if (/^35/.test(number)) return "jcb";
  if (/^62/.test(number)) return "cup";
  return "visa";
}

/** Luhn check: an Adyen test number that fails it is a 422 101 "Invalid card number". */
export function luhn(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return number.length >= 12 && sum % 10 === 0;
}
