/**
 * Payment use cases. Knows nothing about HTTP requests: it gets a merchant id, a validated
 * body and an idempotency key, and returns what to answer or throws a typed ApiError.
 * Capture and cancel are in commands.ts; the resource is built and read by shared/payments.
 */
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { Sql } from "../../shared/db/client.ts";
import type { ReplicaReads } from "../../shared/db/replica-reads.ts";
import { PaymentCreated, PaymentId, type PaymentStatus } from "../../shared/events.ts";
import { idempotencyInFlight, idempotencyMismatch, internalError, notFound, serviceUnavailable } from "../../shared/http-errors.ts";
import { listPayments, readPayment } from "../../shared/payments/read.ts";
import { toPaymentResource, type PaymentResource } from "../../shared/payments/resource.ts";
import { Headers, Topics } from "../../shared/topics.ts";
import { DEFAULT_CAPTURE_WINDOW_HOURS } from "../config.ts";
import { createCommandRunner, type CommandRunner } from "../idempotency/command.ts";
import { idempotencyLockId, requestFingerprint } from "../idempotency/fingerprint.ts";
import { captureTerms } from "./capture-window.ts";
import { createPaymentCommands } from "./commands.ts";
import type { GroupCommitter } from "./group-commit.ts";
import type { CreatePaymentBody } from "./model.ts";

export type PaymentsServiceDeps = {
  primary: Sql;
  /** The read replica when it is fit to serve, else the primary (shared/db/replica-reads.ts). */
  reads: ReplicaReads;
  committer: GroupCommitter;
  /** Runs capture and cancel (api/idempotency/command.ts); by default one that wakes no relay (it polls). */
  commands?: CommandRunner;
  /** A manual payment's default and longest capture_before, from now (CAPTURE_WINDOW_HOURS, 168 by default). */
  captureWindowHours?: number;
  /** CREATE_COMMIT_TIMEOUT_MS: longest wait for a create's commit before answering 503 (10 s by default). */
  commitTimeoutMs?: number;
  now?: () => Date;
};

export type CreateCommand = {
  merchantId: string;
  idempotencyKey: string;
  body: CreatePaymentBody;
  correlationId: string;
};

/** `body` is the serialised response: on a replay, byte for byte what the first caller got. */
export type CreateResult = { status: number; paymentId: string; body: string; replayed: boolean };

export type PaymentsService = ReturnType<typeof createPaymentsService>;

const CREATE_ENDPOINT = "POST /v1/payments";
const PAYMENT_ID = new RegExp(PaymentId.pattern!);

// Compiled once: the interpreting Value.Check walks the schema on every call.
const paymentCreatedCheck = TypeCompiler.Compile(PaymentCreated);

const TIMED_OUT = Symbol("timed out");

/** The promise's outcome, or a rejection with TIMED_OUT after `ms`; the promise itself runs on. */
function settledWithin<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const newPaymentId = (): string => `pay_${Bun.randomUUIDv7().replaceAll("-", "")}`;

export function createPaymentsService(deps: PaymentsServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const captureWindowHours = deps.captureWindowHours ?? DEFAULT_CAPTURE_WINDOW_HOURS;
  // Keys with a create in flight from this instance: a concurrent duplicate gets its 409
  // here without a database round trip. Other instances are covered by the advisory lock.
  const localInFlight = new Set<string>();

  const commitTimeoutMs = deps.commitTimeoutMs ?? 10_000;

  async function create(cmd: CreateCommand): Promise<CreateResult> {
    const lock = idempotencyLockId(cmd.merchantId, cmd.idempotencyKey);
    if (localInFlight.has(lock)) throw idempotencyInFlight();
    localInFlight.add(lock);
    // A commit still waiting when the answer goes keeps its key in flight until it settles.
    let unsettled: Promise<unknown> | undefined;
    try {
      const id = newPaymentId();
      const created = now();
      const createdAt = created.toISOString();
      const b = cmd.body;
      const { captureMethod, captureBefore } = captureTerms(b, created, captureWindowHours);
      // The row as create_payments() stores it, so the answer is the resource GET will show.
      const payment = toPaymentResource({
        id,
        merchant_id: cmd.merchantId,
        status: "PENDING",
        amount: b.amount,
        currency: b.currency,
        payment_method: b.payment_method,
        capture_method: captureMethod,
        capture_before: captureBefore,
        amount_captured: 0,
        amount_refunded: 0,
        customer_email: b.customer.email,
        customer_name: b.customer.name ?? null,
        description: b.description ?? null,
        metadata: b.metadata ?? {},
        connector: null,
        decline_code: null,
        last_error: null,
        created_at: created,
        updated_at: created,
        decided_at: null,
      });
      const event: PaymentCreated = {
        v: 1,
        paymentId: id,
        merchantId: cmd.merchantId,
        amount: b.amount,
        currency: b.currency,
        paymentMethod: b.payment_method,
        customer: payment.customer,
        createdAt,
        captureMethod,
      };
      // Producer-side check: an event the consumers would reject must never be written.
      if (!paymentCreatedCheck.Check(event)) throw internalError();

      const responseBody = JSON.stringify(payment);
      const submitted = deps.committer.submit({
        lock,
        merchant_id: cmd.merchantId,
        idempotency_key: cmd.idempotencyKey,
        fingerprint: requestFingerprint(CREATE_ENDPOINT, b),
        topic: Topics.paymentsCreated,
        payment: {
          id,
          merchant_id: cmd.merchantId,
          amount: b.amount,
          currency: b.currency,
          payment_method: b.payment_method,
          customer_email: b.customer.email,
          customer_name: b.customer.name ?? null,
          description: b.description ?? null,
          metadata: b.metadata ?? {},
          created_at: createdAt,
          capture_method: captureMethod,
          capture_before: captureBefore?.toISOString() ?? null,
        },
        event,
        headers: { [Headers.correlationId]: cmd.correlationId },
        response_status: 201,
        response_body: responseBody,
      });
      // Never 201 before the commit is confirmed; never cancel it either (see createCommitTimeoutMs).
      let outcome: Awaited<typeof submitted>;
      try {
        outcome = await settledWithin(submitted, commitTimeoutMs);
      } catch (e) {
        if (e !== TIMED_OUT) throw e;
        unsettled = submitted;
        throw serviceUnavailable(
          `The payment could not be confirmed as stored within ${commitTimeoutMs / 1000} s. Retry with the same Idempotency-Key: it is created at most once.`,
        );
      }
      switch (outcome.outcome) {
        case "created":
          return { status: 201, paymentId: id, body: responseBody, replayed: false };
        case "replayed":
          return {
            status: outcome.status,
            paymentId: (JSON.parse(outcome.body) as PaymentResource).id,
            body: outcome.body,
            replayed: true,
          };
        case "in_flight":
          throw idempotencyInFlight();
        case "mismatch":
          throw idempotencyMismatch();
        default:
          throw internalError();
      }
    } finally {
      if (unsettled) void unsettled.then(null, () => {}).finally(() => localInFlight.delete(lock));
      else localInFlight.delete(lock);
    }
  }

  /** Replica first (within its lag bound); a miss may only mean replication lag, so ask the primary before 404. */
  async function get(merchantId: string, id: string): Promise<PaymentResource> {
    // The id is never echoed back: a path segment is client input like any other.
    if (!PAYMENT_ID.test(id)) throw notFound("No such payment.", "id");
    const found = (await deps.reads.read((sql) => readPayment(sql, id, merchantId))) ?? (await readPayment(deps.primary, id, merchantId));
    if (!found) throw notFound("No such payment.", "id");
    return found;
  }

  /**
   * Lists read the replica while it is within its lag bound: a page may trail the newest
   * writes by up to that bound. A client that needs its fresh payment reads it by id.
   */
  function list(merchantId: string, q: { limit: number; startingAfter?: string; status?: PaymentStatus }) {
    return deps.reads.read((sql) => listPayments(sql, { merchantId, ...q }));
  }

  return { create, get, list, ...createPaymentCommands({ run: deps.commands ?? createCommandRunner({ primary: deps.primary }) }) };
}
