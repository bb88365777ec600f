import { describe, expect, test } from "bun:test";
import { from, map, timer } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { KeyedDispatcher } from "./keyed-dispatcher.ts";
import { keyOrdered } from "./key-ordered.ts";

const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe("keyOrdered (marbles)", () => {
  test("keeps per-key order under concurrency and never exceeds the bound", () => {
    scheduler().run(({ cold, expectObservable }) => {
      // A1 is slow, A2 fast: A2 must still come after A1. With concurrency 2, C1 waits for B1's slot.
      const durations: Record<string, number> = { A1: 5, A2: 1, B1: 2, C1: 2 };
      const source = cold("(abcd|)", { a: "A1", b: "A2", c: "B1", d: "C1" });
      const out = source.pipe(
        keyOrdered(
          (s: string) => s[0] as string,
          2,
          (s) => timer(durations[s] as number).pipe(map(() => s)),
        ),
      );
      expectObservable(out).toBe("--x-yz(w|)", { x: "B1", y: "C1", z: "A1", w: "A2" });
    });
  });

  test("a slow key holds only itself", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const durations: Record<string, number> = { A1: 9, A2: 1, B1: 1, B2: 1, B3: 1 };
      const source = cold("(abcde|)", { a: "A1", b: "A2", c: "B1", d: "B2", e: "B3" });
      const out = source.pipe(
        keyOrdered(
          (s: string) => s[0] as string,
          4,
          (s) => timer(durations[s] as number).pipe(map(() => s)),
        ),
      );
      expectObservable(out).toBe("-xyz-----v(w|)", { x: "B1", y: "B2", z: "B3", v: "A1", w: "A2" });
    });
  });

  test("many keys: bound, exclusivity and order hold for every run", () => {
    scheduler().run(({ flush }) => {
      const concurrency = 4;
      let running = 0;
      let maxRunning = 0;
      const runningKeys = new Set<string>();
      const seen = new Map<string, number[]>();
      const items = Array.from({ length: 200 }, (_, i) => ({ key: `k${(i * 7) % 13}`, seq: i, ms: 1 + ((i * 37) % 11) }));
      const results: number[] = [];
      from(items)
        .pipe(
          keyOrdered(
            (it) => it.key,
            concurrency,
            (it) => {
              expect(runningKeys.has(it.key)).toBe(false);
              runningKeys.add(it.key);
              maxRunning = Math.max(maxRunning, ++running);
              return timer(it.ms).pipe(
                map(() => {
                  running--;
                  runningKeys.delete(it.key);
                  return it;
                }),
              );
            },
          ),
        )
        .subscribe((it) => {
          results.push(it.seq);
          seen.set(it.key, [...(seen.get(it.key) ?? []), it.seq]);
        });
      flush();
      expect(results).toHaveLength(200);
      expect(maxRunning).toBe(concurrency);
      for (const seqs of seen.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    });
  });
});

describe("KeyedDispatcher", () => {
  const make = (concurrency: number) => {
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const d = new KeyedDispatcher<string>({
      concurrency,
      keyOf: (s) => s[0] as string,
      run: (item, release) => {
        started.push(item);
        releases.set(item, release);
      },
    });
    return { d, started, release: (item: string) => releases.get(item)?.() };
  };

  test("releases idle per-key state", () => {
    const { d, release } = make(8);
    for (let i = 0; i < 50; i++) d.submit(`${String.fromCharCode(65 + (i % 26))}${i}`);
    expect(d.inFlight).toBe(8);
    expect(d.activeKeys).toBe(26); // every key with work running or queued
    for (let round = 0; round < 10 && d.inFlight > 0; round++) for (let i = 0; i < 50; i++) release(`${String.fromCharCode(65 + (i % 26))}${i}`);
    expect(d.inFlight).toBe(0);
    expect(d.queued).toBe(0);
    expect(d.activeKeys).toBe(0);
  });

  test("a key that never finishes blocks only its own queue", () => {
    const { d, started, release } = make(2);
    ["A1", "A2", "B1", "B2", "C1"].forEach((x) => d.submit(x));
    expect(started).toEqual(["A1", "B1"]);
    release("B1");
    // Keys waiting for a slot are served first come, first served: C1 waited before B2.
    expect(started).toEqual(["A1", "B1", "C1"]);
    release("C1");
    expect(started).toEqual(["A1", "B1", "C1", "B2"]);
    release("B2");
    expect(d.queued).toBe(1); // A2 behind the stuck A1
    release("A1");
    expect(started.at(-1)).toBe("A2");
  });

  test("dropQueued removes waiting items only, and a key can be reused afterwards", () => {
    const { d, started, release } = make(1);
    ["A1", "A2", "B1"].forEach((x) => d.submit(x));
    expect(d.dropQueued((x) => x !== "A1")).toEqual(expect.arrayContaining(["A2", "B1"]));
    d.submit("B2");
    release("A1");
    expect(started).toEqual(["A1", "B2"]);
    release("B2");
    expect(d.activeKeys).toBe(0);
  });
});
