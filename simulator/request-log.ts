/**
 * Every /v1 request the simulator received, in arrival order: what a test needs to hold the
 * platform's audit log against the gateway's own record, request by request. The
 * `Payorch-Exchange-Id` header a client sends is kept, so each request can be matched with
 * the client's record of it.
 */

export type LoggedRequest = {
  seq: number;
  /** Simulated clock, epoch ms. */
  at: number;
  method: string;
  path: string;
  exchangeId: string | null;
  idempotencyKey: string | null;
  paymentId: string | null;
  /** The HTTP status sent, "reset" for a dropped connection, null while still running. */
  status: number | "reset" | null;
  /** `<kind>/<phase>` of an injected fault, or `outage/<mode>`. */
  fault: string | null;
  replayed: boolean;
};

export const EXCHANGE_ID_HEADER = "Payorch-Exchange-Id";

/** Oldest entries go first once this many are held (a long chaos run sends about 50,000). */
const MAX_ENTRIES = 1_000_000;

export class RequestLog {
  #entries: LoggedRequest[] = [];
  #seq = 0;

  begin(fields: Omit<LoggedRequest, "seq" | "status" | "fault" | "replayed">): LoggedRequest {
    const entry: LoggedRequest = { seq: ++this.#seq, status: null, fault: null, replayed: false, ...fields };
    this.#entries.push(entry);
    if (this.#entries.length > MAX_ENTRIES) this.#entries.splice(0, this.#entries.length - MAX_ENTRIES);
    return entry;
  }

  list(filter: { paymentId?: string; afterSeq?: number; limit?: number } = {}): LoggedRequest[] {
    const after = filter.afterSeq ?? 0;
    const limit = filter.limit ?? 10_000;
    const out: LoggedRequest[] = [];
    for (const e of this.#entries) {
      if (e.seq <= after || (filter.paymentId !== undefined && e.paymentId !== filter.paymentId)) continue;
      out.push(e);
      if (out.length >= limit) break;
    }
    return out;
  }

  clear(): void {
    this.#entries = [];
    this.#seq = 0;
  }
}
