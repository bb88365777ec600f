/**
 * Refund use cases. Knows nothing about HTTP requests. A refund is accepted in one
 * idempotent transaction (api/idempotency/command.ts): shared/payments/refund.ts locks the
 * payment, refuses what does not fit (409 with its code) and reserves the amount, so
 * concurrent refunds can never together exceed what was captured; the command worker
 * carries it out. Reads prefer the replica, like payments.
 */
import type { Sql } from "../../shared/db/client.ts";
import type { ReplicaReads } from "../../shared/db/replica-reads.ts";
import { internalError, notFound } from "../../shared/http-errors.ts";
import { listRefunds, readRefund } from "../../shared/payments/read.ts";
import { acceptRefund } from "../../shared/payments/refund.ts";
import { RefundId, type RefundResource } from "../../shared/payments/resource.ts";
import type { CommandResponse, CommandRunner } from "../idempotency/command.ts";
import type { CreateRefundBody } from "./model.ts";

export type RefundsServiceDeps = {
  primary: Sql;
  /** The replica when it is fit to serve, else the primary (shared/db/replica-reads.ts). */
  reads: ReplicaReads;
  run: CommandRunner;
};

const REFUND_ID = new RegExp(RefundId.pattern!);
const noSuchRefund = () => notFound("No such refund.", "id");

export function createRefundsService(deps: RefundsServiceDeps) {
  /** 201 with the refund (pending), read in the accepting transaction: the key stores those bytes. */
  function create(c: { merchantId: string; idempotencyKey: string; body: CreateRefundBody; correlationId: string }): Promise<CommandResponse> {
    const b = c.body;
    return deps.run({
      merchantId: c.merchantId,
      idempotencyKey: c.idempotencyKey,
      endpoint: "POST /v1/refunds",
      body: b,
      execute: async (tx) => {
        const { refundId } = await acceptRefund(tx, {
          merchantId: c.merchantId,
          paymentId: b.payment_id,
          ...(b.amount === undefined ? {} : { amount: b.amount }),
          ...(b.reason === undefined ? {} : { reason: b.reason }),
          correlationId: c.correlationId,
        });
        const refund = await readRefund(tx, refundId, c.merchantId);
        if (!refund) throw internalError(); // written a moment ago in this transaction
        return { status: 201, body: refund, paymentId: b.payment_id };
      },
    });
  }

  /** Replica first; a miss may be replication lag, so the primary is asked before 404. */
  async function get(merchantId: string, id: string): Promise<RefundResource> {
    // The id is never echoed back: a path segment is client input like any other.
    if (!REFUND_ID.test(id)) throw noSuchRefund();
    const found = (await deps.reads.read((sql) => readRefund(sql, id, merchantId))) ?? (await readRefund(deps.primary, id, merchantId));
    if (!found) throw noSuchRefund();
    return found;
  }

  /** Newest first; may trail the newest writes by the replica's lag bound. */
  function list(merchantId: string, q: { paymentId?: string; limit: number; startingAfter?: string }) {
    return deps.reads.read((sql) => listRefunds(sql, { merchantId, ...q }));
  }

  return { create, get, list };
}

export type RefundsService = ReturnType<typeof createRefundsService>;
