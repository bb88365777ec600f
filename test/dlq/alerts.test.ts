/**
 * Ops alert mails with more than one DLQ consumer: the alert lock in Postgres lets one of
 * them mail at a time, so every dead letter is in exactly one alert however many run.
 * Uses the API tests' own database, where nothing else stores dead letters.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { SendMailOptions } from "nodemailer";
import { Registry } from "prom-client";
import { createDb, type Sql } from "../../shared/db/client.ts";
import { deadLetterStore, type DeadLetterStore } from "../../shared/dead-letters/store.ts";
import { createLogger } from "../../shared/logger.ts";
import { Headers } from "../../shared/topics.ts";
import { createAlerter } from "../../streams/dlq-consumer/alerts.ts";
import { createDlqMetrics } from "../../streams/dlq-consumer/metrics.ts";
import { prepareTestDatabase, testDatabaseUrls } from "../api/harness.ts";
import { eventually } from "../setup/wait.ts";

let sql: Sql;
let store: DeadLetterStore;
beforeAll(async () => {
  await prepareTestDatabase();
  sql = createDb({ url: testDatabaseUrls.primary, max: 6, applicationName: "dlq-alert-tests" });
  store = deadLetterStore(sql);
  await sql`UPDATE dead_letters SET alerted_at = now() WHERE alerted_at IS NULL`; // earlier runs' leftovers
});
afterAll(() => sql.end({ timeout: 5 }));

let offset = Date.now();
async function storeDeadLetters(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const stored = await store.insert({
      topic: "payments.results.dlq",
      partition: 0,
      offset: String(offset++),
      key: `pay_alert_${offset}`,
      value: Buffer.from("{}"),
      headers: { [Headers.originalTopic]: "payments.results", [Headers.attempt]: "4", [Headers.errorClass]: "FatalError", [Headers.errorMessage]: "test" },
    });
    ids.push(stored!.id);
  }
  return ids;
}

type Round = "busy" | "none" | "mailed";

/**
 * A DLQ consumer's alerter whose "SMTP server" records mails and takes 200 ms to accept each
 * (so the consumers' rounds overlap), and the outcome of each of its alert rounds, in order.
 */
function consumer(mails: SendMailOptions[]) {
  const rounds: Round[] = [];
  const alerter = createAlerter({
    store: {
      alertUnalerted: async (listed, send) => {
        const outcome = await store.alertUnalerted(listed, send);
        rounds.push(outcome === "busy" || outcome === "none" ? outcome : "mailed");
        return outcome;
      },
    },
    send: async (mail) => {
      await Bun.sleep(200);
      mails.push(mail);
    },
    to: "ops@payments.local",
    from: "payments@payments.local",
    intervalMs: 400,
    gatherMs: 50,
    metrics: createDlqMetrics(new Registry()),
    log: createLogger("dlq-alert-test", "silent"),
  });
  return { ...alerter, rounds };
}

/**
 * Tells every consumer of new dead letters and waits until each is done with it: it has run a
 * round since, and its newest round did not find the lock busy. A busy round schedules another;
 * a round that mailed or found nothing schedules none. So when this returns, no consumer has a
 * round pending and no further mail can come from this notice.
 */
async function notifyAll(consumers: ReturnType<typeof consumer>[]): Promise<void> {
  const before = consumers.map((c) => c.rounds.length);
  for (const c of consumers) c.notify();
  await eventually(
    "every consumer's alert rounds to end with one that was not busy",
    () => consumers.every((c, i) => c.rounds.length > before[i]! && c.rounds.at(-1) !== "busy"),
    10_000,
    20,
  );
}

test("three DLQ consumers told of the same dead letters send one alert mail that lists them all", async () => {
  const mails: SendMailOptions[] = [];
  const consumers = [consumer(mails), consumer(mails), consumer(mails)];
  try {
    const first = await storeDeadLetters(5);
    await notifyAll(consumers);
    expect(mails.length).toBe(1);
    expect(mails[0]!.subject).toContain("5 new dead letters");
    for (const id of first) expect(String(mails[0]!.text)).toContain(`#${id} `);

    // A second burst after the interval: one more mail, with only the new ones.
    const second = await storeDeadLetters(2);
    await notifyAll(consumers);
    expect(mails.length).toBe(2);
    expect(mails[1]!.subject).toContain("2 new dead letters");
    for (const id of second) expect(String(mails[1]!.text)).toContain(`#${id} `);
    const [left] = await sql`SELECT count(*)::int AS n FROM dead_letters WHERE alerted_at IS NULL`;
    expect(left!.n).toBe(0);
  } finally {
    await Promise.all(consumers.map((c) => c.stop()));
  }
});
