/**
 * Reads survive the read replica: with the replica stopped, or with its replay paused
 * while the primary moves on, GET /v1/payments/{id} and the list answer from the primary,
 * and a payment just decided shows its final status. Real faults: the replica's process
 * is stopped; its replay is paused with pg_wal_replay_pause().
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { allComponents } from "../../infra/stack/components/index.ts";
import { createHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
// A pool whose server was stopped under it can take its full end() timeout to close.
afterAll(() => h.close(), 30_000);

const replica = () => allComponents().find((c) => c.name === "postgres-replica")!;
const fallbacks = async (reason: string) => {
  const text = await h.api.metrics.registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`db_replica_fallbacks_total{reason="${reason}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
};
/** Polls `check` until it holds (a condition, never a fixed wait). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(50);
  }
}
const decide = (id: string) => h.primary`UPDATE payments SET status = 'APPROVED', decided_at = now(), updated_at = now() WHERE id = ${id}`;

describe("reads when the replica is unavailable", () => {
  test("replica stopped: GET by id and the list answer 200 from the primary, counted as fallbacks", async () => {
    const created = (await h.create()).json;
    const before = await fallbacks("error");
    await replica().stop();
    try {
      const one = await h.call("GET", `/v1/payments/${created.id}`);
      expect(one.status).toBe(200);
      expect(one.json.id).toBe(created.id);
      const list = await h.call("GET", "/v1/payments?limit=5");
      expect(list.status).toBe(200);
      expect(list.json.data.map((p: { id: string }) => p.id)).toContain(created.id);
      await decide(created.id);
      expect((await h.call("GET", `/v1/payments/${created.id}`)).json.status).toBe("APPROVED");
      expect(await fallbacks("error")).toBeGreaterThan(before);
    } finally {
      await replica().start();
    }
    // Once the replica is back the probe sends reads to it again.
    await until("the replica measured again", async () => h.api.reads.lagMs() !== null, 30_000);
  }, 90_000);

  test("replay paused: a payment just decided shows its final status within the lag bound, read from the primary", async () => {
    const created = (await h.create()).json;
    await until("the replica to have the payment", async () => (await h.replica`SELECT 1 FROM payments WHERE id = ${created.id}`).length === 1, 10_000);
    const before = await fallbacks("lag");
    await h.replica`SELECT pg_wal_replay_pause()`;
    try {
      await decide(created.id);
      await until("GET to show the decision", async () => (await h.call("GET", `/v1/payments/${created.id}`)).json.status === "APPROVED", 5_000);
      const list = await h.call("GET", "/v1/payments?status=APPROVED&limit=5");
      expect(list.json.data.map((p: { id: string }) => p.id)).toContain(created.id);
      // The replica itself still has the old row: the answer came from the primary.
      expect((await h.replica`SELECT status FROM payments WHERE id = ${created.id}`)[0]?.status).toBe("PENDING");
      expect(await fallbacks("lag")).toBeGreaterThan(before);
    } finally {
      await h.replica`SELECT pg_wal_replay_resume()`;
    }
  }, 60_000);
});
