/**
 * Payment processing end to end: created through Caddy, relayed through the
 * outbox, charged by the payment worker on the Stripe simulator, audited in Mongo.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { deadLetterStore } from "../../shared/dead-letters/store.ts";
import { dlqTopic, Topics } from "../../shared/topics.ts";
import { endpoints } from "../setup/endpoints.ts";
import { servicePid } from "../setup/processes.ts";
import {
  auditAgainstGateway,
  auditOf,
  chargesOf,
  clearFaults,
  createPayment,
  db,
  eventually,
  getPayment,
  recordsFor,
  setFaults,
  waitFinal,
} from "./support.ts";

afterEach(() => clearFaults());

/**
 * Every request the gateway received has its own audit document with the answer it sent
 * (auditAgainstGateway; only an exchange a killed worker was waiting on may lack its
 * answer), and each payment's last answered exchange agrees with its final status, unless
 * the gateway's webhook decided the payment first (the worker's answer was lost meanwhile).
 * Payment-method details never reach the audit store.
 */
async function expectCompleteAudit(ids: string[], statuses: Map<string, string>, maxInterrupted = 0) {
  const audit = await auditAgainstGateway(ids, 30_000);
  expect(audit.problems).toEqual([]);
  expect(audit.interrupted).toBeLessThanOrEqual(maxInterrupted);
  const docs = await auditOf(ids);
  const byWebhook = new Set(
    (await db<{ payment_id: string }[]>`SELECT payment_id FROM gateway_webhook_events WHERE payment_id = ANY(${ids}) AND outcome = 'settled'`).map(
      (r) => r.payment_id,
    ),
  );
  for (const id of ids) {
    const answered = docs.filter((d) => d.paymentId === id && d.outcome !== null && d.outcome !== "not_found").sort((a, b) => +a.startedAt - +b.startedAt);
    const expected = statuses.get(id) === "APPROVED" ? "approved" : "denied";
    if (byWebhook.has(id))
      expect(
        answered.map((d) => d.outcome),
        id,
      ).not.toContain(expected === "approved" ? "denied" : "approved");
    else expect(answered.at(-1)?.outcome, id).toBe(expected);
    for (const d of docs.filter((x) => x.paymentId === id && x.request.method === "POST")) expect(d.request.params.payment_method).toBe("[redacted]");
  }
}

describe("payment processing", () => {
  test.each([
    ["pm_card_visa", "APPROVED", null],
    ["pm_card_mastercard", "APPROVED", null],
    ["pm_card_visa_chargeDeclined", "DENIED", "generic_decline"],
    ["pm_card_visa_chargeDeclinedInsufficientFunds", "DENIED", "insufficient_funds"],
    ["pm_card_chargeDeclinedFraudulent", "DENIED", "fraudulent"],
    ["pm_card_visa_chargeDeclinedLostCard", "DENIED", "lost_card"],
    ["pm_card_visa_chargeDeclinedStolenCard", "DENIED", "stolen_card"],
    ["pm_card_chargeDeclinedExpiredCard", "DENIED", "expired_card"],
    ["pm_card_chargeDeclinedIncorrectCvc", "DENIED", "incorrect_cvc"],
    ["pm_card_doesNotExist", "DENIED", "invalid_payment_method"],
  ])(
    "%s ends %s (%s), visible on GET, with its PaymentResult on payments.results",
    async (pm, status, decline) => {
      const created = await createPayment(pm);
      expect(created.status).toBe("PENDING");
      await waitFinal([created.id], 30_000);
      const got = await getPayment(created.id);
      expect(got.status).toBe(status);
      expect(got.decline_code).toBe(decline);
      const [event] = recordsFor(Topics.paymentsResults, [created.id]);
      const result = JSON.parse(event?.value ?? "{}");
      expect(result).toMatchObject({ v: 1, paymentId: created.id, status });
      if (decline) expect(result.declineCode).toBe(decline);
      expect(await chargesOf(created.id)).toBe(status === "APPROVED" ? 1 : 0);
    },
    60_000,
  );

  test("a processing error is retried, never read as a decline", async () => {
    const created = await createPayment("pm_card_chargeDeclinedProcessingError");
    // It keeps failing on every try; what matters is that it is not DENIED meanwhile: wait
    // until the gateway has answered a retry (an exchange of a later attempt), then look.
    await eventually(
      "a retried attempt answered",
      async () => {
        const retried = (await auditOf([created.id])).filter((d) => d.attempt > 1);
        return retried.length > 0 ? retried : undefined;
      },
      20_000,
    );
    const got = await getPayment(created.id);
    expect(got.status).toBe("PENDING");
    expect(got.last_error).toContain("processing error");
  }, 30_000);

  test("with 30% of gateway calls failing transiently, every payment ends final, charged once, every attempt audited", async () => {
    await setFaults({ rates: { "500": 0.1, "503": 0.05, "429": 0.05, reset: 0.05, hang: 0.05 }, phase: "mixed", hangMs: 12_000 });
    const methods = ["pm_card_visa", "pm_card_visa_chargeDeclinedInsufficientFunds", "pm_card_mastercard"];
    const created = await Promise.all(Array.from({ length: 60 }, (_, i) => createPayment(methods[i % 3] as string)));
    const ids = created.map((p) => p.id);
    // A payment unlucky enough to fail 5 times in a row waits out 1 s + 10 s + 3 × 60 s of tiers.
    const statuses = await waitFinal(ids, 320_000);
    await clearFaults();
    for (const id of ids) expect(await chargesOf(id), id).toBe(statuses.get(id) === "APPROVED" ? 1 : 0);
    const retried = (await auditOf(ids)).filter((d) => d.attempt > 1).length;
    expect(retried).toBeGreaterThan(0); // the faults really happened
    await expectCompleteAudit(ids, statuses);
  }, 360_000);

  test("the worker SIGKILLed during 500 payments: after restart every payment is final, none charged twice, no audit gap", async () => {
    const creating = Array.from({ length: 500 }, (_, i) => createPayment(i % 5 === 4 ? "pm_card_chargeDeclinedFraudulent" : "pm_card_visa"));
    const first = await Promise.all(creating.slice(0, 250));
    // Kill it mid-stream: once some of the first half are decided and some are not.
    await eventually(
      "the worker half-way through the first payments",
      async () => {
        const [r] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM payments WHERE id = ANY(${first.map((p) => p.id)}) AND status <> 'PENDING'`;
        return r!.n > 0 && r!.n < first.length ? true : undefined;
      },
      30_000,
    );
    process.kill(servicePid("payment-worker"), "SIGKILL");
    const rest = await Promise.all(creating.slice(250));
    // Its supervisor (or its container's restart policy) restarts it, as a process manager would.
    const ids = [...first, ...rest].map((p) => p.id);
    const statuses = await waitFinal(ids, 120_000);
    let overCharged = 0;
    for (const id of ids) if ((await chargesOf(id)) > (statuses.get(id) === "APPROVED" ? 1 : 0)) overCharged++;
    expect(overCharged).toBe(0);
    // At most the exchanges in flight at the kill lack their answer (the worker runs 128 at once).
    await expectCompleteAudit(ids, statuses, 128);
  }, 200_000);

  test("gateway down longer than every retry tier: DLQ, PENDING with its last error; after the outage a replay charges it and mails the customer", async () => {
    // Longer than every tier: 1 s + 10 s + 4 × 60 s, plus jitter.
    await setFaults({ outage: { durationMs: 330_000, mode: "503" } });
    const created = await createPayment("pm_card_visa");
    const [dead] = recordsFor(dlqTopic(Topics.paymentsCreated), [created.id], 330_000);
    expect(dead?.headers["x-original-topic"]).toBe(Topics.paymentsCreated);
    expect(Number(dead?.headers["x-attempt"])).toBe(7);
    const got = await getPayment(created.id);
    expect(got.status).toBe("PENDING");
    expect(got.last_error).toMatch(/503|dead-lettered/);
    expect(await chargesOf(created.id)).toBe(0);

    // The cause is fixed (outage over); the operator replays the stored dead letter.
    await clearFaults();
    const letter = await eventually(
      "the stored dead letter",
      async () => {
        const [row] = await db<{ id: string }[]>`SELECT id::text FROM dead_letters WHERE key = ${created.id} AND topic = ${dlqTopic(Topics.paymentsCreated)}`;
        return row?.id;
      },
      10_000,
    );
    await deadLetterStore(db as never).replay(letter);
    await waitFinal([created.id], 30_000);
    expect((await getPayment(created.id)).status).toBe("APPROVED");
    expect(await chargesOf(created.id)).toBe(1);
    const messageId = `<${created.id}-approved@payments.local>`;
    const mails = await eventually(
      "the customer's mail",
      async () => {
        const res = await fetch(`${endpoints.MAILPIT_URL}/api/v1/search?query=${encodeURIComponent(`message-id:"${messageId}"`)}`);
        const n = ((await res.json()) as { messages: unknown[] }).messages.length;
        return n > 0 ? n : undefined;
      },
      20_000,
    );
    expect(mails).toBe(1);
  }, 420_000);
});
