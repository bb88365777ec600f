/**
 * Adyen, through the official library (@adyen/api-library, Checkout API v72): a payment with
 * our token as a stored card (POST /payments), and captures, cancels and refunds as
 * modifications of its pspReference. Each call is one HTTP request and one audited
 * exchange, carrying the exchange's id in `Payorch-Exchange-Id` (the library passes request
 * headers through) and the call's key in `Idempotency-Key`.
 *
 * What differs from Stripe, and what each call answers (README.md beside this file):
 * - no payment look-up exists (lookup "replay"): a `retrieve` or `search` sends the payment
 *   request again under the same key; Adyen returns the first answer and charges nothing
 *   (if the first attempt never arrived, the payment happens now, once). Keys are kept
 *   "a minimum period of 31 days after first submission" (docs.adyen.com/development-resources/api-idempotency);
 * - modifications are asynchronous (asyncCommands): a capture or cancel answers
 *   `received` with no payment (payments []: the worker records the command as pending),
 *   a refund answers a pending refund named by the modification's pspReference; each sets
 *   `received` to that pspReference, which the outcome's webhook names (notices.ts);
 * - no refund look-up exists: `retrieve_refund` and `list_refunds` send nothing and answer
 *   a `retry` error: nothing is known, the webhook settles the refund.
 *
 * The library does not retry on its own. Against the simulator (a loopback ADYEN_API_BASE)
 * requests go through LoopbackHttpClient; against Adyen, through the library's own client
 * (node:https, certificates verified) to its TEST environment, never LIVE.
 */
import { CheckoutAPI, Client, EnvironmentEnum, HttpClientException } from "@adyen/api-library";
import type { IRequest } from "@adyen/api-library/lib/src/typings/requestOptions";
import { EXCHANGE_ID_HEADER, type Answer, type Call, type Connector, type GatewayError, type GatewayPayment, type GatewayRefund } from "../types.ts";
import { LoopbackHttpClient } from "./loopback-client.ts";
import { classify, toPayment } from "./normalize.ts";
import { describePrepared, prepare, redact, type Prepared } from "./requests.ts";

export interface AdyenConfig {
  /** Never logged. */
  readonly apiKey: string;
  /** The simulator's loopback URL (http://127.0.0.1:12112); unset means Adyen's test environment. */
  readonly apiBase?: string;
  readonly merchantAccount: string;
  readonly timeoutMs: number;
}

/** Adyen keeps an idempotency key at least 31 days. */
export const ADYEN_KEY_WINDOW_MS = 31 * 24 * 60 * 60 * 1000;

type Sent = {
  payments: GatewayPayment[];
  refunds: GatewayRefund[];
  status: number;
  body: unknown;
  requestId: string | null;
  error?: GatewayError;
  replayed?: boolean;
  received?: string;
};

export function createAdyenGateway(cfg: AdyenConfig): Connector {
  const options = { apiKey: cfg.apiKey, environment: EnvironmentEnum.TEST, connectionTimeoutMillis: cfg.timeoutMs };
  const client = cfg.apiBase ? new Client(options, new LoopbackHttpClient(cfg.apiBase)) : new Client(options);
  const checkout = new CheckoutAPI(client);

  /** A modification's answer is `{ status: "received", pspReference, … }` (HTTP 201): its pspReference is what the webhook will name. */
  async function run(p: Exclude<Prepared, { kind: "local" }>, opts: IRequest.Options): Promise<Sent> {
    switch (p.kind) {
      case "payment": {
        const res = await checkout.PaymentsApi.payments(p.body, opts);
        const payment = toPayment(res, p.charge);
        const sent = { refunds: [], status: 200, body: redact(res), requestId: res.pspReference ?? null };
        if (p.expectedRef === undefined) return { ...sent, payments: [payment] };
        // Within the key's window the replay names the payment we know; another one means the key was forgotten and this was a new payment.
        if (payment.ref === p.expectedRef) return { ...sent, payments: [payment], replayed: true };
        return {
          ...sent,
          payments: [],
          error: {
            class: "fatal",
            code: "replay_mismatch",
            message: `the replay under key ${p.key} answered ${payment.ref}, not ${p.expectedRef}: the key may have expired and a new payment been made; an operator must reconcile`,
            payment,
          },
        };
      }
      case "capture": {
        const res = await checkout.ModificationsApi.captureAuthorisedPayment(p.psp, p.body, opts);
        return { payments: [], refunds: [], status: 201, body: redact(res), requestId: res.pspReference ?? null, received: res.pspReference };
      }
      case "cancel": {
        const res = await checkout.ModificationsApi.cancelAuthorisedPaymentByPspReference(p.psp, p.body, opts);
        return { payments: [], refunds: [], status: 201, body: redact(res), requestId: res.pspReference ?? null, received: res.pspReference };
      }
      case "refund": {
        const res = await checkout.ModificationsApi.refundCapturedPayment(p.psp, p.body, opts);
        return {
          payments: [],
          refunds: [{ ref: res.pspReference, status: "pending", refundId: p.refundId }],
          status: 201,
          body: redact(res),
          requestId: res.pspReference ?? null,
          received: res.pspReference,
        };
      }
    }
  }

  async function send(call: Call, exchangeId: string): Promise<Answer> {
    const p = prepare(call, cfg.merchantAccount);
    if (p.kind === "local") {
      return {
        payments: [],
        refunds: [],
        error: p.error,
        replayed: false,
        response: { status: null, body: { error: { code: p.error.code, message: p.error.message } }, requestId: null },
        durationMs: 0,
      };
    }
    const t0 = performance.now();
    try {
      // A fresh options object each time: the library writes the API key into its headers.
      const sent = await run(p, { idempotencyKey: p.key, headers: { [EXCHANGE_ID_HEADER]: exchangeId } });
      return {
        payments: sent.payments,
        refunds: sent.refunds,
        ...(sent.error ? { error: sent.error } : {}),
        ...(sent.received ? { received: sent.received } : {}),
        replayed: sent.replayed ?? false,
        response: { status: sent.status, body: sent.body, requestId: sent.requestId },
        durationMs: performance.now() - t0,
      };
    } catch (err) {
      const durationMs = performance.now() - t0;
      const error = classify(err, { kind: p.kind === "payment" ? "payment" : "modification", elapsedMs: durationMs, timeoutMs: cfg.timeoutMs });
      const http = err instanceof HttpClientException && err.responseHeaders !== undefined ? err : undefined;
      const body = http
        ? (http.apiError ?? { responseBody: http.responseBody?.slice(0, 2_000) ?? null })
        : { error: { type: "connection", code: error.code, message: error.message } };
      return {
        payments: [],
        refunds: [],
        error,
        replayed: false,
        response: { status: http ? http.statusCode : null, body: redact(body), requestId: http?.apiError?.pspReference ?? null },
        durationMs,
      };
    }
  }

  return {
    name: "adyen",
    lookup: "replay",
    keyWindowMs: ADYEN_KEY_WINDOW_MS,
    asyncCommands: true,
    describe: (call) => describePrepared(prepare(call, cfg.merchantAccount)),
    send,
  };
}
