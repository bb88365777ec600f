/** Everything the simulator remembers, in one object a test can inspect or reset. */
import { emptyConfig, type FaultConfig } from "./faults.ts";
import { IdempotencyStore } from "./idempotency.ts";
import { ChargeLedger } from "./ledger.ts";
import { PaymentIntents } from "./payment-intents.ts";
import { makeIds, mulberry32, type Rng } from "./rng.ts";

export type SimulatorState = {
  readonly intents: PaymentIntents;
  readonly idempotency: IdempotencyStore;
  readonly ledger: ChargeLedger;
  /** Live fault settings; POST /__admin/faults changes them in place. */
  readonly faults: FaultConfig;
  /** Fault and latency draws. Ids draw from their own stream so faults stay reproducible. */
  rng: Rng;
  ids: (prefix: string) => string;
  /** Restores the start-up faults and seed and forgets every intent, key and count. */
  reset(): void;
};

export function createState(seed: number, startFaults: FaultConfig | undefined, now: () => number): SimulatorState {
  const initial = structuredClone(startFaults ?? emptyConfig());
  const ledger = new ChargeLedger();
  const state: SimulatorState = {
    ledger,
    idempotency: new IdempotencyStore(),
    intents: new PaymentIntents({ ids: (p) => state.ids(p), now, ledger }),
    faults: structuredClone(initial),
    rng: mulberry32(seed),
    ids: makeIds(mulberry32(seed ^ 0x9e3779b9)),
    reset() {
      state.intents.clear();
      state.idempotency.clear();
      state.ledger.clear();
      Object.assign(state.faults, structuredClone(initial));
      state.rng = mulberry32(seed);
      state.ids = makeIds(mulberry32(seed ^ 0x9e3779b9));
    },
  };
  return state;
}
