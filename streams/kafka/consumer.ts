import { Subject } from "rxjs";
import type { AssignmentEvent, ConsumerPort, InboundMessage, OffsetCommit, TopicPartition } from "../engine/ports.ts";
import { ErrorCodes, baseConfig, rdkafka, type RdKafka } from "./rdkafka.ts";

export interface ConsumerOptions {
  readonly brokers: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly clientId: string;
  /** Records fetched per consume call. */
  readonly batchSize?: number;
  /** Last-resort bound on how long a revoke may be held for in-flight work. */
  readonly revokeTimeoutMs?: number;
  /** How long `start` waits for every topic to be in the brokers' metadata before subscribing anyway. */
  readonly topicWaitMs?: number;
  readonly extra?: Record<string, string | number | boolean>;
}

const tpId = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Waits until the brokers' metadata lists every topic with a leader for each partition;
 * returns the topics still missing at the deadline. The group join assigns only topics the
 * metadata knows; a subscribed topic it lacks then (created a moment earlier, or still being
 * created by another service: its creator got "already exists") is noticed only at
 * librdkafka's periodic refresh, five minutes later, and its records wait that long.
 */
async function awaitTopics(consumer: RdKafka.KafkaConsumer, topics: readonly string[], waitMs: number): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const meta = await new Promise<RdKafka.Metadata | null>((resolve) =>
      consumer.getMetadata({ allTopics: true, timeout: 5_000 }, (err, data) => resolve(err ? null : data)),
    );
    const ready = new Set((meta?.topics ?? []).filter((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)).map((t) => t.name));
    const missing = topics.filter((t) => !ready.has(t));
    if (missing.length === 0 || Date.now() >= deadline) return missing;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function toInbound(m: RdKafka.Message): InboundMessage {
  const headers: Record<string, string> = {};
  for (const h of m.headers ?? []) for (const [k, v] of Object.entries(h)) headers[k] = v.toString();
  return {
    topic: m.topic,
    partition: m.partition,
    offset: String(m.offset),
    key: m.key === undefined || m.key === null ? null : m.key.toString(),
    value: m.value,
    headers,
    timestamp: m.timestamp ?? Date.now(),
  };
}

/**
 * librdkafka consumer as a ConsumerPort: manual commits only, records pulled in
 * batches and pushed into `messages$`, rebalances surfaced on `assignments$`.
 *
 * A revoke is held (unassign deferred) until the engine calls `done()`, so the
 * engine can finish in-flight work and commit while it still owns the
 * partitions. Records of a partition fetched after its revoke are dropped here.
 *
 * librdkafka keeps a partition's pause across unassign and assign: a partition revoked while
 * paused and assigned back to this consumer would stay paused, with nobody left to resume it
 * (the engine starts every assigned partition unpaused). So a revoke resumes what this port
 * paused before giving the partitions up.
 */
export function createKafkaConsumer(opts: ConsumerOptions): ConsumerPort {
  const messages$ = new Subject<InboundMessage>();
  const assignments$ = new Subject<AssignmentEvent>();
  const owned = new Set<string>();
  /** Partitions paused through this port and not resumed since. */
  const paused = new Set<string>();
  const pendingCommits: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  let stopped = false;

  const consumer = new rdkafka.KafkaConsumer({
    ...baseConfig(opts.brokers, opts.clientId),
    "group.id": opts.groupId,
    "enable.auto.commit": false,
    "enable.auto.offset.store": false,
    "auto.offset.reset": "earliest",
    "partition.assignment.strategy": "range,roundrobin",
    "session.timeout.ms": 10_000,
    "heartbeat.interval.ms": 1_000,
    "max.poll.interval.ms": 300_000,
    // How long the broker holds a fetch that finds nothing new. Records that arrive end the
    // wait at once (fetch.min.bytes is 1), so this bounds only an idle consumer's polling: at
    // 20 ms each idle consumer sent 50 fetches a second, and the idle broker spent 215 ms of
    // CPU a second answering them (63 at 100 ms; bench/e2e.ts). A partition resumed after
    // backpressure joins the next fetch, so it may wait up to this long: 100 ms, not
    // librdkafka's 500.
    "fetch.wait.max.ms": 100,
    offset_commit_cb: (err: RdKafka.LibrdKafkaError | undefined) => {
      const p = pendingCommits.shift();
      if (!p) return;
      if (err) p.reject(new Error(`commit failed: ${err.message ?? err}`));
      else p.resolve();
    },
    rebalance_cb: (err: RdKafka.LibrdKafkaError, assignment: RdKafka.Assignment[]) => {
      const partitions: TopicPartition[] = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
      if (err.code === ErrorCodes.assignPartitions) {
        for (const p of partitions) owned.add(tpId(p.topic, p.partition));
        assignments$.next({ type: "assigned", partitions });
        consumer.assign(assignment);
        return;
      }
      if (err.code !== ErrorCodes.revokePartitions) return;
      for (const p of partitions) owned.delete(tpId(p.topic, p.partition));
      const unassign = () => {
        try {
          consumer.unassign();
        } catch {
          /* disconnected meanwhile */
        }
      };
      // Leaving the group at shutdown: the engine has drained and committed already.
      if (stopped) return unassign();
      let released = false;
      const done = () => {
        if (released) return;
        released = true;
        clearTimeout(timer);
        // Never once disconnecting: resume waits for librdkafka's main thread, which is closing then.
        const resumed = partitions.filter((p) => paused.delete(tpId(p.topic, p.partition)));
        try {
          if (resumed.length && !stopped) consumer.resume(resumed);
        } catch {
          /* disconnected meanwhile */
        }
        unassign();
      };
      const timer = setTimeout(done, opts.revokeTimeoutMs ?? 30_000);
      assignments$.next({ type: "revoked", partitions, done });
    },
  } as RdKafka.ConsumerGlobalConfig);
  consumer.setDefaultConsumeTimeout(100);
  (consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(v: boolean): void }).setDefaultIsTimeoutOnlyForFirstMessage(true);

  const batchSize = opts.batchSize ?? 500;
  const loop = () => {
    if (stopped) return;
    consumer.consume(batchSize, (err, batch) => {
      if (stopped) return;
      if (err && err.code !== -185 /* timed out */) {
        // Most consumer errors are transient (a topic just created and not yet in the
        // metadata, a broker restarting); librdkafka recovers by itself. Only a fatal one ends the stream.
        if ((err as { isFatal?: boolean }).isFatal) {
          messages$.error(new Error(`consume failed: ${err.message}`));
          return;
        }
        setTimeout(loop, 200);
        return;
      }
      for (const m of batch ?? []) if (owned.has(tpId(m.topic, m.partition))) messages$.next(toInbound(m));
      setImmediate(loop);
    });
  };

  return {
    messages$: messages$.asObservable(),
    assignments$: assignments$.asObservable(),
    start: () =>
      new Promise<void>((resolve, reject) => {
        consumer.connect({ timeout: 20_000 }, (err) => {
          if (err) return reject(new Error(`consumer connect: ${err.message}`));
          // A topic still missing at the deadline is subscribed all the same: librdkafka
          // picks it up at a later refresh, as it would have without the wait.
          awaitTopics(consumer, opts.topics, opts.topicWaitMs ?? 30_000).then(() => {
            if (stopped) return resolve();
            consumer.subscribe([...opts.topics]);
            loop();
            resolve();
          }, reject);
        });
      }),
    pause: (tps) => {
      for (const t of tps) paused.add(tpId(t.topic, t.partition));
      if (tps.length) consumer.pause(tps.map((t) => ({ topic: t.topic, partition: t.partition })));
    },
    resume: (tps) => {
      for (const t of tps) paused.delete(tpId(t.topic, t.partition));
      if (tps.length) consumer.resume(tps.map((t) => ({ topic: t.topic, partition: t.partition })));
    },
    commit: (offsets: readonly OffsetCommit[]) =>
      new Promise<void>((resolve, reject) => {
        if (offsets.length === 0) return resolve();
        pendingCommits.push({ resolve, reject });
        try {
          consumer.commit(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: Number(o.offset) })));
        } catch (e) {
          pendingCommits.pop();
          reject(e as Error);
        }
      }),
    disconnect: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        consumer.disconnect(() => {
          messages$.complete();
          assignments$.complete();
          resolve();
        });
      }),
  };
}
