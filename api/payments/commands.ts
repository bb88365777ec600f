/**
 * Capture and cancel of a manual payment, as the API accepts them: validate the request
 * (the route's schema, the id's pattern here), then one idempotent transaction
 * (api/idempotency/command.ts) in which shared/payments locks the payment, decides whether
 * its state allows the command and writes the command with its payments.commands record.
 * The command worker carries it out and checks the state again. The answer is 202 with the
 * payment as it stands at the commit: `pending_command` shows what was accepted.
 */
import type { TransactionSql } from "../../shared/db/client.ts";
import { PaymentId } from "../../shared/events.ts";
import { internalError, notFound } from "../../shared/http-errors.ts";
import { acceptCancel, acceptCapture } from "../../shared/payments/capture.ts";
import { CommandRefused } from "../../shared/payments/commands.ts";
import { readPayment } from "../../shared/payments/read.ts";
import type { CommandResponse, CommandRunner } from "../idempotency/command.ts";
import type { CancelBody, CaptureBody } from "./model.ts";

const PAYMENT_ID = new RegExp(PaymentId.pattern!);

export type PaymentCommandRequest<B> = {
  merchantId: string;
  paymentId: string;
  idempotencyKey: string;
  body: B;
  correlationId: string;
};

/**
 * Read in the accepting transaction, after the accept: that is the payment as committed
 * (its row stays locked until then), and it is what the key stores, so the first answer and
 * every replay are the same bytes.
 */
async function accepted(tx: TransactionSql, merchantId: string, paymentId: string) {
  const payment = await readPayment(tx, paymentId, merchantId);
  if (!payment) throw internalError(); // locked a moment ago in this transaction
  return { status: 202, body: payment, paymentId };
}

/**
 * Two captures (or a capture and a cancel) racing for one payment: the second waits for the
 * row lock, and its check for a settling command ran on the snapshot taken before the wait,
 * so it passes; the one-settling index (migration 0014) then refuses its insert. That is
 * the same refusal the check would have given, not a server error.
 */
async function oneSettlingAtATime<T>(accept: () => Promise<T>): Promise<T> {
  try {
    return await accept();
  } catch (err) {
    const e = err as { code?: unknown; constraint_name?: unknown };
    if (e.code === "23505" && e.constraint_name === "payment_commands_one_settling") {
      throw new CommandRefused(409, "command_in_progress", "A capture or cancel of this payment is already in progress.");
    }
    throw err;
  }
}

export function createPaymentCommands(deps: { run: CommandRunner }) {
  const checkId = (id: string) => {
    // Never echoed: a path segment is client input like any other.
    if (!PAYMENT_ID.test(id)) throw notFound("No such payment.", "id");
  };

  async function capture(c: PaymentCommandRequest<CaptureBody>): Promise<CommandResponse> {
    checkId(c.paymentId);
    return deps.run({
      merchantId: c.merchantId,
      idempotencyKey: c.idempotencyKey,
      endpoint: `POST /v1/payments/${c.paymentId}/capture`,
      body: c.body,
      execute: async (tx) => {
        await oneSettlingAtATime(() =>
          acceptCapture(tx, {
            merchantId: c.merchantId,
            paymentId: c.paymentId,
            ...(c.body.amount === undefined ? {} : { amount: c.body.amount }),
            correlationId: c.correlationId,
          }),
        );
        return accepted(tx, c.merchantId, c.paymentId);
      },
    });
  }

  async function cancel(c: PaymentCommandRequest<CancelBody>): Promise<CommandResponse> {
    checkId(c.paymentId);
    return deps.run({
      merchantId: c.merchantId,
      idempotencyKey: c.idempotencyKey,
      endpoint: `POST /v1/payments/${c.paymentId}/cancel`,
      body: c.body,
      execute: async (tx) => {
        await oneSettlingAtATime(() => acceptCancel(tx, { merchantId: c.merchantId, paymentId: c.paymentId, correlationId: c.correlationId }));
        return accepted(tx, c.merchantId, c.paymentId);
      },
    });
  }

  return { capture, cancel };
}

export type PaymentCommands = ReturnType<typeof createPaymentCommands>;
