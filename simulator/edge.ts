/**
 * Faults as the client meets them. Before-phase: the request never reaches the endpoint.
 * After-phase: the endpoint ran and its result is saved under the idempotency key, but the
 * answer is lost on the way back (5xx from the edge, reset, or a hang past the client's
 * timeout), so only a retry with the same key learns what happened.
 */
import { apiError, expiredApiKey, lockTimeout, rateLimited } from "./errors.ts";
import type { Fault } from "./faults.ts";
import { connectionReset, errorResponse } from "./http.ts";
import type { SimulatorState } from "./state.ts";

export type Edge = {
  state: SimulatorState;
  sleep: (ms: number) => Promise<void>;
  headers: Record<string, string>;
};

/** SIM_HANG_MS=never: hold the request until the client gives up. */
const forever = (): Promise<void> => new Promise(() => {});

async function hang(edge: Edge): Promise<void> {
  const ms = edge.state.faults.hangMs;
  await (ms === null ? forever() : edge.sleep(ms));
}

export async function beforeFaultResponse(edge: Edge, fault: Fault): Promise<Response> {
  switch (fault.kind) {
    case "500":
      return errorResponse(apiError(500), edge.headers);
    case "503":
      return errorResponse(apiError(503), edge.headers);
    case "429":
      return errorResponse(rateLimited(), edge.headers);
    case "lock_timeout":
      return errorResponse(lockTimeout(), edge.headers);
    case "401":
      return errorResponse(expiredApiKey(), edge.headers);
    case "reset":
      return connectionReset();
    case "hang":
      await hang(edge);
      return connectionReset();
  }
}

export async function withAfterFault(edge: Edge, fault: Fault | null, real: Response): Promise<Response> {
  if (fault === null || fault.phase === "before") return real;
  switch (fault.kind) {
    case "500":
    case "503":
      return errorResponse(apiError(fault.kind === "500" ? 500 : 503), edge.headers);
    case "reset":
      return connectionReset();
    case "hang":
      await hang(edge);
      return real;
    default:
      return real;
  }
}
