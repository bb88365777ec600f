/**
 * Adyen's refusal reasons in Stripe's decline-code words, from `refusalReasonCode`, else the
 * `refusalReason` text (webhooks carry only the text). Codes and texts:
 * docs.adyen.com/development-resources/refusal-reasons. Pure, no library import: the
 * webhook side (notices.ts) uses it too.
 */

export type Decline = { readonly declineCode: string; readonly soft?: true };

/** refusalReasonCode → Stripe's decline code (the reason text is the key when a code is missing, as in webhooks). */
const REFUSALS: Readonly<Record<string, readonly [reason: string, decline: Decline]>> = {
  "2": ["Refused", { declineCode: "generic_decline" }],
  "3": ["Referral", { declineCode: "call_issuer" }],
  "4": ["Acquirer Error", { declineCode: "processing_error", soft: true }],
  // Blocked: Adyen does not say lost or stolen; Stripe's word for "reported lost or stolen, or otherwise unusable".
  "5": ["Blocked Card", { declineCode: "pickup_card" }],
  "6": ["Expired Card", { declineCode: "expired_card" }],
  "7": ["Invalid Amount", { declineCode: "invalid_amount" }],
  "8": ["Invalid Card Number", { declineCode: "incorrect_number" }],
  "9": ["Issuer Unavailable", { declineCode: "issuer_not_available", soft: true }],
  "10": ["Not supported", { declineCode: "card_not_supported" }],
  "11": ["3D Not Authenticated", { declineCode: "authentication_required" }],
  "12": ["Not enough balance", { declineCode: "insufficient_funds" }],
  "14": ["Acquirer Fraud", { declineCode: "fraudulent" }],
  "15": ["Cancelled", { declineCode: "generic_decline" }],
  "16": ["Shopper Cancelled", { declineCode: "generic_decline" }],
  "17": ["Invalid Pin", { declineCode: "incorrect_pin" }],
  "18": ["Pin tries exceeded", { declineCode: "pin_try_exceeded" }],
  "20": ["FRAUD", { declineCode: "fraudulent" }],
  "21": ["Not Submitted", { declineCode: "processing_error", soft: true }],
  "22": ["FRAUD-CANCELLED", { declineCode: "fraudulent" }],
  "23": ["Transaction Not Permitted", { declineCode: "transaction_not_allowed" }],
  "24": ["CVC Declined", { declineCode: "incorrect_cvc" }],
  "25": ["Restricted Card", { declineCode: "restricted_card" }],
  "26": ["Revocation Of Auth", { declineCode: "revocation_of_authorization" }],
  "27": ["Declined Non Generic", { declineCode: "generic_decline" }],
  "28": ["Withdrawal amount exceeded", { declineCode: "card_velocity_exceeded" }],
  "29": ["Withdrawal count exceeded", { declineCode: "card_velocity_exceeded" }],
  "31": ["Issuer Suspected Fraud", { declineCode: "fraudulent" }],
  "32": ["AVS Declined", { declineCode: "incorrect_zip" }],
  "38": ["Authentication required", { declineCode: "authentication_required" }],
  "42": ["3DS Authentication Error", { declineCode: "authentication_required" }],
  "46": ["Transaction blocked by Adyen to prevent excessive retry fees", { declineCode: "do_not_try_again" }],
};
const BY_REASON = new Map(Object.values(REFUSALS).map(([reason, d]) => [reason.toLowerCase(), d]));

/** Visa/Mastercard raw answers (additionalData.refusalReasonRaw, when the account returns it) that tell what "Blocked Card" hides. */
const RAW_BLOCKED: Readonly<Record<string, string>> = { "41": "lost_card", "43": "stolen_card" };

/** Why the card said no, from the refusal's code, else its text; unknown reasons are generic declines. */
export function declineOf(code: string | undefined, reason: string | undefined, raw?: string): Decline {
  const d = (code !== undefined && Object.hasOwn(REFUSALS, code) ? REFUSALS[code]![1] : undefined) ?? BY_REASON.get((reason ?? "").trim().toLowerCase());
  if (d?.declineCode === "pickup_card") {
    const rawCode = /^\s*(\d{2})\b/.exec(raw ?? "")?.[1];
    const precise = rawCode !== undefined ? RAW_BLOCKED[rawCode] : undefined;
    if (precise) return { declineCode: precise };
  }
  return d ?? { declineCode: "generic_decline" };
}
