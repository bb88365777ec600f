import { afterAll, expect, test } from "bun:test";
import { MongoBulkWriteError, MongoClient } from "mongodb";
import { endpoints } from "../setup/endpoints.ts";

const client = new MongoClient(endpoints.MONGO_URL, { serverSelectionTimeoutMS: 5_000 });
afterAll(() => client.close());

test("the audit store takes unordered bulk inserts, enforces a unique index and finds documents", async () => {
  const coll = client.db().collection<{ _id: string; paymentId: string; n: number }>(`smoke_${Date.now()}`);
  await coll.createIndex({ paymentId: 1, n: 1 }, { unique: true });
  const docs = Array.from({ length: 10 }, (_, n) => ({ _id: `d${n}`, paymentId: "pay_1", n }));
  const res = await coll.insertMany(docs, { ordered: false });
  expect(res.insertedCount).toBe(10);

  // One duplicate in the middle of a batch: it is rejected, the others still land.
  const again = [
    { _id: "d10", paymentId: "pay_1", n: 10 },
    { _id: "dup", paymentId: "pay_1", n: 3 },
    { _id: "d11", paymentId: "pay_1", n: 11 },
  ];
  const err = await coll.insertMany(again, { ordered: false }).catch((e) => e);
  expect(err).toBeInstanceOf(MongoBulkWriteError);
  expect((err as MongoBulkWriteError).insertedCount).toBe(2);

  const found = await coll.find({ paymentId: "pay_1" }).sort({ n: 1 }).toArray();
  expect(found.map((d) => d.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  await coll.drop();
});
