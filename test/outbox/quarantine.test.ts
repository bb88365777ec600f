/**
 * The outbox relay against the real stack: a row the producer refuses for good (a topic
 * that does not exist, a topic name Kafka refuses, a record over the broker's size limit)
 * is quarantined as a dead letter with its error, counted, alerted, and the
 * payments behind it keep flowing; a broker outage is waited out, never quarantined.
 */
import { describe, expect, test } from "bun:test";
import { allComponents } from "../../infra/stack/components/index.ts";
import { OUTBOX_QUARANTINE } from "../../shared/topics.ts";
import { endpoints } from "../setup/endpoints.ts";
import { createPayment, db, eventually, waitFinal } from "../payments/support.ts";

const relayMetric = async (name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${endpoints.METRICS_PORTS["outbox-relay"]}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`))
    .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
};
const quarantinedCount = () => relayMetric("outbox_quarantined_total");

async function insertRow(topic: string, payloadBytes: Buffer, headers: unknown): Promise<string> {
  const [row] = await db<{ id: string }[]>`
    INSERT INTO outbox (topic, key, payload, payload_bytes, headers)
    VALUES (${topic}, ${`poison-${crypto.randomUUID()}`}, NULL, ${payloadBytes}, ${db.json(headers as never)})
    RETURNING id::text`;
  return row!.id;
}

describe("outbox quarantine", () => {
  test("three rows the producer refuses are quarantined while the payments around them are charged", async () => {
    const counted = await quarantinedCount();
    const before = Array.from({ length: 10 }, () => createPayment("pm_card_visa"));
    const poisoned = [
      await insertRow("no.such.topic", Buffer.from("{}"), {}),
      await insertRow("payments.results", Buffer.alloc(2_000_000, 0x61), {}), // over the broker's 1 MiB limit
      await insertRow("payments results!", Buffer.from("{}"), {}), // not a valid topic name
    ];
    const after = Array.from({ length: 10 }, () => createPayment("pm_card_visa"));
    const ids = (await Promise.all([...before, ...after])).map((p) => p.id);
    await waitFinal(ids, 60_000);
    // Not only charged: their rows are marked published, so the backlog drains (nothing re-sent forever).
    await eventually(
      "the valid rows published",
      async () => {
        const [r] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox WHERE key = ANY(${ids}) AND published_at IS NULL`;
        return r!.n === 0 ? true : undefined;
      },
      30_000,
    );

    const rows = await eventually(
      "every poisoned row quarantined",
      async () => {
        const r = await db<{ id: string; published_at: Date | null; quarantined_at: Date | null }[]>`
        SELECT id::text, published_at, quarantined_at FROM outbox WHERE id = ANY(${poisoned}::bigint[])`;
        return r.every((x) => x.quarantined_at !== null) ? r : undefined;
      },
      30_000,
    );
    expect(rows.every((r) => r.published_at === null)).toBe(true);
    const letters = await db<{ offset: string; original_topic: string; error_message: string; headers: Record<string, string> }[]>`
      SELECT "offset"::text, original_topic, error_message, headers FROM dead_letters
       WHERE topic = ${OUTBOX_QUARANTINE} AND "offset" = ANY(${poisoned}::bigint[]) ORDER BY dead_letters."offset"::bigint`;
    expect(letters.map((l) => [l.offset, l.original_topic])).toEqual([
      [poisoned[0]!, "no.such.topic"],
      [poisoned[1]!, "payments.results"],
      [poisoned[2]!, "payments results!"],
    ]);
    expect(letters[0]!.error_message).toMatch(/unknown topic/i);
    expect(letters[1]!.error_message).toMatch(/too large/i);
    // librdkafka names a bad topic name as such, or (once its metadata cache holds the name) as unknown.
    expect(letters[2]!.error_message).toMatch(/invalid topic|unknown topic/i);
    expect(letters.every((l) => l.headers["x-dlq-reason"] === "poison")).toBe(true);
    expect(await quarantinedCount()).toBeGreaterThanOrEqual(counted + 3);
    // Operators hear of it: the DLQ consumer's sweep mails what no DLQ topic brought.
    await eventually(
      "the ops alert for the quarantined rows",
      async () => {
        const r = await db<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM dead_letters WHERE topic = ${OUTBOX_QUARANTINE} AND "offset" = ANY(${poisoned}::bigint[]) AND alerted_at IS NOT NULL`;
        return r[0]!.n === 3 ? true : undefined;
      },
      90_000,
    );
  }, 150_000);

  test("a broker outage is a transient failure: the rows wait and are published once it is back, none quarantined", async () => {
    const kafka = allComponents().find((c) => c.name === "kafka")!;
    const counted = await quarantinedCount();
    await kafka.stop();
    let ids: string[];
    try {
      const failed = await relayMetric("outbox_relay_failures_total");
      ids = (await Promise.all(Array.from({ length: 5 }, () => createPayment("pm_card_visa")))).map((p) => p.id);
      // The relay tries, fails against the missing broker, and keeps the rows.
      await eventually("the relay to fail a batch", async () => ((await relayMetric("outbox_relay_failures_total")) > failed ? true : undefined), 90_000);
      const [pending] = await db<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM outbox WHERE key = ANY(${ids}) AND published_at IS NULL AND quarantined_at IS NULL`;
      expect(pending!.n).toBe(5);
    } finally {
      await kafka.start();
    }
    await waitFinal(ids, 120_000);
    expect(await quarantinedCount()).toBe(counted);
  }, 180_000);
});
