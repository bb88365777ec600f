/**
 * The shared faults (faults.ts) as an Adyen client meets them: the same kinds and phases as in
 * Stripe mode, with Adyen's error bodies. `429` and `lock_timeout` both answer 429 (Adyen has
 * no lock error of its own); `401` is the security error of an API key revoked mid-run.
 */
import type { Fault } from "../faults.ts";
import { connectionReset } from "../http.ts";
import { errorJson, internalError, tooManyRequests, unauthorized } from "./errors.ts";

export type AdyenEdge = { hangMs: () => number | null; sleep: (ms: number) => Promise<void>; headers: Record<string, string> };

async function hang(edge: AdyenEdge): Promise<void> {
  const ms = edge.hangMs();
  await (ms === null ? new Promise<void>(() => {}) : edge.sleep(ms));
}

export async function beforeFault(edge: AdyenEdge, fault: Fault): Promise<Response> {
  switch (fault.kind) {
    case "500":
    case "503":
      return errorJson(internalError(fault.kind === "500" ? 500 : 503), edge.headers);
    case "429":
    case "lock_timeout":
      return errorJson(tooManyRequests(), edge.headers);
    case "401":
      return errorJson(unauthorized(), edge.headers);
    case "reset":
      return connectionReset();
    case "hang":
      await hang(edge);
      return connectionReset();
  }
}

/** After the endpoint ran (and its answer was saved): lose the answer, or deliver it late. */
export async function afterFault(edge: AdyenEdge, fault: Fault | null, real: Response): Promise<Response> {
  if (fault === null || fault.phase === "before") return real;
  switch (fault.kind) {
    case "500":
    case "503":
      return errorJson(internalError(fault.kind === "500" ? 500 : 503), edge.headers);
    case "reset":
      return connectionReset();
    case "hang":
      await hang(edge);
      return real;
    default:
      return real;
  }
}
