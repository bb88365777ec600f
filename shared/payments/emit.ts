/**
 * What every transition writes after its guarded UPDATE, in the same transaction: the
 * PaymentResult on payments.results (customer mails) and the merchant event (GET
 * /v1/events, webhooks), whose data.object is the resource as GET shows it after the
 * change. So a change and its announcements exist together or not at all.
 */
import type { TransactionSql } from "../db/client.ts";
import type { PaymentResult } from "../events.ts";
import type { EventType } from "../merchant-events/catalogue.ts";
import { recordEvent } from "../merchant-events/record.ts";
import { Headers, Topics } from "../topics.ts";
import { readPayment, readRefund } from "./read.ts";

export type Emitted = {
  result: PaymentResult;
  event: EventType;
  /** The refund the event is about (its resource is the event's object); else the payment. */
  refundId?: string;
  correlationId?: string;
};

/** Two statements: the resource read, then the event with both outbox rows. */
export async function emit(tx: TransactionSql, e: Emitted): Promise<void> {
  const headers: Record<string, string> = e.correlationId ? { [Headers.correlationId]: e.correlationId } : {};
  const object = e.refundId ? await readRefund(tx, e.refundId) : await readPayment(tx, e.result.paymentId);
  if (!object) throw new Error(`emit: ${e.refundId ?? e.result.paymentId} vanished inside its own transaction`);
  await recordEvent(
    tx,
    {
      merchantId: e.result.merchantId,
      paymentId: e.result.paymentId,
      type: e.event,
      object,
      ...(e.correlationId ? { correlationId: e.correlationId } : {}),
    },
    { topic: Topics.paymentsResults, key: e.result.paymentId, payload: e.result, headers },
  );
}
