/**
 * A circuit breaker per connector: pure state on an injected clock, no I/O, one per worker
 * process (each instance learns a connector's health from its own calls).
 *
 *   closed ──(`failures` outages in a row, within `windowMs`)──▶ open
 *   open ──(`coolOffMs` passed)──▶ half_open: one probe at a time is allowed
 *   half_open ──ok──▶ closed        half_open ──outage──▶ open (a fresh cool-off)
 *
 * While open, allow() is false and the worker routes around the connector. An outage is a
 * result that says the connector itself is failing (the `not_processed` and `ambiguous`
 * error classes); a decline or any other answer is the connector working, so it is "ok".
 * In half_open any result counts as the probe's (a call from before the circuit opened
 * that ends now says as much about the connector). A probe whose result never comes is
 * given up after `coolOffMs` and the next allow() sends another.
 *
 * Erasable TypeScript only: the Node stream services load this file as it is.
 */
import { Gauge, type Registry } from "prom-client";
import { int, type Env } from "../../shared/env.ts";
import { CONNECTORS, type ConnectorName, type ErrorClass, type GatewayError } from "./types.ts";

export type CircuitState = "closed" | "half_open" | "open";
export type HealthOutcome = "ok" | "outage";

/** The error classes that count against a connector's health. */
export const OUTAGE_CLASSES: readonly ErrorClass[] = ["not_processed", "ambiguous"];

/** A call's result as the breaker sees it: no error, or any error but an outage's, is "ok". */
export const healthOf = (error: Pick<GatewayError, "class"> | undefined): HealthOutcome =>
  error !== undefined && OUTAGE_CLASSES.includes(error.class) ? "outage" : "ok";

export type BreakerConfig = {
  /** Outages in a row that open the circuit. */
  readonly failures: number;
  /** How long an open circuit routes around its connector before a probe. */
  readonly coolOffMs: number;
  /** The run of outages counts only within this long: older ones are forgotten. */
  readonly windowMs: number;
};

export const DEFAULT_BREAKER: BreakerConfig = { failures: 5, coolOffMs: 30_000, windowMs: 60_000 };

export function loadBreakerConfig(env: Env = process.env): BreakerConfig {
  return {
    failures: int(env, "BREAKER_FAILURES", DEFAULT_BREAKER.failures, { min: 1, max: 1000 }),
    coolOffMs: int(env, "BREAKER_COOL_OFF_MS", DEFAULT_BREAKER.coolOffMs, { min: 100, max: 3_600_000 }),
    windowMs: int(env, "BREAKER_WINDOW_MS", DEFAULT_BREAKER.windowMs, { min: 100, max: 3_600_000 }),
  };
}

export type BreakerOptions = Partial<BreakerConfig> & {
  /** Milliseconds; performance.now unless a test's clock. */
  readonly now?: () => number;
  /** Told of every transition (open → half_open included, when it is noticed). */
  readonly onChange?: (connector: ConnectorName, to: CircuitState, from: CircuitState) => void;
};

type Circuit = { state: CircuitState; run: number[]; openedAt: number; probeAt: number | null };

export function createBreakers(opts: BreakerOptions = {}) {
  const failures = opts.failures ?? DEFAULT_BREAKER.failures;
  const coolOffMs = opts.coolOffMs ?? DEFAULT_BREAKER.coolOffMs;
  const windowMs = opts.windowMs ?? DEFAULT_BREAKER.windowMs;
  const now = opts.now ?? (() => performance.now());
  const circuits = new Map<ConnectorName, Circuit>();

  const move = (c: ConnectorName, circuit: Circuit, to: CircuitState, at: number) => {
    const from = circuit.state;
    circuit.state = to;
    circuit.run = [];
    circuit.probeAt = null;
    if (to === "open") circuit.openedAt = at;
    if (from !== to) opts.onChange?.(c, to, from);
  };

  /** The circuit as of now: an open one whose cool-off has passed is half open. */
  const current = (c: ConnectorName, at: number): Circuit => {
    let circuit = circuits.get(c);
    if (!circuit) circuits.set(c, (circuit = { state: "closed", run: [], openedAt: 0, probeAt: null }));
    if (circuit.state === "open" && at - circuit.openedAt >= coolOffMs) move(c, circuit, "half_open", at);
    return circuit;
  };

  /** May a call go to `c` now? In half_open a true is the one probe: call it only for the connector you will use. */
  function allow(c: ConnectorName): boolean {
    const at = now();
    const circuit = current(c, at);
    if (circuit.state === "closed") return true;
    if (circuit.state === "open") return false;
    if (circuit.probeAt !== null && at - circuit.probeAt < coolOffMs) return false;
    circuit.probeAt = at;
    return true;
  }

  /** The result of a call that allow() let through. */
  function record(c: ConnectorName, outcome: HealthOutcome): void {
    const at = now();
    const circuit = current(c, at);
    if (circuit.state === "open") return;
    if (circuit.state === "half_open") {
      move(c, circuit, outcome === "ok" ? "closed" : "open", at);
      return;
    }
    if (outcome === "ok") {
      circuit.run = [];
      return;
    }
    circuit.run = circuit.run.filter((t) => at - t < windowMs);
    circuit.run.push(at);
    if (circuit.run.length >= failures) move(c, circuit, "open", at);
  }

  const state = (c: ConnectorName): CircuitState => current(c, now()).state;

  return { allow, record, state };
}

export type Breakers = ReturnType<typeof createBreakers>;

export const CIRCUIT_STATE_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, half_open: 1, open: 2 };

/**
 * `connector_circuit_state{connector}`: 0 closed, 1 half open, 2 open, for every connector.
 * Read from the breakers at each scrape, so a cool-off that ended shows without a call.
 */
export function createCircuitStateGauge(registry: Registry, breakers: Pick<Breakers, "state">): Gauge<"connector"> {
  return new Gauge({
    name: "connector_circuit_state",
    help: "Circuit breaker state per connector: 0 closed, 1 half open (probing), 2 open (routed around)",
    labelNames: ["connector"] as const,
    registers: [registry],
    collect() {
      for (const connector of CONNECTORS) this.set({ connector }, CIRCUIT_STATE_VALUE[breakers.state(connector)]);
    },
  });
}
