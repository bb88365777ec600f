/**
 * What a customer is told about a decline. Gateway codes are internal vocabulary: the mail
 * never quotes them or any error text. Fraud suspicions get the generic wording on purpose
 * (telling a fraudster which check tripped helps them; card networks ask for the same).
 */
const GENERIC = "Your bank declined the payment. Please contact your bank or try a different payment method.";

const REASONS: Readonly<Record<string, string>> = {
  insufficient_funds: "Your card has insufficient funds. Please try a different payment method.",
  fraudulent: GENERIC,
  lost_card: GENERIC,
  stolen_card: GENERIC,
  expired_card: "Your card has expired. Please check the expiry date or use a different card.",
  incorrect_cvc: "The card's security code (CVC) was incorrect. Please check it and try again.",
  generic_decline: GENERIC,
  card_declined: GENERIC,
  processing_error: "An error occurred while processing your card. Please try again in a few minutes.",
};

export function customerDeclineReason(code: string | undefined): string {
  return (code !== undefined && Object.hasOwn(REASONS, code) ? REASONS[code] : undefined) ?? GENERIC;
}
