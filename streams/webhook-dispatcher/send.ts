/**
 * One webhook attempt: check the destination (resolve, check every address), then POST to
 * the address that was checked. The request names the URL's host (Host header, TLS SNI and
 * certificate check: always verified) but its socket goes to the checked address through a
 * `lookup` that returns only that address, so nothing can look the name up again in between
 * (DNS rebinding). No redirects are followed; any 2xx within the timeout is delivered.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { AddressPolicy } from "../../shared/net/address-policy.ts";
import { hostOf, resolveDestination, type Resolver } from "../../shared/net/destination.ts";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from "../../shared/merchant-events/signature.ts";
import type { AttemptResult } from "./store.ts";

export type SendOptions = {
  policy: AddressPolicy;
  resolver: Resolver;
  timeoutMs: number;
  /** Unix seconds for the signature (tests); the clock by default. */
  nowSeconds?: () => number;
};

export type Webhook = { url: string; eventId: string; body: string; secrets: readonly string[] };

const USER_AGENT = "Payorch-Webhooks/1.0 (+docs/webhooks.md)";
/** Bytes of a response we read before dropping the connection: we only need the status. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** A lookup that answers with the checked address whatever it is asked (Node asks with all: true since v20). */
const pinned = (address: string, family: number): LookupFunction =>
  ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code && e.message?.includes(e.code)) return e.message;
  return e.code ? `${e.code}: ${e.message ?? ""}` : (e.message ?? String(err));
}

export async function sendWebhook(w: Webhook, opts: SendOptions): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const url = new URL(w.url);
  const dest = await resolveDestination(url, { ...opts.policy, resolver: opts.resolver, lookupTimeoutMs: Math.min(5_000, opts.timeoutMs) });
  if (!dest.ok) {
    return dest.kind === "refused"
      ? { outcome: "refused", durationMs: elapsed(), error: `destination refused: ${dest.reason}` }
      : { outcome: "failed", statusCode: null, durationMs: elapsed(), error: dest.reason };
  }
  const timestamp = (opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000)))();
  const body = Buffer.from(w.body, "utf8");
  const host = hostOf(url);
  const https = url.protocol === "https:";
  const remaining = Math.max(1, opts.timeoutMs - elapsed());

  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = (https ? httpsRequest : httpRequest)(
      {
        method: "POST",
        protocol: url.protocol,
        hostname: host,
        port: url.port === "" ? (https ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        lookup: pinned(dest.address, dest.family),
        // No pooled socket: each attempt connects to the address it has just checked.
        agent: false,
        // TLS is always verified; SNI names the host (never an IP literal, RFC 6066).
        ...(https ? { rejectUnauthorized: true, ...(isIP(host) === 0 ? { servername: host } : {}) } : {}),
        headers: {
          "content-type": "application/json; charset=utf-8",
          "content-length": String(body.length),
          "user-agent": USER_AGENT,
          [SIGNATURE_HEADER]: signatureHeader(body, w.secrets, timestamp),
          [EVENT_ID_HEADER]: w.eventId,
        },
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const durationMs = elapsed();
        let read = 0;
        res.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on("error", () => {});
        res.on("end", () => req.destroy());
        res.on("close", () => req.destroy());
        if (status >= 200 && status < 300) finish({ outcome: "delivered", statusCode: status, durationMs });
        else
          finish({
            outcome: "failed",
            statusCode: status,
            durationMs,
            error: `HTTP ${status}${status >= 300 && status < 400 ? " (redirects are not followed)" : ""}`,
          });
      },
    );
    const timer = setTimeout(() => {
      finish({ outcome: "failed", statusCode: null, durationMs: elapsed(), error: `no answer within ${opts.timeoutMs} ms` });
      req.destroy();
    }, remaining);
    req.on("error", (err) => finish({ outcome: "failed", statusCode: null, durationMs: elapsed(), error: describe(err) }));
    req.end(body);
  });
}
