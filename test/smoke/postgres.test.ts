import { afterAll, expect, test } from "bun:test";
import postgres from "postgres";
import { endpoints } from "../setup/endpoints.ts";
import { eventually } from "../setup/wait.ts";

const primary = postgres(endpoints.DATABASE_URL, { max: 1, onnotice: () => {} });
const replica = postgres(endpoints.DATABASE_READ_URL, { max: 1 });
afterAll(() => Promise.all([primary.end(), replica.end()]));

test("a row written on the primary becomes readable on the streaming replica", async () => {
  await primary`create table if not exists smoke_replication (id text primary key, at timestamptz not null default now())`;
  const id = crypto.randomUUID();
  await primary`insert into smoke_replication (id) values (${id})`;
  const rows = await eventually<readonly unknown[]>(
    "the row on the replica",
    async () => {
      const r = await replica`select id from smoke_replication where id = ${id}`;
      return r.length > 0 ? r : undefined;
    },
    5_000,
    100,
  );
  expect(rows).toEqual([{ id }]);
  const [standby] = await replica`select pg_is_in_recovery() as standby`;
  expect(standby?.standby).toBe(true);
  await primary`delete from smoke_replication where id = ${id}`;
});
