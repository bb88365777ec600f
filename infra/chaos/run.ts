#!/usr/bin/env bun
/**
 * Chaos run: `bun run chaos [short|long|cluster]`.
 *
 * A steady load of payments flows through Caddy, split between the two connectors
 * (Stripe and Adyen, each the other's failover), while both simulators inject
 * transient gateway faults and the run kills services, restarts the broker and
 * the Postgres primary, stops Mailpit and FerretDB for a while, and closes each
 * gateway in turn. Then it lets the system drain and checks the invariants, one
 * numbered line each; the exit code is non-zero if any fails. `short` (CI) takes
 * a few minutes. `cluster` brings the stack up in its cluster profile and runs the short
 * load against it with the faults and checks of cluster.ts (three Kafka nodes, two
 * instances of each stream service, a synchronous Postgres standby and a failover).
 */
import { chaosProfile } from "./profile.ts";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import postgres from "postgres";
import { loadStackEnv } from "../../shared/config.ts";
import { createMerchant } from "../../api/merchants/repo.ts";
import { DEV_MERCHANT_KEY, DEV_OPS_KEY, LOCAL_WEBHOOK_SECRETS } from "../stack/components/index.ts";
import { postPayment, publicFetch } from "../stack/public-api.ts";
import { clusterSchedule, fullyReplicated, syncCommit } from "./cluster.ts";
import { closeGateway, killService, schedule } from "./faults.ts";
import { startReceiver } from "../../test/webhooks/receiver.ts";
import {
  auditPerRequest,
  consumerLag,
  doubleCharges,
  drained,
  lost,
  moneyMatchesLedger,
  paymentRows,
  quarantined,
  reconciled,
  resultsAndEmails,
  unsettled,
  webhooksDelivered,
  type Check,
} from "./invariants.ts";
import { runLoad } from "./load.ts";

const PROFILES = {
  short: { rate: 15, seconds: 90, scale: 1, drainSeconds: 420 },
  long: { rate: 40, seconds: 900, scale: 10, drainSeconds: 900 },
  // Three JVMs, two Postgres nodes and twelve stream processes share the two cores: a lighter load.
  cluster: { rate: 10, seconds: 90, scale: 1, drainSeconds: 420 },
} as const;
const profileName = chaosProfile as keyof typeof PROFILES;
const profile = PROFILES[profileName];
if (!profile) {
  console.error("usage: bun run chaos [short|long|cluster]");
  process.exit(2);
}
const log = (msg: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const env = loadStackEnv();
const admin = (base: string) => (path: string, body?: unknown) =>
  fetch(`${base}/__admin/${path}`, {
    method: body === undefined ? "DELETE" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const sim = admin(env.STRIPE_API_BASE);
const adyen = admin(env.ADYEN_API_BASE);
const devApi = (method: string, path: string, body?: unknown) =>
  publicFetch(path, {
    method,
    headers: { authorization: `Bearer ${DEV_MERCHANT_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const cluster = profileName === "cluster";
const up = spawnSync(process.execPath, [join(import.meta.dir, "../stack/cli.ts"), "up", ...(cluster ? ["--profile", "cluster"] : [])], { stdio: "inherit" });
if (up.status !== 0) process.exit(1);

const db = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
const mongo = new MongoClient(env.MONGO_URL, { serverSelectionTimeoutMS: 10_000 });

log(`profile ${profileName}: ${profile.rate} payments/s for ${profile.seconds} s; transient gateway faults on`);
// Old dead letters: a merchant whose payments are charged on the first try, the answer lost,
// and then refused by the gateway until they are dead-lettered. After the run the gateway's
// clock moves past its 24-hour key window and an operator replays them.
const OLD_LETTERS = 5;
const oldMerchant = await createMerchant(db as never, "Chaos: old dead letters");
const byOld = { merchant_id: oldMerchant.merchantId };
// Their webhooks are lost at the gateway, so only the operator's replay can settle them.
const stripeWebhooks = (skipMerchants: string[]) =>
  sim("webhooks", { url: `${env.PUBLIC_URL}/webhooks/stripe`, secret: LOCAL_WEBHOOK_SECRETS.stripe, retries: 20, skipMerchants });
await stripeWebhooks([oldMerchant.merchantId]);
const transient = {
  latency: { meanMs: 20, jitterMs: 10 },
  rates: { "500": 0.03, "503": 0.03, "429": 0.02, reset: 0.02, hang: 0.01 },
  phase: "mixed",
  hangMs: 12_000,
};
await sim("faults", {
  ...transient,
  rules: [
    { match: byOld, kind: "500", phase: "after", times: 1 },
    { match: byOld, kind: "401" },
  ],
});
await adyen("faults", transient);
// The load's merchant splits its payments between the connectors, each the other's failover.
const routingBefore = (await (await devApi("GET", "/v1/routing")).json()) as { rules: unknown[]; failover_soft_declines: boolean };
const routed = await devApi("PUT", "/v1/routing", {
  rules: [
    {
      split: [
        { connector: "stripe", percent: 50 },
        { connector: "adyen", percent: 50 },
      ],
    },
  ],
  failover_soft_declines: false,
});
if (routed.status !== 200) throw new Error(`routing the chaos load: ${routed.status} ${await routed.text()}`);

// A merchant webhook endpoint for the dev merchant, served by this process on loopback.
// An earlier run that did not finish may have left its own behind: it goes first.
const stale = (await (await devApi("GET", "/v1/webhook_endpoints?limit=100")).json()) as { data?: { id: string; description: string | null }[] };
for (const e of stale.data ?? []) if (e.description === "chaos run") await devApi("DELETE", `/v1/webhook_endpoints/${e.id}`);
let secret = "";
const rx = await startReceiver({ secrets: () => [secret] });
const endpointRes = await publicFetch("/v1/webhook_endpoints", {
  method: "POST",
  headers: { authorization: `Bearer ${DEV_MERCHANT_KEY}`, "idempotency-key": crypto.randomUUID(), "content-type": "application/json" },
  body: JSON.stringify({ url: rx.url, enabled_events: ["*"], description: "chaos run" }),
});
const endpoint = (await endpointRes.json()) as { id: string; secret: string };
if (endpointRes.status !== 201) throw new Error(`creating the chaos webhook endpoint: ${endpointRes.status} ${JSON.stringify(endpoint)}`);
secret = endpoint.secret;

// The run's outbox rows come after this one.
const [outboxFloor] = await db<{ id: string }[]>`SELECT coalesce(max(id), 0)::text AS id FROM outbox`;
const outboxAfter = outboxFloor!.id;
const abort = new AbortController();
const started = Date.now();
const oldIds: string[] = [];
for (let i = 0; i < OLD_LETTERS; i++) {
  const res = await postPayment(
    { amount: 1234, currency: "EUR", payment_method: "pm_card_visa", customer: { email: `old-${i}@example.test` } },
    { apiKey: oldMerchant.apiKey },
  );
  if (res.status === 201) oldIds.push(((await res.json()) as { id: string }).id);
}
// Poison in the outbox while the load flows: a topic that does not exist and a record over the broker's limit.
const poisoned = (
  await db<{ id: string }[]>`
    INSERT INTO outbox (topic, key, payload, payload_bytes)
    VALUES ('chaos.no.such.topic', 'chaos-poison-1', '{}'::jsonb, NULL), ('payments.results', 'chaos-poison-2', NULL, ${Buffer.alloc(2_000_000, 0x61)})
    RETURNING id::text`
).map((r) => r.id);
const load = runLoad(profile.rate, profile.seconds, abort.signal);
const faultErrors: string[] = [];
const faultList = cluster ? clusterSchedule(profile.scale, log, killService, closeGateway) : schedule(profile.scale);
const faults = (async () => {
  for (const f of faultList) {
    const wait = started + f.at * 1000 - Date.now();
    if (wait > 0) await Bun.sleep(wait);
    log(`fault: ${f.name}`);
    const t0 = Date.now();
    await f.run().then(
      () => log(`fault done: ${f.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`),
      (e: unknown) => {
        faultErrors.push(`${f.name}: ${e instanceof Error ? e.message : String(e)}`);
        log(`fault FAILED: ${faultErrors.at(-1)?.split("\n")[0]}`);
      },
    );
  }
})();
const [stats] = await Promise.all([load, faults]);
await Promise.all([sim("faults"), adyen("faults")]);
log(
  `load done: ${stats.created.length} answered 201, ${stats.rejected} rejected, ${stats.gaveUp} gave up after retries, ${stats.retries} retried requests; ` +
    `${stats.reads} reads, ${stats.failedReads} failed; captures and refunds: ${stats.commands.accepted} accepted, ${stats.commands.refused} refused (409), ${stats.commands.unanswered} unanswered`,
);

// Drain: every payment final or dead-lettered, every final one mailed, outbox empty, no lag.
const ids = stats.created.map((c) => c.id);
const deadline = Date.now() + profile.drainSeconds * 1000;
// Each poll reads only the payments still owing something; before leaving, one read of all
// of them confirms it (a refund that succeeded late owes a mail again).
let owing = ids;
for (;;) {
  const polled = await paymentRows(db, owing, outboxAfter);
  owing = owing.filter((id) => unsettled(polled.get(id)));
  if (owing.length === 0) {
    const all = await paymentRows(db, ids, outboxAfter);
    owing = ids.filter((id) => unsettled(all.get(id)));
  }
  const open = owing.length;
  const [o] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND quarantined_at IS NULL`;
  const [c] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM payment_commands WHERE state = 'pending' AND payment_id = ANY(${ids})`;
  const [w] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = ${endpoint.id} AND state = 'pending'`;
  const lag = await consumerLag();
  if (open === 0 && o?.n === 0 && c?.n === 0 && w?.n === 0 && lag === 0) break;
  if (Date.now() > deadline) {
    log(`drain timed out: ${open} payments not settled, ${c?.n} commands pending, ${w?.n} webhooks pending, ${o?.n} outbox rows, lag ${lag}`);
    break;
  }
  log(`draining: ${open} payments not settled yet, ${c?.n} commands pending, ${w?.n} webhooks pending, ${o?.n} outbox rows, lag ${lag}`);
  await Bun.sleep(5_000);
}

// Reconciled before the old dead letters move the Stripe simulator's clock a day on.
const rows = await paymentRows(db, ids, outboxAfter);
const reconciliation = await reconciled(
  db,
  ids.filter((id) => rows.get(id)?.settled),
  new Date(started - 60_000),
);
// The old dead letters: the gateway has forgotten their keys; replaying them must find the charge, not make another.
const oldLetters = await oldDeadLetters();

const checks: Check[] = [
  lost(stats.created, rows),
  await doubleCharges(stats.created, rows),
  await resultsAndEmails(stats.created, rows),
  await auditPerRequest(mongo, [...ids, ...oldIds], new Date(started - 1_000)),
  await drained(db),
  await quarantined(db, poisoned),
  oldLetters,
  await moneyMatchesLedger(db, ids),
  reconciliation,
  await webhooksDelivered(db, rx, endpoint.id, ids),
  {
    name: "reads answered",
    ok: stats.failedReads === 0 && stats.reads === stats.created.length,
    detail: `${stats.reads} of ${stats.created.length} payments read back by id through the replica stop and every other fault; ${stats.failedReads} reads failed with a 500 or no answer in 60 s`,
  },
  {
    name: "faults injected",
    ok: faultErrors.length === 0,
    detail: faultErrors.length ? faultErrors.join("; ") : `${faultList.length} faults, all carried out`,
  },
  {
    name: "load answered",
    ok: stats.created.length > 0 && stats.gaveUp === 0 && stats.commands.unanswered === 0 && stats.commands.accepted > 0,
    detail: `${stats.created.length} created, ${stats.commands.accepted} captures and refunds accepted; ${stats.gaveUp + stats.commands.unanswered} requests without a definite answer after 60 s of retries`,
  },
  ...(cluster ? [await fullyReplicated(), await syncCommit(db)] : []),
];
checks.forEach((c, i) => console.log(`${i + 1}. ${c.ok ? "PASS" : "FAIL"} ${c.name}: ${c.detail}`));
const failed = checks.filter((c) => !c.ok).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
rx.stop();
// The endpoint goes with its receiver: left enabled, every later payment of the dev merchant
// would queue deliveries to a closed port and retry them for days.
await devApi("DELETE", `/v1/webhook_endpoints/${endpoint.id}`);
await devApi("PUT", "/v1/routing", { rules: routingBefore.rules, failover_soft_declines: routingBefore.failover_soft_declines });
await stripeWebhooks([]);
await Promise.all([db.end(), mongo.close()]);
process.exit(failed === 0 ? 0 : 1);

async function oldDeadLetters(): Promise<Check> {
  const name = "old dead letters replayed after the gateway's key window";
  const letters = await waitFor(async () => {
    const r = await db<{ id: string; key: string }[]>`SELECT DISTINCT ON (key) id::text, key FROM dead_letters WHERE key = ANY(${oldIds}) ORDER BY key, id`;
    return r.length === oldIds.length ? r : undefined;
  }, 120_000);
  if (!letters) return { name, ok: false, detail: `only some of ${oldIds.length} payments reached the DLQ` };
  const before = (await (await fetch(`${env.STRIPE_API_BASE}/__admin/charges`)).json()) as { byPaymentId: Record<string, number> };
  await fetch(`${env.STRIPE_API_BASE}/__admin/clock`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ advanceMs: 25 * 3_600_000 }),
  });
  for (const l of letters) {
    const res = await publicFetch(`/ops/dead-letters/${l.id}/replay`, { method: "POST", headers: { authorization: `Bearer ${DEV_OPS_KEY}` } });
    if (res.status !== 200) return { name, ok: false, detail: `replay of dead letter ${l.id} through /ops answered ${res.status}` };
  }
  const final = await waitFor(async () => {
    const r = await db<{ id: string; status: string }[]>`SELECT id, status FROM payments WHERE id = ANY(${oldIds}) AND status <> 'PENDING'`;
    return r.length === oldIds.length ? r : undefined;
  }, 120_000);
  const after = (await (await fetch(`${env.STRIPE_API_BASE}/__admin/charges`)).json()) as { byPaymentId: Record<string, number> };
  const approved = final?.filter((r) => r.status === "APPROVED").length ?? 0;
  const chargedBefore = oldIds.filter((id) => before.byPaymentId[id] === 1).length;
  const chargedAgain = oldIds.filter((id) => (after.byPaymentId[id] ?? 0) !== 1).length;
  return {
    name,
    ok: approved === oldIds.length && chargedBefore === oldIds.length && chargedAgain === 0,
    detail: `${oldIds.length} charged once and dead-lettered; replayed through /ops 25 simulated hours later: ${approved} APPROVED, ${chargedAgain} not charged exactly once`,
  };
}

async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined || Date.now() > deadline) return v;
    await Bun.sleep(1_000);
  }
}
