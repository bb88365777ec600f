/**
 * Two dispatchers share the load; one is SIGKILLed mid-load and a replacement starts. Every
 * event is delivered; a duplicate can only be an attempt whose answer was lost with the
 * process (the lease ran out and another dispatcher sent it again), and carries the same
 * event id; the count is printed. The order per payment holds throughout.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Sql } from "../../shared/db/client.ts";
import { startReceiver, type Receiver } from "./receiver.ts";
import {
  attemptLog,
  deliveries,
  eventually,
  kill,
  newPaymentId,
  openDb,
  ready,
  seedEndpoint,
  seedMerchant,
  startDispatcher,
  uniquePool,
  writeEvent,
  type Dispatcher,
} from "./tools.ts";

let sql: Sql;
let rx: Receiver;
const procs: Dispatcher[] = [];
let secret = "";

beforeAll(async () => {
  sql = await openDb();
  rx = await startReceiver({
    secrets: () => [secret],
    respond: async () => {
      await Bun.sleep(30 + Math.floor(Math.random() * 40)); // slow enough that attempts are in flight at the kill
      return 200;
    },
  });
});
afterAll(async () => {
  for (const p of procs) await kill(p, "SIGKILL");
  rx.stop();
  await sql.end({ timeout: 5 });
}, 60_000); // a graceful stop of a dispatcher may take its drain time

test("SIGKILL of a dispatcher mid-load: every event delivered, duplicates only with the same event id", async () => {
  const pool = uniquePool("crash");
  const merchantId = await seedMerchant(sql, "Crash Shop");
  const ep = await seedEndpoint(sql, { merchantId, url: rx.url, pool });
  secret = ep.secret;
  const env = {
    WEBHOOK_POOL: pool,
    PAYORCH_DEV_MODE: "1",
    WEBHOOK_RETRY_SCHEDULE: "500ms,1s",
    WEBHOOK_GIVE_UP_AFTER: "10m",
    WEBHOOK_CONCURRENCY: "8",
    WEBHOOK_POLL_MS: "100",
    // A lease of 2 s + 1 s: a dead dispatcher's attempts are taken over quickly.
    WEBHOOK_TIMEOUT_MS: "2000",
    WEBHOOK_LEASE_MARGIN_MS: "1000",
  };
  const victim = startDispatcher(env, "webhook-dispatcher-victim");
  const survivor = startDispatcher(env, "webhook-dispatcher-survivor");
  procs.push(victim, survivor);
  await Promise.all([ready(victim), ready(survivor)]);

  const expected = new Map<string, string[]>();
  for (let i = 0; i < 150; i++) expected.set(newPaymentId(), []);
  const writing = (async () => {
    for (const type of ["payment.authorized", "payment.captured"] as const) {
      for (const [p, ids] of expected) ids.push(await writeEvent(sql, merchantId, p, type));
    }
  })();
  const all = () => [...expected.values()].flat();

  await eventually("a third of the events delivered", () => rx.accepted().length >= 100 || undefined, 60_000, 20);
  const inFlightAtKill = (
    await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM webhook_deliveries WHERE pool = ${pool} AND state = 'pending' AND leased_until > now()`
  )[0]!.n;
  await kill(victim, "SIGKILL");
  procs.push(startDispatcher(env, "webhook-dispatcher-replacement"));
  await writing;

  const events = all();
  expect(events.length).toBe(300);
  await eventually(
    "every event delivered",
    async () => (await deliveries(sql, events)).filter((d) => d.state === "delivered").length === events.length || undefined,
    120_000,
    250,
  );

  const duplicates = rx.duplicates();
  const extra = [...duplicates.values()].reduce((s, n) => s + n - 1, 0);
  const interrupted = (await attemptLog(sql, events)).filter((a) => a.outcome === "interrupted").length;
  console.log(
    `[webhook kill test] ${events.length} events; ${rx.accepted().length} deliveries accepted; leased at the kill: ${inFlightAtKill}; ` +
      `duplicated events: ${duplicates.size} (${extra} extra); attempts marked interrupted: ${interrupted}`,
  );
  expect(rx.acceptedEventIds()).toEqual(new Set(events));
  // A duplicate is the same event again (header and body agree, signature valid), never a different one.
  expect(rx.badRequests()).toEqual([]);
  // Only attempts in flight when the process died can have been sent twice.
  expect(extra).toBeLessThanOrEqual(Math.max(inFlightAtKill, 8));
  expect(rx.orderViolations(expected)).toEqual([]);
  expect(victim.child.signalCode).toBe("SIGKILL");
}, 240_000);
