import { describe, expect, test } from "bun:test";
import { PartitionTracker, compareOffsets, nextOffset, type OffsetTicket } from "./offsets.ts";

const ticket = (offset: string): OffsetTicket => ({ offset, finished: false });

describe("PartitionTracker", () => {
  test("commits only the contiguous finished prefix when work finishes out of order", () => {
    const t = new PartitionTracker();
    const m = ["0", "1", "2", "3", "4"].map(ticket);
    m.forEach((x) => expect(t.track(x)).toBe(true));
    t.finish(m[2]!);
    t.finish(m[1]!);
    expect(t.committable()).toBeNull(); // 0 still running: committing 3 would skip it after a crash
    t.finish(m[0]!);
    expect(t.committable()).toBe("3");
    t.markCommitted("3");
    t.finish(m[4]!);
    expect(t.committable()).toBeNull(); // 3 unfinished
    t.finish(m[3]!);
    expect(t.committable()).toBe("5");
    expect(t.open).toBe(0);
    expect(t.uncommittedSpan).toBe(0);
  });

  test("offset gaps (compaction) are no obstacle", () => {
    const t = new PartitionTracker();
    const m = ["10", "12", "15"].map(ticket);
    m.forEach((x) => t.track(x));
    t.finish(m[0]!);
    expect(t.committable()).toBe("11");
    t.finish(m[2]!);
    expect(t.committable()).toBe("11");
    t.finish(m[1]!);
    expect(t.committable()).toBe("16");
  });

  test("ignores redelivered offsets and counts commit lag", () => {
    const t = new PartitionTracker();
    const a = ticket("7");
    t.track(a);
    t.track(ticket("8"));
    expect(t.track(ticket("8"))).toBe(false);
    expect(t.track(ticket("3"))).toBe(false);
    expect(t.lag()).toBe(2);
    t.finish(a);
    t.markCommitted(t.committable()!);
    expect(t.lag()).toBe(1);
  });

  test("int64 offsets beyond 2^53 keep their precision", () => {
    const big = "9007199254740993"; // 2^53 + 1: Number() would round it to ...992
    expect(nextOffset(big)).toBe("9007199254740994");
    expect(compareOffsets("9007199254740993", "9007199254740992")).toBeGreaterThan(0);
    expect(compareOffsets("99", "100")).toBeLessThan(0);
    const t = new PartitionTracker();
    const x = ticket(big);
    t.track(x);
    expect(t.track(ticket("9007199254740992"))).toBe(false);
    t.finish(x);
    expect(t.committable()).toBe("9007199254740994");
  });
});
