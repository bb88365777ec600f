/**
 * The bodies of the modification requests (PaymentCaptureRequest, PaymentCancelRequest,
 * PaymentRefundRequest, PaymentReversalRequest, StandalonePaymentCancelRequest of the library's
 * Checkout v72 typings). Checked before the endpoint: a refusal saves nothing under the key.
 */
import { validation } from "./errors.ts";
import { amount, onlyKnown, requiredStr, str, type Amount, type Json } from "./fields.ts";

export type ModificationKind = "capture" | "cancel" | "refund" | "reversal";
export type ModificationParams = { kind: ModificationKind; merchantAccount: string; reference: string | null; amount: Amount | null };
export type TechnicalCancelParams = { merchantAccount: string; paymentReference: string; reference: string | null };

const words = (s: string) => new Set(s.split(" "));
const FIELDS: Record<ModificationKind, ReadonlySet<string>> = {
  capture: words("amount applicationInfo enhancedSchemeData lineItems merchantAccount platformChargebackLogic reference splits subMerchants"),
  cancel: words("applicationInfo enhancedSchemeData merchantAccount reference"),
  refund: words("amount applicationInfo capturePspReference enhancedSchemeData lineItems merchantAccount merchantRefundReason reference splits store"),
  reversal: words("applicationInfo enhancedSchemeData merchantAccount reference"),
};
const TYPE: Record<ModificationKind, string> = {
  capture: "PaymentCaptureRequest",
  cancel: "PaymentCancelRequest",
  refund: "PaymentRefundRequest",
  reversal: "PaymentReversalRequest",
};
const REFUND_REASONS = new Set(["FRAUD", "CUSTOMER REQUEST", "RETURN", "DUPLICATE", "OTHER"]);

export function parseModification(kind: ModificationKind, body: Json): ModificationParams {
  onlyKnown(TYPE[kind], body, FIELDS[kind]);
  const merchantAccount = requiredStr(body, "merchantAccount", 80);
  const reference = str(body, "reference", 80) ?? null;
  const money = kind === "capture" || kind === "refund" ? amount(body) : null;
  if (money !== null && money.value === 0) throw validation("137", "Invalid amount specified");
  const reason = body.merchantRefundReason;
  if (kind === "refund" && reason !== undefined && reason !== null && (typeof reason !== "string" || !REFUND_REASONS.has(reason))) {
    throw validation("000", `Field 'merchantRefundReason' must be one of ${[...REFUND_REASONS].join(", ")}`);
  }
  return { kind, merchantAccount, reference, amount: money };
}

export function parseTechnicalCancel(body: Json): TechnicalCancelParams {
  onlyKnown("StandalonePaymentCancelRequest", body, words("applicationInfo enhancedSchemeData merchantAccount paymentReference reference"));
  return {
    merchantAccount: requiredStr(body, "merchantAccount", 80),
    paymentReference: requiredStr(body, "paymentReference", 80),
    reference: str(body, "reference", 80) ?? null,
  };
}
