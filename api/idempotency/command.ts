/**
 * One idempotent command (capture, cancel, refund) per request, in ONE transaction: the
 * advisory lock on (merchant, key), the earlier record under the key, the command's accept
 * (which locks the payment and checks its state), the response stored under the key. So a
 * command and its stored answer exist together or not at all, and a crash leaves no key
 * locked. The lock is the create's (idempotencyLockId), so a key is one key across the API.
 *
 * What is stored: only accepted commands. A refusal (CommandRefused: 404, 409 or 400 with
 * its code) rolls back and stores nothing, like a validation failure: the same key may be
 * used again once the state allows the command.
 */
import type { Sql, TransactionSql } from "../../shared/db/client.ts";
import { ApiError, idempotencyInFlight, idempotencyMismatch } from "../../shared/http-errors.ts";
import { CommandRefused } from "../../shared/payments/commands.ts";
import { requestInfo } from "../http/request-context.ts";
import { idempotencyLockId, requestFingerprint } from "./fingerprint.ts";

export type CommandRequest = {
  merchantId: string;
  idempotencyKey: string;
  /** The operation and the resource it acts on, e.g. `POST /v1/payments/pay_…/capture`: part of the fingerprint. */
  endpoint: string;
  /** The validated body: with `endpoint`, what "the same request" means. */
  body: unknown;
  /** Accepts the command inside `tx` and says what to answer (and store): `paymentId` is the payment it concerns. */
  execute: (tx: TransactionSql) => Promise<{ status: number; body: unknown; paymentId: string }>;
};

/** `body` is the serialised response: on a replay, byte for byte what the first caller got. */
export type CommandResponse = { status: number; body: string; replayed: boolean };

export type CommandRunner = (request: CommandRequest) => Promise<CommandResponse>;

type Prior = { same: boolean; response_status: number; response_body: string };

/** The API error for a refusal: its status, code and param, as any invalid request. */
const refusalError = (r: CommandRefused): ApiError => new ApiError(r.status, "invalid_request_error", r.code, r.message, r.param);

export function createCommandRunner(deps: {
  primary: Sql;
  /** After a commit that accepted a command (its outbox row is written): wakes the relay. */
  onCommitted?: () => void;
}): CommandRunner {
  return async (req) => {
    const lock = idempotencyLockId(req.merchantId, req.idempotencyKey);
    const fingerprint = requestFingerprint(req.endpoint, req.body);
    let response: CommandResponse;
    try {
      response = await deps.primary.begin(async (sql) => {
        const tx = sql as TransactionSql;
        const [held] = await tx<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(${lock}::bigint) AS ok`;
        if (!held?.ok) throw idempotencyInFlight();
        const [prior] = await tx<Prior[]>`
          SELECT fingerprint = decode(${fingerprint}, 'hex') AS same, response_status, response_body
            FROM idempotency_keys WHERE merchant_id = ${req.merchantId} AND key = ${req.idempotencyKey}`;
        if (prior) {
          if (!prior.same) throw idempotencyMismatch();
          return { status: prior.response_status, body: prior.response_body, replayed: true };
        }
        const out = await req.execute(tx);
        const body = JSON.stringify(out.body);
        // Under the lock, with no record seen, the key is free; a conflict would mean the lock
        // failed us, and then the other request's answer stands.
        const stored = await tx`
          INSERT INTO idempotency_keys (merchant_id, key, fingerprint, response_status, response_body, payment_id)
          VALUES (${req.merchantId}, ${req.idempotencyKey}, decode(${fingerprint}, 'hex'), ${out.status}, ${body}, ${out.paymentId})
          ON CONFLICT (merchant_id, key) DO NOTHING RETURNING 1`;
        if (stored.length === 0) throw idempotencyInFlight();
        return { status: out.status, body, replayed: false };
      });
    } catch (err) {
      if (err instanceof CommandRefused) throw refusalError(err);
      throw err;
    }
    if (!response.replayed) deps.onCommitted?.();
    return response;
  };
}

/** The HTTP answer: the stored bytes as they are (never re-serialised), marked when replayed. */
export function commandHttpResponse(request: Request, r: CommandResponse, location?: string): Response {
  const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": requestInfo(request).id };
  if (location !== undefined) headers.location = location;
  if (r.replayed) headers["idempotent-replayed"] = "true";
  return new Response(r.body, { status: r.status, headers });
}
