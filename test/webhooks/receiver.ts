/**
 * A local webhook receiver for tests and the chaos run: Bun.serve on 127.0.0.1 (a random
 * port unless given), recording every request it gets with its signature checked by the
 * verifier merchants use (shared/merchant-events/signature.ts). It answers what `respond`
 * says (200 by default), so a test can make it fail for a while.
 *
 *   const rx = await startReceiver({ secrets: () => [secret] });
 *   // create an endpoint at rx.url, make events, then:
 *   rx.accepted()              // requests it answered 2xx, in arrival order
 *   rx.firstAccepted(eventId)  // when an event first arrived and was accepted
 *   rx.orderViolations(expected) // per payment, events first accepted out of order
 *   rx.duplicates()            // event ids accepted more than once, with their counts
 */
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifyWebhookSignature, type VerifyFailure } from "../../shared/merchant-events/signature.ts";

export type ReceivedWebhook = {
  /** Arrival order across the receiver, from 0. */
  seq: number;
  receivedAt: number;
  eventId: string | null;
  /** The Payorch-Event-Id header, which must equal eventId. */
  headerEventId: string | null;
  type: string | null;
  paymentId: string | null;
  body: string;
  signature: string | null;
  verified: boolean;
  verifyFailure: VerifyFailure | null;
  /** What the receiver answered. */
  status: number;
};

export type ReceiverOptions = {
  /** The endpoint's valid secrets right now (a function, so a rotation can change them). */
  secrets: () => readonly string[];
  /** The status to answer; the request is already recorded (with status filled in after). */
  respond?: (w: Omit<ReceivedWebhook, "status">) => number | Promise<number>;
  port?: number;
  path?: string;
  /** Which payment an event is about: data.object.id for a payment, data.object.payment_id for a refund. */
  paymentIdOf?: (event: { data?: { object?: Record<string, unknown> } }) => string | null;
};

const defaultPaymentIdOf = (event: { data?: { object?: Record<string, unknown> } }): string | null => {
  const o = event.data?.object;
  if (!o) return null;
  if (o.object === "payment" && typeof o.id === "string") return o.id;
  return typeof o.payment_id === "string" ? o.payment_id : null;
};

export async function startReceiver(opts: ReceiverOptions) {
  const received: ReceivedWebhook[] = [];
  let respond = opts.respond ?? (() => 200);
  const path = opts.path ?? "/hooks";
  const paymentIdOf = opts.paymentIdOf ?? defaultPaymentIdOf;

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: opts.port ?? 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "POST" || url.pathname !== path) return new Response("not found", { status: 404 });
      const body = await req.text();
      const signature = req.headers.get(SIGNATURE_HEADER);
      const check = verifyWebhookSignature(body, signature, opts.secrets());
      let event: { id?: unknown; type?: unknown; data?: { object?: Record<string, unknown> } } = {};
      try {
        event = JSON.parse(body);
      } catch {
        // recorded as it came; eventId stays null
      }
      const partial = {
        seq: received.length,
        receivedAt: Date.now(),
        eventId: typeof event.id === "string" ? event.id : null,
        headerEventId: req.headers.get(EVENT_ID_HEADER),
        type: typeof event.type === "string" ? event.type : null,
        paymentId: paymentIdOf(event),
        body,
        signature,
        verified: check.ok,
        verifyFailure: check.ok ? null : check.reason,
      };
      const entry: ReceivedWebhook = { ...partial, status: 0 };
      received.push(entry);
      entry.status = await respond(partial);
      return new Response(entry.status >= 200 && entry.status < 300 ? "ok" : "no", { status: entry.status });
    },
  });

  const accepted = () => received.filter((r) => r.status >= 200 && r.status < 300);

  return {
    url: `http://127.0.0.1:${server.port}${path}`,
    port: server.port as number,
    received,
    accepted,
    /** Changes the answer from now on. */
    setRespond(fn: NonNullable<ReceiverOptions["respond"]>) {
      respond = fn;
    },
    acceptedEventIds: () => new Set(accepted().map((r) => r.eventId)),
    firstAccepted(eventId: string): ReceivedWebhook | undefined {
      return accepted().find((r) => r.eventId === eventId);
    },
    /** Requests (any answer) per event id. */
    attemptsOf(eventId: string): ReceivedWebhook[] {
      return received.filter((r) => r.eventId === eventId);
    },
    /** Event ids accepted more than once, with how often. */
    duplicates(): Map<string, number> {
      const n = new Map<string, number>();
      for (const r of accepted()) if (r.eventId) n.set(r.eventId, (n.get(r.eventId) ?? 0) + 1);
      return new Map([...n].filter(([, c]) => c > 1));
    },
    /**
     * For each payment, the events (in the order they happened) whose first accepted arrival
     * came before that of an earlier event of the same payment. Empty when the order held.
     */
    orderViolations(expected: ReadonlyMap<string, readonly string[]>): string[] {
      const problems: string[] = [];
      for (const [paymentId, ids] of expected) {
        let last = -1;
        for (const id of ids) {
          const first = this.firstAccepted(id);
          if (!first) continue;
          if (first.seq < last) problems.push(`${paymentId}: ${id} arrived before an earlier event`);
          last = Math.max(last, first.seq);
        }
      }
      return problems;
    },
    /** Accepted requests whose signature did not verify, or whose header id differs from the body's. */
    badRequests: () => received.filter((r) => !r.verified || r.headerEventId !== r.eventId),
    stop: () => server.stop(true),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
