/**
 * What the chaos run does and checks on the cluster profile (`bun run chaos cluster`):
 * SIGKILL of one instance of each stream service (the other shares its consumer group),
 * SIGKILL of the Kafka node leading the most partitions, restarted after a while, and
 * SIGKILL of the Postgres primary followed by `stack failover`, all while the load flows.
 * Then: no partition under-replicated, and a create with the synchronous standby stopped
 * is never acknowledged.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Sql } from "postgres";
import { loadStackEnv } from "../../shared/config.ts";
import type { PartitionInfo } from "../../streams/kafka/partitions.ts";
import { Kafka } from "../stack/components/kafka.ts";
import { clusterNodes, psql } from "../stack/components/postgres.ts";
import { failover } from "../stack/failover.ts";
import { ROOT } from "../stack/paths.ts";
import { isAlive, runningPid } from "../stack/proc.ts";
import { postPayment } from "../stack/public-api.ts";
import type { Fault } from "./faults.ts";
import type { Check } from "./invariants.ts";

/** The brokers' partition metadata, read by a Node child (the Kafka client is a Node addon). */
export function partitionMetadata(): PartitionInfo[] {
  const r = spawnSync(join(ROOT, "node_modules", ".bin", "node"), [join(ROOT, "streams", "kafka", "partitions.ts")], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`partition metadata: ${(r.stderr || r.error?.message || "").trim()}`);
  return JSON.parse(r.stdout) as PartitionInfo[];
}

const kafkaNodes = () => {
  const n = loadStackEnv().KAFKA_NODES;
  return Array.from({ length: n }, (_, i) => new Kafka(i + 1, n));
};

/** Resolves once the process has exited (a killed process takes a moment to go). */
async function gone(pid: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await Bun.sleep(50);
}

/** SIGKILL of the node that leads the most partitions; it starts again after `downSeconds`. */
const killBusiestBroker = (downSeconds: number, log: (m: string) => void) => async () => {
  const leads = new Map<number, number>();
  for (const p of partitionMetadata()) leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
  const [leader, count] = [...leads].sort((a, b) => b[1] - a[1])[0] ?? [];
  const node = kafkaNodes().find((k) => k.node === leader);
  const pid = node && runningPid(node.name);
  if (!node || !pid) throw new Error(`no running Kafka node ${leader} to kill`);
  log(`${node.name} leads ${count} partitions: SIGKILL`);
  process.kill(pid, "SIGKILL");
  await gone(pid);
  await Bun.sleep(downSeconds * 1000);
  await node.start(240_000);
};

/** SIGKILL of whichever Postgres node is the primary (its postmaster), then `stack failover`. */
const killPrimaryAndFailOver = (log: (m: string) => void) => async () => {
  const primary = clusterNodes().find((n) => n.running() && !n.isStandby());
  if (!primary) throw new Error("no running Postgres primary");
  const pid = Number(readFileSync(join(primary.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  log(`${primary.name} is the primary: SIGKILL`);
  process.kill(pid, "SIGKILL");
  await gone(pid);
  await failover((m) => log(m));
};

/** The cluster profile's faults over a 90 s load (scale stretches it like the default schedule). */
export function clusterSchedule(
  scale: number,
  log: (m: string) => void,
  killService: (name: string) => () => Promise<void>,
  closeGateway: (g: "stripe" | "adyen", s: number) => () => Promise<void>,
): Fault[] {
  const at = (s: number) => Math.round(s * scale);
  return [
    { at: at(5), name: "SIGKILL outbox-relay", run: killService("outbox-relay") },
    { at: at(8), name: "SIGKILL payment-worker", run: killService("payment-worker") },
    { at: at(10), name: "SIGKILL notification-worker-2", run: killService("notification-worker-2") },
    { at: at(12), name: "SIGKILL dlq-consumer", run: killService("dlq-consumer") },
    { at: at(13), name: "SIGKILL command-worker-2", run: killService("command-worker-2") },
    { at: at(14), name: "SIGKILL webhook-dispatcher", run: killService("webhook-dispatcher") },
    { at: at(16), name: "stripe refuses connections for 6 s", run: closeGateway("stripe", 6 * scale) },
    { at: at(25), name: "SIGKILL the Postgres primary, stack failover", run: killPrimaryAndFailOver(log) },
    // Last but two: a node killed under load can take minutes to replay its logs, and the faults run in turn.
    { at: at(45), name: "SIGKILL the Kafka node leading the most partitions, start it 15 s later", run: killBusiestBroker(15 * scale, log) },
    { at: at(60), name: "SIGKILL api-1", run: killService("api-1") },
    { at: at(75), name: "SIGKILL outbox-relay-2", run: killService("outbox-relay-2") },
    { at: at(80), name: "SIGKILL payment-worker-2", run: killService("payment-worker-2") },
  ];
}

/** Every partition has all its replicas in sync again (waits up to `timeoutMs` for a restarted node to catch up). */
export async function fullyReplicated(timeoutMs = 120_000): Promise<Check> {
  const name = "no under-replicated partitions";
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const parts = partitionMetadata();
    const under = parts.filter((p) => p.isr.length < p.replicas.length);
    const leaders = new Set(parts.map((p) => p.leader));
    if (under.length === 0 || Date.now() > deadline) {
      return {
        name,
        ok: under.length === 0 && parts.length > 0 && parts.every((p) => p.replicas.length === 3),
        detail: `${parts.length} partitions with 3 replicas each, ${under.length} with a replica out of sync${
          under.length ? ` (${under.slice(0, 3).map((p) => `${p.topic}/${p.partition} isr ${p.isr.join(",")}`)})` : ""
        }; leaders on nodes ${[...leaders].sort().join(", ")}`,
      };
    }
    await Bun.sleep(2_000);
  }
}

/**
 * With the synchronous standby stopped, a create is not acknowledged: it gets a 503 after
 * the API's commit deadline and nothing is visible. Once the standby is back, the retry
 * with the same key gets the one payment, created once.
 */
export async function syncCommit(db: Sql): Promise<Check> {
  const name = "no create acknowledged before the standby has it";
  const nodes = clusterNodes();
  const standby = nodes.find((n) => n.running() && n.isStandby());
  if (!standby) return { name, ok: false, detail: "no running standby" };
  const primary = standby.peer();
  const key = crypto.randomUUID();
  const body = { amount: 4321, currency: "EUR", payment_method: "pm_card_visa", customer: { email: "sync-commit@example.test" } };
  await standby.stop();
  const t0 = Date.now();
  let first: Response | Error;
  let visible = -1;
  try {
    first = await postPayment(body, { idempotencyKey: key, signal: AbortSignal.timeout(60_000) }).catch((e: unknown) => e as Error);
    // Counted on the primary itself while the standby is still away.
    visible = Number(psql(primary.pgPort, `SELECT count(*) FROM idempotency_keys WHERE key = '${key}'`));
  } finally {
    await standby.start();
  }
  const firstStatus = first instanceof Response ? String(first.status) : `no answer (${first.message})`;
  const waited = (Date.now() - t0) / 1000;
  // As a client would: the first commit settles only once the standby streams again, and until
  // then the API answers the key's retry with 409 idempotency_key_in_use ("retry later").
  const until = Date.now() + 60_000;
  let retry: Response;
  let payment: { id?: string; error?: { code?: string } };
  let inFlight = 0;
  for (;;) {
    retry = await postPayment(body, { idempotencyKey: key, signal: AbortSignal.timeout(60_000) });
    payment = (await retry.json()) as typeof payment;
    if (retry.status !== 409 || payment.error?.code !== "idempotency_key_in_use" || Date.now() > until) break;
    inFlight++;
    await Bun.sleep(250);
  }
  const [stored] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = ${key}`;
  return {
    name,
    ok: firstStatus === "503" && visible === 0 && retry.status === 201 && typeof payment.id === "string" && stored?.n === 1,
    detail: `standby ${standby.name} stopped: create answered ${firstStatus} after ${waited.toFixed(1)} s, ${visible} rows visible on the primary; standby back: retry with the same key answered ${retry.status} (after ${inFlight} "still in flight" answers), ${stored?.n} payment stored`,
  };
}
