/** Everything the simulator remembers, in one object a test can inspect or reset. */
import { emptyConfig, type FaultConfig, type RuleHits } from "./faults.ts";
import { IdempotencyStore } from "./idempotency.ts";
import { ChargeLedger } from "./ledger.ts";
import { PaymentIntents } from "./payment-intents.ts";
import { Refunds } from "./refunds.ts";
import { RequestLog } from "./request-log.ts";
import { makeIds, mulberry32, type Rng } from "./rng.ts";
import { stripeEventSink } from "./stripe-events.ts";
import { WebhookDispatcher, type WebhookSettings } from "./webhooks.ts";

export type SimulatorState = {
  readonly intents: PaymentIntents;
  readonly refunds: Refunds;
  readonly idempotency: IdempotencyStore;
  readonly ledger: ChargeLedger;
  readonly requests: RequestLog;
  /** Live fault settings; POST /__admin/faults changes them in place. */
  readonly faults: FaultConfig;
  readonly ruleHits: RuleHits;
  /** payment_intent.succeeded / payment_failed and charge.refunded, to the URL POST /__admin/webhooks sets. */
  readonly webhooks: WebhookDispatcher;
  /**
   * The simulator's clock: real time plus an offset that POST /__admin/clock advances, so a
   * test can let 25 hours pass (idempotency keys expire, processing intents settle,
   * authorizations expire after 7 days, asynchronous test refunds change status).
   */
  readonly clock: { offsetMs: number };
  now: () => number;
  /** Fault and latency draws. Ids draw from their own stream so faults stay reproducible. */
  rng: Rng;
  ids: (prefix: string) => string;
  /** Applies what simulated time has done (processing intents, expired authorizations, asynchronous refunds). */
  settle(): void;
  /** Restores the start-up faults, seed and clock and forgets every intent, key, count and request. */
  reset(): void;
};

export function createState(
  seed: number,
  startFaults: FaultConfig | undefined,
  realNow: () => number,
  startWebhooks: WebhookSettings | null = null,
): SimulatorState {
  const initial = structuredClone(startFaults ?? emptyConfig());
  const ledger = new ChargeLedger();
  const clock = { offsetMs: 0 };
  const now = () => realNow() + clock.offsetMs;
  const ids = (p: string) => state.ids(p);
  const webhooks = new WebhookDispatcher();
  webhooks.configure(startWebhooks);
  // Event ids draw from a stream of their own, so the other ids stay what they were without webhooks.
  let eventIds = makeIds(mulberry32(seed ^ 0x5bd1e995));
  const events = stripeEventSink(webhooks, () => eventIds("evt"), now);
  const intents = new PaymentIntents({ ids, now, ledger, events });
  const state: SimulatorState = {
    ledger,
    idempotency: new IdempotencyStore(),
    intents,
    refunds: new Refunds({ ids, now, ledger, intents, events }),
    requests: new RequestLog(),
    faults: structuredClone(initial),
    ruleHits: new WeakMap(),
    webhooks,
    clock,
    now,
    rng: mulberry32(seed),
    ids: makeIds(mulberry32(seed ^ 0x9e3779b9)),
    settle() {
      state.intents.settleAll();
      state.refunds.settleAll();
    },
    reset() {
      state.intents.clear();
      state.refunds.clear();
      state.idempotency.clear();
      state.ledger.clear();
      state.requests.clear();
      webhooks.clear();
      webhooks.configure(startWebhooks);
      eventIds = makeIds(mulberry32(seed ^ 0x5bd1e995));
      clock.offsetMs = 0;
      Object.assign(state.faults, structuredClone(initial));
      state.rng = mulberry32(seed);
      state.ids = makeIds(mulberry32(seed ^ 0x9e3779b9));
    },
  };
  return state;
}
