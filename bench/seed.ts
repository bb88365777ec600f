/**
 * Seeds history into the local stack's database, for the growth benchmark: decided
 * payments of the dev merchant spread over the past `SEED_DAYS` days, each with what a real
 * one leaves behind and keeps (its attempt, its merchant event, its sent-mail claim).
 *
 *   SEED_PAYMENTS=1000000 bun bench/seed.ts     # SEED_DAYS=30 SEED_BATCH=50000
 *
 * Generated in the database (INSERT … SELECT over generate_series), one transaction per
 * batch so the replica keeps pace; ids are time-ordered like the API's (UUIDv7 layout:
 * 48-bit milliseconds, then random bits), so the seeded rows sit where history would. Then
 * ANALYZE, so the planner sees the tables as they are.
 */
import postgres from "postgres";
import { loadStackEnv } from "../shared/config.ts";
import { API_VERSION } from "../shared/merchant-events/schema.ts";

const total = Number(process.env.SEED_PAYMENTS ?? 1_000_000);
const days = Number(process.env.SEED_DAYS ?? 30);
const batch = Number(process.env.SEED_BATCH ?? 50_000);
const merchant = process.env.SEED_MERCHANT ?? "mer_dev";
const db = postgres(loadStackEnv().DATABASE_URL, { max: 1, onnotice: () => {} });

const started = performance.now();
// Timestamps run from `days` ago up to an hour ago, evenly; ids follow them.
const spanMs = days * 86_400_000 - 3_600_000;
for (let from = 0; from < total; from += batch) {
  const n = Math.min(batch, total - from);
  await db.begin(async (tx) => {
    await tx`
      CREATE TEMP TABLE seed ON COMMIT DROP AS
      SELECT i,
             t,
             'pay_' || lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7' || substr(md5('pay' || i || ${started}), 1, 19) AS pid,
             'evt_' || lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7' || substr(md5('evt' || i || ${started}), 1, 19) AS eid,
             i % 10 <> 0 AS approved,
             CASE WHEN i % 2 = 0 THEN 'stripe' ELSE 'adyen' END AS connector
        FROM generate_series(${from}::bigint, ${from + n - 1}::bigint) AS i,
             LATERAL (SELECT now() - make_interval(secs => ${days * 86_400} - (i::float8 * ${spanMs / 1000} / ${total})) AS t) ts`;
    await tx`
      INSERT INTO payments (id, merchant_id, status, amount, currency, payment_method, customer_email, customer_name,
                            decline_code, gateway_ref, connector, amount_captured, created_at, updated_at, decided_at)
      SELECT pid, ${merchant}, CASE WHEN approved THEN 'APPROVED' ELSE 'DENIED' END, 1000 + (i % 9000)::int, 'EUR',
             CASE WHEN approved THEN 'pm_card_visa' ELSE 'pm_card_chargeDeclined' END, 'seed' || i || '@example.test', 'Seeded Customer',
             CASE WHEN approved THEN NULL ELSE 'card_declined' END, 'ref_' || substr(pid, 5), connector,
             CASE WHEN approved THEN 1000 + (i % 9000)::int ELSE 0 END, t, t + interval '200 ms', t + interval '200 ms'
        FROM seed`;
    await tx`
      INSERT INTO payment_attempts (payment_id, seq, connector, reason, outcome, started_at, finished_at)
      SELECT pid, 1, connector, 'route', CASE WHEN approved THEN 'approved' ELSE 'denied' END, t + interval '50 ms', t + interval '200 ms' FROM seed`;
    await tx`
      INSERT INTO events (id, merchant_id, type, payment_id, api_version, created_at, body)
      SELECT eid, ${merchant}, CASE WHEN approved THEN 'payment.approved' ELSE 'payment.denied' END, pid, ${API_VERSION}, t + interval '200 ms',
             json_build_object('id', eid, 'type', CASE WHEN approved THEN 'payment.approved' ELSE 'payment.denied' END, 'data', json_build_object('id', pid))::text
        FROM seed`;
    await tx`
      INSERT INTO notifications (payment_id, status, message_id, state, claimed_at, sent_at)
      SELECT pid, CASE WHEN approved THEN 'APPROVED' ELSE 'DENIED' END, '<' || pid || '@seed.payments.local>', 'sent', t + interval '250 ms', t + interval '300 ms'
        FROM seed`;
  });
  process.stderr.write(`[bench:seed] ${(from + n).toLocaleString("en")} of ${total.toLocaleString("en")} payments\n`);
}
await db`ANALYZE payments, payment_attempts, events, notifications`;
const [c] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM payments`;
console.log(
  `seeded ${total.toLocaleString("en")} payments in ${((performance.now() - started) / 1000).toFixed(1)} s; the database holds ${c!.n.toLocaleString("en")}`,
);
await db.end();
