/**
 * The delivery loop: keeps up to `concurrency` attempts in flight, claiming due lane heads
 * from Postgres (several dispatchers share the table: SKIP LOCKED and leases). It claims
 * when an attempt ends, when the intake created deliveries (wake), and every `pollMs`
 * (another dispatcher's intake, retries coming due). Days-long retry delays live in the
 * rows, so nothing here holds a Kafka partition or a timer per delivery.
 */
import type { Logger } from "../../shared/logger.ts";
import type { DispatcherMetrics } from "./metrics.ts";
import type { AttemptResult, Claimed, DispatcherStore, Settled } from "./store.ts";

export type DeliveryLoopDeps = {
  store: Pick<DispatcherStore, "claim" | "settle">;
  send: (c: Claimed) => Promise<AttemptResult>;
  concurrency: number;
  pollMs: number;
  metrics: DispatcherMetrics;
  log: Logger;
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function startDeliveryLoop(deps: DeliveryLoopDeps) {
  let inFlight = 0;
  let claiming = false;
  let again = false;
  let stopping = false;
  let failures = 0;
  const running = new Set<Promise<void>>();
  const idle: (() => void)[] = [];

  async function attempt(c: Claimed): Promise<void> {
    const log = deps.log.child({ eventId: c.eventId, endpointId: c.endpointId, paymentId: c.paymentId, attempt: c.attempt });
    let result: AttemptResult;
    try {
      result = await deps.send(c);
    } catch (err) {
      result = { outcome: "failed", statusCode: null, durationMs: 0, error: `dispatcher error: ${(err as Error).message}` };
      log.error({ err }, "webhook attempt threw");
    }
    deps.metrics.seconds.observe({ outcome: result.outcome }, result.durationMs / 1000);
    // The result must reach Postgres; while it cannot, keep trying within the lease.
    let settled: Settled | undefined;
    for (let i = 0; settled === undefined; i++) {
      try {
        settled = await deps.store.settle(c, result);
      } catch (err) {
        if (i >= 8) {
          log.error({ err }, "could not record a webhook attempt; its lease will run out and it is tried again");
          return;
        }
        await sleep(Math.min(5_000, 100 * 2 ** i));
      }
    }
    switch (settled.kind) {
      case "delivered":
        deps.metrics.deliveries.inc({ outcome: "delivered" });
        deps.metrics.latency.observe(settled.latencyMs / 1000);
        log.info({ status: (result as { statusCode: number }).statusCode, ms: Math.round(result.durationMs) }, "webhook delivered");
        break;
      case "retry":
        deps.metrics.deliveries.inc({ outcome: "failed" });
        log.info({ error: (result as { error?: string }).error, nextAttemptAt: settled.at.toISOString() }, "webhook failed; will retry");
        break;
      case "dead":
        deps.metrics.deliveries.inc({ outcome: settled.reason === "destination_refused" ? "refused" : "dead" });
        log.error({ error: (result as { error?: string }).error, reason: settled.reason }, "webhook given up for this endpoint");
        break;
      case "lease_lost":
        deps.metrics.leaseLost.inc();
        log.warn({}, "webhook attempt finished after its lease ran out; the delivery's new owner decides");
        break;
    }
  }

  async function pump(): Promise<void> {
    if (claiming) {
      again = true;
      return;
    }
    claiming = true;
    try {
      do {
        again = false;
        const free = deps.concurrency - inFlight;
        if (free <= 0 || stopping) break;
        const claimed = await deps.store.claim(free);
        failures = 0;
        for (const c of claimed) {
          inFlight++;
          const p: Promise<void> = attempt(c).finally(() => {
            inFlight--;
            running.delete(p);
            if (inFlight === 0) for (const f of idle.splice(0)) f();
            if (!stopping) void pump();
          });
          running.add(p);
        }
        if (claimed.length === free) again = true;
      } while (again && !stopping);
    } catch (err) {
      failures++;
      deps.log.warn({ err, failures }, "claiming webhook deliveries failed; trying again");
      await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
    } finally {
      claiming = false;
    }
  }

  const timer = setInterval(() => void pump(), deps.pollMs);
  void pump();

  return {
    /** New deliveries may be due: claim now rather than at the next poll. */
    wake(): void {
      if (!stopping) void pump();
    },
    stats: () => ({ inFlight }),
    /** Stops claiming and waits (at most `graceMs`) for the attempts in flight; the rest run out their lease. */
    async stop(graceMs: number): Promise<void> {
      stopping = true;
      clearInterval(timer);
      if (inFlight === 0) return;
      await Promise.race([new Promise<void>((r) => idle.push(r)), sleep(graceMs)]);
    },
  };
}

export type DeliveryLoop = ReturnType<typeof startDeliveryLoop>;
