/**
 * The Checkout API routes the simulator answers, as @adyen/api-library 32.1.0 calls them
 * (PaymentsApi.payments, ModificationsApi.captureAuthorisedPayment, cancelAuthorisedPaymentByPspReference,
 * refundCapturedPayment, refundOrCancelPayment, cancelAuthorisedPayment):
 *   POST /v{68…72}/payments
 *   POST /v{68…72}/payments/{paymentPspReference}/captures | cancels | refunds | reversals
 *   POST /v{68…72}/cancels                                   (technical cancel by merchant reference)
 * Which payment a request is about (for fault rules and the request log) is resolved here too.
 */
import type { Executed } from "../executed.ts";
import { originalPspReferenceRequired } from "./errors.ts";
import type { Json } from "./fields.ts";
import { modify, technicalCancel } from "./modifications.ts";
import { parseModification, parseTechnicalCancel, type ModificationKind } from "./modification-params.ts";
import { matchFields } from "./payment.ts";
import { parsePayment } from "./payment-params.ts";
import type { AdyenState } from "./state.ts";

/** Checkout API versions accepted; the library pins v72. */
export const VERSIONS = { min: 68, max: 72 };

export type AdyenRoute = { kind: "payments" } | { kind: "modification"; modification: ModificationKind; psp: string } | { kind: "technical_cancel" };

const MODIFICATION: Record<string, ModificationKind> = { captures: "capture", cancels: "cancel", refunds: "refund", reversals: "reversal" };

export function routeOf(method: string, path: string): AdyenRoute | null {
  const m = /^\/v(\d{2})\/(.+)$/.exec(path);
  if (method !== "POST" || !m || Number(m[1]) < VERSIONS.min || Number(m[1]) > VERSIONS.max) return null;
  const rest = m[2]!;
  if (rest === "payments") return { kind: "payments" };
  if (rest === "cancels") return { kind: "technical_cancel" };
  const mod = /^payments\/([^/]+)\/(captures|cancels|refunds|reversals)$/.exec(rest);
  return mod ? { kind: "modification", modification: MODIFICATION[mod[2]!]!, psp: decodeURIComponent(mod[1]!) } : null;
}

/** Parses and checks now (refusals are not saved under the key) and returns the endpoint to run. */
export function endpoint(route: AdyenRoute, body: Json, state: AdyenState, key: string | null): () => Executed {
  switch (route.kind) {
    case "payments": {
      const p = parsePayment(body);
      return () => state.payments.authorise(p, key);
    }
    case "modification": {
      const p = parseModification(route.modification, body);
      const payment = state.payments.find(route.psp);
      // An unknown reference, a modification's own reference, or another merchant account's payment.
      if (!payment || payment.merchantAccount !== p.merchantAccount) throw originalPspReferenceRequired();
      return () => modify(state.payments, payment, p, key);
    }
    case "technical_cancel": {
      const p = parseTechnicalCancel(body);
      return () => technicalCancel(state.payments, p);
    }
  }
}

/** The request's payment for fault rules and the request log: its merchant reference, metadata and payment id. */
export function matchOf(route: AdyenRoute | null, body: Json | null, state: AdyenState): Record<string, string> | null {
  if (route === null || body === null) return null;
  if (route.kind === "payments") {
    if (typeof body.reference !== "string") return null;
    const meta = typeof body.metadata === "object" && body.metadata !== null ? (body.metadata as Json) : {};
    const strings = Object.fromEntries(Object.entries(meta).filter((e): e is [string, string] => typeof e[1] === "string"));
    return matchFields({ merchantReference: body.reference, metadata: strings });
  }
  if (route.kind === "modification") {
    const p = state.payments.find(route.psp);
    return p ? matchFields(p) : null;
  }
  const ref = body.paymentReference;
  if (typeof ref !== "string") return null;
  const p = state.payments.byReference(ref).at(-1);
  return p ? matchFields(p) : { merchantReference: ref, payment_id: ref };
}
