import { describe, expect, test } from "bun:test";
import { TestScheduler } from "rxjs/testing";
import { BatchingSink, GroupSink, bufferTimeOrCount, transactionGroup } from "./batching.ts";
import { deferred } from "./testing/harness.ts";
import { VirtualClock } from "./testing/virtual-clock.ts";

const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe("bufferTimeOrCount (marbles)", () => {
  test("emits as soon as a batch is full", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold("abcdefg|").pipe(bufferTimeOrCount({ maxItems: 3, maxWaitMs: 100 }));
      expectObservable(out).toBe("--x--y-(z|)", { x: ["a", "b", "c"], y: ["d", "e", "f"], z: ["g"] });
    });
  });

  test("emits maxWaitMs after the first item of a partial batch, and never an empty batch", () => {
    scheduler().run(({ cold, expectObservable }) => {
      // a at 0 opens a batch due at 10; c at 20 opens the next, due at 30; nothing is emitted while idle.
      const out = cold("a-b 17ms c 50ms |").pipe(bufferTimeOrCount({ maxItems: 100, maxWaitMs: 10 }));
      expectObservable(out).toBe("10ms x 19ms y 40ms |", { x: ["a", "b"], y: ["c"] });
    });
  });

  test("a flush signal cuts the batch short", () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const flush$ = hot("---f");
      const out = cold("ab 10ms |").pipe(bufferTimeOrCount({ maxItems: 100, maxWaitMs: 50, flush$ }));
      expectObservable(out).toBe("---x 8ms |", { x: ["a", "b"] });
    });
  });
});

describe("BatchingSink", () => {
  test("an item's promise resolves only after the write holding it is durable", async () => {
    const clock = new VirtualClock();
    const writes: number[][] = [];
    const gate = deferred();
    const sink = new BatchingSink<number>({
      name: "audit",
      maxItems: 2,
      maxWaitMs: 50,
      scheduler: clock.scheduler,
      write: async (items) => {
        writes.push(items);
        if (writes.length === 1) await gate.promise;
      },
    });
    const done: number[] = [];
    for (const n of [1, 2, 3]) void sink.add(n).then(() => done.push(n));
    await clock.advance(10);
    expect(writes).toEqual([[1, 2]]); // full batch written at once; 3 waits for its timer
    expect(done).toEqual([]); // write not acknowledged yet
    gate.resolve();
    await clock.advance(0);
    expect(done).toEqual([1, 2]);
    await clock.advance(39);
    expect(writes).toHaveLength(1);
    await clock.advance(1);
    expect(writes).toEqual([[1, 2], [3]]);
    expect(done).toEqual([1, 2, 3]);
  });

  test("a failed write rejects every item of its batch, later batches still flow", async () => {
    const clock = new VirtualClock();
    let fail = true;
    const sink = new BatchingSink<string>({
      name: "audit",
      maxItems: 2,
      maxWaitMs: 50,
      scheduler: clock.scheduler,
      write: async () => {
        if (fail) throw new Error("mongo down");
      },
    });
    const results = await Promise.allSettled([sink.add("a"), sink.add("b")]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    const c = sink.add("c");
    await sink.flush();
    await expect(c).resolves.toBeUndefined();
  });
});

describe("GroupSink", () => {
  test("an idle sink writes at once; what arrives during a write goes out together in the next", async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const sink = new GroupSink<number>({
      name: "t",
      maxItems: 100,
      write: (items) => {
        writes.push(items);
        return writes.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
    });
    const first = sink.add(1);
    expect(writes).toEqual([[1]]); // no timer: written in the same tick
    const later = [sink.add(2), sink.add(3), sink.add(4)];
    expect(writes).toHaveLength(1);
    release();
    await first;
    await Promise.all(later);
    expect(writes).toEqual([[1], [2, 3, 4]]);
    await sink.close();
    await expect(sink.add(5)).rejects.toThrow("closed");
  });

  test("with concurrency 2, a second write starts while the first runs; what arrives while both run waits for the next", async () => {
    const writes: number[][] = [];
    const releases: (() => void)[] = [];
    const sink = new GroupSink<number>({
      name: "t",
      maxItems: 100,
      concurrency: 2,
      write: (items) => {
        writes.push(items);
        return new Promise<void>((r) => releases.push(r));
      },
    });
    const first = sink.add(1);
    const second = sink.add(2);
    expect(writes).toEqual([[1], [2]]); // both at once: neither waited for the other
    const later = [sink.add(3), sink.add(4)];
    expect(writes).toHaveLength(2);
    releases[0]!();
    await first;
    await Promise.resolve();
    expect(writes).toEqual([[1], [2], [3, 4]]);
    for (const r of releases.slice(1)) r();
    await Promise.all([second, ...later]);
  });

  test("a failed write rejects exactly its own items", async () => {
    const sink = new GroupSink<number>({
      name: "t",
      maxItems: 2,
      write: async (items) => {
        if (items.includes(2)) throw new Error("down");
      },
    });
    const results = await Promise.allSettled([sink.add(1), sink.add(2), sink.add(3), sink.add(4)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
  });
});

/** A database stand-in: a transaction is a list of writes, kept only if its work succeeds. */
function fakeDb() {
  const committed: string[][] = [];
  let gate: Promise<void> | null = null;
  return {
    committed,
    hold(): () => void {
      let open!: () => void;
      gate = new Promise<void>((r) => (open = r));
      return () => {
        gate = null;
        open();
      };
    },
    begin: async <R>(work: (tx: string[]) => Promise<R>): Promise<R> => {
      const tx: string[] = [];
      if (gate) await gate;
      const value = await work(tx);
      committed.push(tx);
      return value;
    },
  };
}

describe("transactionGroup", () => {
  const write = (name: string) => async (tx: string[]) => {
    if (name.startsWith("bad")) throw new Error(`${name} refused`);
    tx.push(name);
    return `${name} done`;
  };

  test("alone, a unit commits at once in its own transaction; what arrives meanwhile shares the next commit", async () => {
    const db = fakeDb();
    const group = transactionGroup({ name: "t", maxItems: 100, begin: db.begin });
    const release = db.hold();
    const first = group.run(write("a"));
    const later = ["b", "c", "d"].map((n) => group.run(write(n)));
    release();
    expect(await first).toBe("a done");
    expect(await Promise.all(later)).toEqual(["b done", "c done", "d done"]);
    expect(db.committed).toEqual([["a"], ["b", "c", "d"]]);
  });

  test("a unit that fails fails only its own caller: the others of its batch commit, each alone", async () => {
    const db = fakeDb();
    const group = transactionGroup({ name: "t", maxItems: 100, begin: db.begin });
    const release = db.hold();
    const first = group.run(write("a"));
    const batch = ["b", "bad-c", "d"].map((n) => group.run(write(n)));
    release();
    await first;
    const results = await Promise.allSettled(batch);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual(["b done", "bad-c refused", "d done"]);
    // The batch rolled back as a whole (nothing of it committed), then b and d committed alone.
    expect(db.committed).toEqual([["a"], ["b"], ["d"]]);
    await expect(group.run(write("bad-e"))).rejects.toThrow("bad-e refused");
  });

  test("an error that is no unit's own (the database is away) fails the whole batch at once, without a transaction per unit", async () => {
    const db = fakeDb();
    let begun = 0;
    let away = false;
    const begin = <R>(work: (tx: string[]) => Promise<R>): Promise<R> => {
      begun++;
      return away ? Promise.reject(new Error("ECONNREFUSED")) : db.begin(work);
    };
    const group = transactionGroup({ name: "t", maxItems: 100, begin, unitless: (err) => (err as Error).message === "ECONNREFUSED" });
    const release = db.hold();
    const first = group.run(write("a"));
    const batch = ["b", "c", "d"].map((n) => group.run(write(n)));
    away = true;
    release();
    await first;
    const results = await Promise.allSettled(batch);
    expect(results.map((r) => (r.status === "rejected" ? (r.reason as Error).message : "committed"))).toEqual(["ECONNREFUSED", "ECONNREFUSED", "ECONNREFUSED"]);
    expect(begun).toBe(2); // a's transaction and the batch's; no retry of b, c and d one by one
  });
});
