/**
 * Everything the Adyen mode remembers, in one object a test can inspect or reset. The generic
 * parts are the Stripe mode's own classes (ledger, request log, idempotency store, faults,
 * clock, webhook dispatcher); only the payments and their notifications are Adyen's.
 */
import { emptyConfig, type FaultConfig, type RuleHits } from "../faults.ts";
import { IdempotencyStore } from "../idempotency.ts";
import { ChargeLedger } from "../ledger.ts";
import { RequestLog } from "../request-log.ts";
import { mulberry32, type Rng } from "../rng.ts";
import { WebhookDispatcher, type WebhookSettings } from "../webhooks.ts";
import { notificationBody, notificationItem, type AdyenEvent } from "./notifications.ts";
import { AdyenPayments } from "./payments.ts";

/** Adyen keeps idempotency keys at least 31 days (docs.adyen.com/development-resources/api-idempotency). */
export const ADYEN_KEY_TTL_MS = 31 * 24 * 60 * 60 * 1000;
/** "a unique identifier for the message with a maximum of 64 characters" (same page). */
export const ADYEN_MAX_KEY_LENGTH = 64;

export type AdyenState = {
  readonly payments: AdyenPayments;
  readonly idempotency: IdempotencyStore;
  readonly ledger: ChargeLedger;
  readonly requests: RequestLog;
  readonly faults: FaultConfig;
  readonly ruleHits: RuleHits;
  readonly clock: { offsetMs: number };
  readonly webhooks: WebhookDispatcher;
  /** When set, other merchant accounts get 403 901 Invalid Merchant Account. */
  readonly merchantAccounts: ReadonlySet<string> | null;
  now: () => number;
  rng: Rng;
  psp: () => string;
  settle(): void;
  afterClockAdvance(): void;
  reset(): void;
};

const PSP_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** 16 characters, like Adyen's pspReference (e.g. `QFQTPCQ8HXSKGK82`); seeded, so a run can be replayed. */
function makePsp(rng: Rng): () => string {
  return () => Array.from({ length: 16 }, () => PSP_ALPHABET[Math.floor(rng() * PSP_ALPHABET.length)]).join("");
}

export type AdyenStateOptions = {
  seed: number;
  faults?: FaultConfig;
  webhooks?: WebhookSettings | null;
  merchantAccounts?: readonly string[];
  realNow: () => number;
};

export function createAdyenState(opts: AdyenStateOptions): AdyenState {
  const initial = structuredClone(opts.faults ?? emptyConfig());
  const clock = { offsetMs: 0 };
  const now = () => opts.realNow() + clock.offsetMs;
  const ledger = new ChargeLedger();
  const webhooks = new WebhookDispatcher();
  webhooks.configure(opts.webhooks ?? null);
  const emit = (e: AdyenEvent) =>
    webhooks.enqueue({ type: e.eventCode, objectId: e.pspReference, paymentId: e.paymentId }, (secret) => ({
      body: notificationBody([notificationItem(e, secret)]),
      headers: { "Content-Type": "application/json" },
    }));
  const state: AdyenState = {
    payments: new AdyenPayments({ psp: () => state.psp(), now, ledger, emit }),
    idempotency: new IdempotencyStore(ADYEN_KEY_TTL_MS),
    ledger,
    requests: new RequestLog(),
    faults: structuredClone(initial),
    ruleHits: new WeakMap(),
    clock,
    webhooks,
    merchantAccounts: opts.merchantAccounts && opts.merchantAccounts.length > 0 ? new Set(opts.merchantAccounts) : null,
    now,
    rng: mulberry32(opts.seed),
    psp: makePsp(mulberry32(opts.seed ^ 0x9e3779b9)),
    settle: () => state.payments.settleAll(),
    afterClockAdvance: () => state.payments.settleAll(),
    reset() {
      state.payments.clear();
      state.idempotency.clear();
      state.ledger.clear();
      state.requests.clear();
      state.webhooks.clear();
      state.webhooks.configure(opts.webhooks ?? null);
      clock.offsetMs = 0;
      Object.assign(state.faults, structuredClone(initial));
      state.rng = mulberry32(opts.seed);
      state.psp = makePsp(mulberry32(opts.seed ^ 0x9e3779b9));
    },
  };
  return state;
}
