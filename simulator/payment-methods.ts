/**
 * Stripe's documented test PaymentMethods (docs.stripe.com/testing, "Declined payments")
 * and what charging each does. Codes, decline codes, params and messages follow Stripe's
 * docs and test-mode responses; a card that is not listed here is `resource_missing`, as
 * an unknown `pm_…` is on Stripe.
 */

export type Decline = {
  code: string;
  decline_code: string;
  message: string;
  param?: string;
  advice_code?: string;
};

export type TestCard = {
  brand: "visa" | "mastercard" | "amex" | "discover" | "diners" | "jcb" | "unionpay";
  last4: string;
  funding: "credit" | "debit" | "prepaid";
  /** Absent: the charge succeeds. */
  decline?: Decline;
  /** 3D Secure: the PaymentIntent stops at requires_action instead of charging. */
  requiresAction?: true;
  /**
   * Simulator only (Stripe has no such card): the PaymentIntent stays `processing` until
   * PROCESSING_MS of simulated time have passed, then reads as `succeeded` (and charges).
   */
  processing?: true;
  /**
   * What refunds of a charge on this card do (docs.stripe.com/testing#refunds): `fail` reads
   * `succeeded` at first and `failed` (expired_or_canceled_card) once ASYNC_REFUND_MS of
   * simulated time have passed; `pending` reads `pending`, then `succeeded`. Absent: refunds
   * succeed at once.
   */
  refund?: "fail" | "pending";
};

/** How long a `pm_card_processing` intent stays processing, on the simulator's clock. */
export const PROCESSING_MS = 60 * 60 * 1000;
/** How long an asynchronous test refund keeps its first status, on the simulator's clock. */
export const ASYNC_REFUND_MS = 60 * 60 * 1000;

const DECLINED = "Your card was declined.";
const declined = (decline_code: string, advice_code?: string): Decline => ({
  code: "card_declined",
  decline_code,
  message: DECLINED,
  ...(advice_code ? { advice_code } : {}),
});

const visa = (last4: string, extra: Partial<TestCard> = {}): TestCard => ({ brand: "visa", last4, funding: "credit", ...extra });

export const TEST_CARDS: Readonly<Record<string, TestCard>> = {
  pm_card_visa: visa("4242"),
  pm_card_visa_debit: visa("5556", { funding: "debit" }),
  pm_card_mastercard: { brand: "mastercard", last4: "4444", funding: "credit" },
  pm_card_mastercard_debit: { brand: "mastercard", last4: "8210", funding: "debit" },
  pm_card_mastercard_prepaid: { brand: "mastercard", last4: "5100", funding: "prepaid" },
  pm_card_amex: { brand: "amex", last4: "0005", funding: "credit" },
  pm_card_discover: { brand: "discover", last4: "1117", funding: "credit" },
  pm_card_diners: { brand: "diners", last4: "0004", funding: "credit" },
  pm_card_jcb: { brand: "jcb", last4: "0505", funding: "credit" },
  pm_card_unionpay: { brand: "unionpay", last4: "0005", funding: "credit" },
  pm_card_bypassPending: visa("0077"),
  pm_card_refundFail: visa("5126", { refund: "fail" }),
  pm_card_pendingRefund: visa("7726", { refund: "pending" }),

  pm_card_visa_chargeDeclined: visa("0002", { decline: declined("generic_decline", "try_again_later") }),
  pm_card_visa_chargeDeclinedInsufficientFunds: visa("9995", {
    decline: { ...declined("insufficient_funds", "try_again_later"), message: "Your card has insufficient funds." },
  }),
  pm_card_visa_chargeDeclinedLostCard: visa("9987", { decline: declined("lost_card", "do_not_try_again") }),
  pm_card_visa_chargeDeclinedStolenCard: visa("9979", { decline: declined("stolen_card", "do_not_try_again") }),
  pm_card_chargeDeclinedFraudulent: visa("0019", { decline: declined("fraudulent") }),
  pm_card_visa_chargeDeclinedVelocityLimitExceeded: visa("6975", { decline: declined("card_velocity_exceeded") }),
  pm_card_chargeCustomerFail: visa("0341", { decline: declined("generic_decline", "try_again_later") }),
  pm_card_chargeDeclinedExpiredCard: visa("0069", {
    decline: {
      code: "expired_card",
      decline_code: "expired_card",
      param: "exp_month",
      advice_code: "confirm_card_data",
      message: "Your card has expired.",
    },
  }),
  pm_card_chargeDeclinedIncorrectCvc: visa("0127", {
    decline: {
      code: "incorrect_cvc",
      decline_code: "incorrect_cvc",
      param: "cvc",
      advice_code: "confirm_card_data",
      message: "Your card's security code is incorrect.",
    },
  }),
  // A card_error (402) on Stripe even though retrying can succeed; callers classify it.
  pm_card_chargeDeclinedProcessingError: visa("0119", {
    decline: {
      code: "processing_error",
      decline_code: "processing_error",
      advice_code: "try_again_later",
      message: "An error occurred while processing your card. Try again in a little bit.",
    },
  }),
  pm_card_authenticationRequired: visa("3184", { requiresAction: true }),
  pm_card_processing: visa("0341", { processing: true }),
};

export function lookupTestCard(token: string): TestCard | undefined {
  return Object.hasOwn(TEST_CARDS, token) ? TEST_CARDS[token] : undefined;
}
