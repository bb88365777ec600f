/**
 * Poison of several kinds on every source topic ends in the DLQ, stored as a
 * dead letter, while valid payments keep flowing through the same workers.
 */
import { afterAll, expect, test } from "bun:test";
import postgres from "postgres";
import { Topics, dlqTopic } from "../../shared/topics.ts";
import { endpoints } from "../setup/endpoints.ts";
import { eventually } from "../setup/wait.ts";
import { produce } from "../streams/kafka-tools.ts";
import { createPayment, waitFinal } from "../payments/support.ts";

const db = postgres(endpoints.DATABASE_URL, { max: 2, onnotice: () => {} });
afterAll(() => db.end());

const kinds = (tag: string) => [
  { name: "not JSON", value: `\u0001${tag} not json \u00ff` },
  { name: "JSON of the wrong shape", value: JSON.stringify({ v: 1, tag, paymentId: "nope" }) },
  { name: "an unknown event version", value: JSON.stringify({ v: 99, tag }) },
  { name: "an empty value", value: "" },
  { name: "a huge string", value: JSON.stringify({ v: 1, tag, blob: "x".repeat(200_000) }) },
];

test.each([Topics.paymentsCreated, Topics.paymentsResults])(
  "poison on %s is dead-lettered while valid payments flow",
  async (topic) => {
    const tag = crypto.randomUUID();
    const poison = kinds(tag).map((k, i) => ({ key: `poison-${tag}-${i}`, value: k.value }));
    const valid = createPayment("pm_card_visa");
    produce(topic, poison);
    const payment = await valid;
    // Valid traffic is not held up by the poison around it.
    expect((await waitFinal([payment.id], 30_000)).get(payment.id)).toBe("APPROVED");

    const keys = poison.map((p) => p.key);
    const stored = await eventually(
      `${keys.length} dead letters on ${dlqTopic(topic)}`,
      async () => {
        const rows = await db<
          { key: string; error_class: string; original_topic: string }[]
        >`SELECT key, error_class, original_topic FROM dead_letters WHERE key = ANY(${keys}) AND topic = ${dlqTopic(topic)}`;
        return rows.length >= keys.length ? rows : undefined;
      },
      30_000,
    );
    expect(stored.map((s) => s.key).sort()).toEqual([...keys].sort());
    for (const s of stored) {
      expect(s.error_class).toBe("PoisonError");
      expect(s.original_topic).toBe(topic);
    }
  },
  90_000,
);
