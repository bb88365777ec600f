import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { endpoints } from "../setup/endpoints.ts";

const root = join(import.meta.dir, "../..");

// The Kafka client is a Node addon Bun cannot load, so the round trip runs under the pinned Node 24.
test("the Kafka client creates a topic, produces idempotently and consumes the records back", () => {
  const r = spawnSync(join(root, "node_modules/.bin/node"), [join(import.meta.dir, "kafka-roundtrip.ts")], {
    encoding: "utf8",
    env: { ...process.env, KAFKA_BROKERS: endpoints.KAFKA_BROKERS },
    timeout: 60_000,
  });
  expect(r.stderr).not.toContain("Error");
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as { values: string[]; headers: string[] };
  const expected = Array.from({ length: 20 }, (_, i) => String(i));
  expect(out.values).toEqual(expected.map((n) => `v${n}`).sort());
  expect(out.headers).toEqual([...expected].sort());
}, 60_000); // the round trip's own bound: on a cluster just started, a new topic's replicas and a group join take seconds
