/**
 * An in-memory broker implementing the engine's ports, for unit tests.
 *
 * Topics are arrays of partitions of records; the consumer delivers from its
 * position in each assigned, unpaused partition (asynchronously, as a real
 * client does), and after a revoke or a restart it resumes from the committed
 * position, so tests see real at-least-once redelivery. The producer appends on
 * ack; acks can be held back or made to fail to test the "finished only after
 * ack" rules.
 */
import { Subject } from "rxjs";
import type { AssignmentEvent, ConsumerPort, InboundMessage, OffsetCommit, OutboundRecord, ProducerPort, TopicPartition } from "../ports.ts";

export interface StoredRecord extends InboundMessage {}

export interface ProduceInput {
  readonly key?: string | null;
  readonly value?: Buffer | string | null;
  readonly headers?: Record<string, string>;
  readonly partition?: number;
}

const hash = (s: string): number => {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return Math.abs(h);
};

export class FakeBroker {
  readonly partitions: number;
  readonly now: () => number;
  #topics = new Map<string, StoredRecord[][]>();
  #consumers = new Set<FakeConsumer>();

  constructor(opts: { partitions?: number; now?: () => number } = {}) {
    this.partitions = opts.partitions ?? 1;
    this.now = opts.now ?? Date.now;
  }

  topic(name: string): StoredRecord[][] {
    let t = this.#topics.get(name);
    if (t === undefined) {
      t = Array.from({ length: this.partitions }, () => []);
      this.#topics.set(name, t);
    }
    return t;
  }

  produce(topic: string, input: ProduceInput): StoredRecord {
    const parts = this.topic(topic);
    const key = input.key ?? null;
    const partition = input.partition ?? (key === null ? 0 : hash(key) % parts.length);
    const log = parts[partition] as StoredRecord[];
    const value = input.value === undefined || input.value === null ? null : Buffer.from(input.value);
    const rec: StoredRecord = {
      topic,
      partition,
      offset: String(log.length),
      key,
      value,
      headers: { ...input.headers },
      timestamp: this.now(),
    };
    log.push(rec);
    for (const c of this.#consumers) c.notify();
    return rec;
  }

  /** Every record of a topic, partition by partition. */
  records(topic: string): StoredRecord[] {
    return this.topic(topic).flat();
  }

  consumer(topics: readonly string[]): FakeConsumer {
    const c = new FakeConsumer(this, topics);
    this.#consumers.add(c);
    return c;
  }

  producer(): FakeProducer {
    return new FakeProducer(this);
  }

  /** Committed positions are per group in Kafka; one group per broker is enough here. */
  readonly committed = new Map<string, string>();
}

const id = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

export class FakeConsumer implements ConsumerPort {
  readonly messages$ = new Subject<InboundMessage>();
  readonly assignments$ = new Subject<AssignmentEvent>();
  readonly commits: OffsetCommit[][] = [];
  /** Every pause/resume call, in order, as "pause topic[p]" / "resume topic[p]". */
  readonly calls: string[] = [];
  disconnected = false;
  #broker: FakeBroker;
  #topics: readonly string[];
  #assigned = new Map<string, { tp: TopicPartition; position: number }>();
  #paused = new Set<string>();
  #scheduled = false;

  constructor(broker: FakeBroker, topics: readonly string[]) {
    this.#broker = broker;
    this.#topics = topics;
  }

  /** Assigns every partition of the subscribed topics, like a group of one. */
  async start(): Promise<void> {
    const all = this.#topics.flatMap((topic) => Array.from({ length: this.#broker.partitions }, (_, partition) => ({ topic, partition })));
    this.assign(all);
  }

  assign(tps: readonly TopicPartition[]): void {
    for (const tp of tps) {
      this.#broker.topic(tp.topic);
      const committed = this.#broker.committed.get(id(tp));
      this.#assigned.set(id(tp), { tp, position: committed === undefined ? 0 : Number(committed) });
      this.#paused.delete(id(tp));
    }
    this.assignments$.next({ type: "assigned", partitions: tps });
    this.notify();
  }

  /** Revokes and resolves once the engine has released the partitions (called `done`). */
  revoke(tps: readonly TopicPartition[]): Promise<void> {
    for (const tp of tps) this.#assigned.delete(id(tp));
    return new Promise((resolve) => this.assignments$.next({ type: "revoked", partitions: tps, done: resolve }));
  }

  lose(tps: readonly TopicPartition[]): void {
    for (const tp of tps) this.#assigned.delete(id(tp));
    this.assignments$.next({ type: "lost", partitions: tps });
  }

  pause(tps: readonly TopicPartition[]): void {
    for (const tp of tps) {
      this.calls.push(`pause ${tp.topic}[${tp.partition}]`);
      this.#paused.add(id(tp));
    }
  }

  resume(tps: readonly TopicPartition[]): void {
    for (const tp of tps) {
      this.calls.push(`resume ${tp.topic}[${tp.partition}]`);
      this.#paused.delete(id(tp));
    }
    this.notify();
  }

  isPaused(topic: string, partition: number): boolean {
    return this.#paused.has(id({ topic, partition }));
  }

  async commit(offsets: readonly OffsetCommit[]): Promise<void> {
    this.commits.push([...offsets]);
    for (const o of offsets) this.#broker.committed.set(id(o), o.offset);
  }

  /** The committed position (next offset to read) of a partition. */
  committed(topic: string, partition = 0): string | undefined {
    return this.#broker.committed.get(id({ topic, partition }));
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
    this.#assigned.clear();
    this.messages$.complete();
  }

  /** New data or a resume: deliver on a later microtask, as a client's fetch loop would. */
  notify(): void {
    if (this.#scheduled || this.disconnected) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#deliver();
    });
  }

  #deliver(): void {
    for (const [key, a] of this.#assigned) {
      const log = this.#broker.topic(a.tp.topic)[a.tp.partition] as StoredRecord[];
      while (a.position < log.length && !this.#paused.has(key) && this.#assigned.get(key) === a) {
        this.messages$.next(log[a.position++] as StoredRecord);
      }
    }
  }
}

export class FakeProducer implements ProducerPort {
  readonly sent: OutboundRecord[] = [];
  disconnected = false;
  /** While true, sends wait for `ackAll()`. */
  holdAcks = false;
  #broker: FakeBroker;
  #held: { records: readonly OutboundRecord[]; resolve: () => void }[] = [];
  #failures: unknown[] = [];

  constructor(broker: FakeBroker) {
    this.#broker = broker;
  }

  /** The next send rejects with `err` (nothing is stored). */
  failNext(err: unknown): void {
    this.#failures.push(err);
  }

  get pendingAcks(): number {
    return this.#held.length;
  }

  async send(records: readonly OutboundRecord[]): Promise<void> {
    if (this.#failures.length > 0) throw this.#failures.shift();
    if (this.holdAcks) {
      await new Promise<void>((resolve) => this.#held.push({ records, resolve }));
      return;
    }
    this.#store(records);
  }

  ackAll(): void {
    const held = this.#held;
    this.#held = [];
    for (const h of held) {
      this.#store(h.records);
      h.resolve();
    }
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  #store(records: readonly OutboundRecord[]): void {
    for (const r of records) {
      this.sent.push(r);
      this.#broker.produce(r.topic, {
        key: r.key,
        value: r.value,
        headers: { ...r.headers },
        ...(r.partition === undefined ? {} : { partition: r.partition }),
      });
    }
  }
}
