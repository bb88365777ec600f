/**
 * A consumer started while one of its topics is still being created (several services
 * starting at once, another one creating the topic) must still get that topic's records:
 * librdkafka assigns only the topics its metadata knows at the group join and notices a new
 * one at its next periodic refresh, five minutes later; retries on a retry tier sat there.
 */
import { expect, test } from "bun:test";
import { runNode, uniqueName } from "./kafka-tools.ts";

test("a topic created just after its consumer started is consumed at once, not at the next metadata refresh", () => {
  const early = uniqueName("it.early");
  const late = uniqueName("it.late");
  const out = runNode("late-topic.ts", [early, late], { LATE_MS: "2000", READ_TIMEOUT_MS: "30000" });
  const { received } = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { received: boolean };
  expect(received).toBe(true);
}, 60_000);
