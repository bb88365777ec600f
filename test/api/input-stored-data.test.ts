/**
 * The input rules are for new requests. A payment stored before a rule was tightened
 * (an address that is no longer accepted, a control character in a name) must still read
 * back as stored: reads check their responses against the resource schema, so that schema
 * must describe what is stored, not what is accepted today.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually } from "../setup/wait.ts";
import { createHarness, validBody, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** Reads until `done` holds for the answer (the replica may trail the update). */
const until = <T>(what: string, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> =>
  eventually(
    what,
    async () => {
      const v = await read();
      return done(v) ? v : undefined;
    },
    10_000,
    25,
  );

test("a payment stored under older, looser rules still reads back by id and in lists", async () => {
  const created = await h.create(validBody());
  expect(created.status).toBe(201);
  const legacy = { email: "old@example.c", name: "Tab\tName" };
  // As an older API version would have stored it.
  await h.primary`
    UPDATE payments SET customer_email = ${legacy.email}, customer_name = ${legacy.name}, description = ${"a\u0001b"}
     WHERE id = ${created.json.id}`;
  const one = await until(
    "the stored payment read back by id",
    () => h.call("GET", `/v1/payments/${created.json.id}`),
    (r) => r.status !== 200 || r.json.customer.name === legacy.name,
  );
  expect(one.status).toBe(200);
  expect(one.json).toMatchObject({ id: created.json.id, customer: legacy, description: "a\u0001b" });
  const page = await until(
    "the stored payment in the list",
    () => h.call("GET", "/v1/payments?limit=100"),
    (r) => r.status !== 200 || r.json.data.some((p: any) => p.customer.name === legacy.name),
  );
  expect(page.status).toBe(200);
  expect(page.json.data.find((p: any) => p.id === created.json.id)).toMatchObject({ customer: legacy });
});
