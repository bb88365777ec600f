/**
 * The create's commit deadline (commitTimeoutMs in service.ts): a commit that does not settle
 * in time is answered 503, and its key stays in flight on this instance until the commit does
 * settle, so a retry in the meantime is a 409 that never reaches the committer (pure:
 * TEST_STACK=none; a fake committer stands in for the database).
 */
import { deferred } from "../../streams/engine/testing/harness.ts";
import { validBody } from "../../test/api/bodies.ts";
import { describe, expect, test } from "bun:test";
import type { Sql } from "../../shared/db/client.ts";
import type { ReplicaReads } from "../../shared/db/replica-reads.ts";
import { ApiError } from "../../shared/http-errors.ts";
import type { GroupCommitter } from "./group-commit.ts";
import type { CreateItem, CreateOutcome } from "./repo.ts";
import { type CreateCommand, createPaymentsService } from "./service.ts";

const COMMIT_TIMEOUT_MS = 50;
/** Per test: well past the deadline, far below bunfig's 60 s, so a missing deadline fails fast. */
const TEST_TIMEOUT_MS = 2_000;

/** A committer whose every submit is answered by `answer`; records what was submitted. */
function fakeCommitter(answer: (item: CreateItem) => Promise<CreateOutcome>) {
  const submitted: CreateItem[] = [];
  const committer: GroupCommitter = {
    submit: (item) => {
      submitted.push(item);
      return answer(item);
    },
    drain: async () => {},
  };
  return { committer, submitted };
}

/** A service whose first commit waits for the test to settle `pending`; later ones commit at once. */
function firstCommitPending() {
  const pending = deferred<CreateOutcome>();
  const answers = [pending.promise];
  const { committer, submitted } = fakeCommitter(async (item) => answers.shift() ?? { outcome: "created", status: 201, body: item.response_body });
  return { pending, submitted, svc: service(committer), key: `ct-${crypto.randomUUID()}` };
}

/** create() never touches the primary or the replica: empty stand-ins are enough. */
const service = (committer: GroupCommitter) =>
  createPaymentsService({ primary: {} as Sql, reads: {} as ReplicaReads, committer, commitTimeoutMs: COMMIT_TIMEOUT_MS });

const command = (idempotencyKey: string, merchantId = "mer_commit_timeout"): CreateCommand => ({
  merchantId,
  idempotencyKey,
  body: validBody(),
  correlationId: crypto.randomUUID(),
});

/**
 * What create() threw; fails the test if it answered instead. A plain await on purpose:
 * `expect(p).rejects` blocks on `p` in Bun, so a create that never settled (no deadline)
 * would hang the run instead of failing at the test's timeout.
 */
async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("create() answered instead of refusing");
}

const isInFlight = (e: ApiError) => e.status === 409 && e.code === "idempotency_key_in_use";

/**
 * create() once the key is free again on this instance: retried (without sleeping, one
 * macrotask apart) while it is refused locally as in flight, up to `withinMs`.
 */
async function createOnceReleased(svc: ReturnType<typeof service>, cmd: CreateCommand, withinMs = 1_000) {
  const until = Date.now() + withinMs;
  for (;;) {
    try {
      return await svc.create(cmd);
    } catch (err) {
      if (!(err instanceof ApiError && isInFlight(err)) || Date.now() > until) throw err;
      await new Promise((r) => setImmediate(r));
    }
  }
}

describe("create: commit deadline", () => {
  test(
    "a commit past the deadline is 503; its key stays in flight locally until the commit settles",
    async () => {
      const pending = deferred<CreateOutcome>();
      // The first submit hangs on `pending`; any later one replays what the first stored.
      const { committer, submitted } = fakeCommitter(async () =>
        submitted.length === 1 ? pending.promise : { outcome: "replayed", status: 201, body: submitted[0]!.response_body },
      );
      const svc = service(committer);
      const key = `ct-${crypto.randomUUID()}`;

      // 1. The commit does not settle within commitTimeoutMs: 503, naming the Idempotency-Key.
      const timedOut = await refusal(svc.create(command(key)));
      expect(timedOut.status).toBe(503);
      expect(timedOut.code).toBe("service_unavailable");
      expect(timedOut.message).toContain("Idempotency-Key");
      expect(submitted).toHaveLength(1);

      // 2. While that commit is still pending, the same key is refused at once, without a submit.
      const again = await refusal(svc.create(command(key)));
      expect(isInFlight(again)).toBe(true);
      expect(submitted).toHaveLength(1);

      // The same key of another merchant is a different key: it reaches the committer.
      expect(await svc.create(command(key, "mer_other"))).toMatchObject({ status: 201, replayed: true });
      expect(submitted).toHaveLength(2);
      expect(submitted[1]!.merchant_id).toBe("mer_other");

      // 3. Once the commit settles the key is released: a retry reaches the committer again
      //    and gets its answer (here the payment the first commit stored, replayed).
      const first = submitted[0]!;
      const storedId = (JSON.parse(first.response_body) as { id: string }).id;
      expect(storedId).toMatch(/^pay_/);
      pending.resolve({ outcome: "created", status: 201, body: first.response_body });
      await pending.promise;
      const retried = await createOnceReleased(svc, command(key));
      expect(submitted).toHaveLength(3);
      expect(submitted[2]!).toMatchObject({ merchant_id: "mer_commit_timeout", idempotency_key: key });
      expect(retried).toEqual({ status: 201, paymentId: storedId, body: first.response_body, replayed: true });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a commit that fails after the deadline also releases its key, and rejects nothing unhandled",
    async () => {
      const { pending, submitted, svc, key } = firstCommitPending();

      expect(await refusal(svc.create(command(key)))).toMatchObject({ status: 503, code: "service_unavailable" });
      expect(isInFlight(await refusal(svc.create(command(key))))).toBe(true);
      expect(submitted).toHaveLength(1);

      pending.reject(new Error("connection lost"));
      await pending.promise.catch(() => {});
      const created = await createOnceReleased(svc, command(key));
      expect(submitted).toHaveLength(2);
      expect(created).toMatchObject({ status: 201, replayed: false });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a commit within the deadline is 201 and releases its key at once",
    async () => {
      const { committer, submitted } = fakeCommitter(async (item) => ({ outcome: "created", status: 201, body: item.response_body }));
      const svc = service(committer);
      const key = `ct-${crypto.randomUUID()}`;

      const result = await svc.create(command(key));
      expect(result.status).toBe(201);
      expect(result.replayed).toBe(false);
      expect(JSON.parse(result.body).id).toBe(result.paymentId);
      expect(submitted).toHaveLength(1);

      // No waiting: the very next create with the key reaches the committer.
      const next = await svc.create(command(key));
      expect(next.status).toBe(201);
      expect(submitted).toHaveLength(2);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a commit still within the deadline holds its key: a concurrent duplicate is 409 without a submit",
    async () => {
      const { pending, submitted, svc, key } = firstCommitPending();

      const first = svc.create(command(key));
      expect(isInFlight(await refusal(svc.create(command(key))))).toBe(true);
      expect(submitted).toHaveLength(1);

      pending.resolve({ outcome: "created", status: 201, body: submitted[0]!.response_body });
      expect(await first).toMatchObject({ status: 201, replayed: false });
      expect(await svc.create(command(key))).toMatchObject({ status: 201 });
      expect(submitted).toHaveLength(2);
    },
    TEST_TIMEOUT_MS,
  );
});
