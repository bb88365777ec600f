/**
 * Routing use cases. Knows nothing about HTTP: a merchant id and a body the schema passed
 * in, the resource out, or an ApiError (400 naming the field) for what the schema cannot
 * check (shared/routing/model.ts, ruleProblem). Reads and writes go to the primary: a GET
 * right after a PUT shows the new rules.
 */
import type { Sql } from "../../shared/db/client.ts";
import { badRequest, unauthorized } from "../../shared/http-errors.ts";
import type { Routing } from "../../shared/routing/model.ts";
import { loadRouting, replaceRouting, RoutingError } from "../../shared/routing/store.ts";
import type { PutRoutingBody, RoutingResource } from "./model.ts";

const resource = (r: Routing): RoutingResource => ({ object: "routing", rules: r.rules, failover_soft_declines: r.failoverSoftDeclines });

/** Store errors as API errors; a stored rule that fails its checks stays a 500 (logged): only a write around the store makes one. */
function toApi(err: unknown): unknown {
  if (!(err instanceof RoutingError)) return err;
  if (err.kind === "invalid" && err.problem) return badRequest("parameter_invalid", `Invalid ${err.problem.param}: ${err.problem.message}.`, err.problem.param);
  // The key authenticated a merchant that no longer exists.
  if (err.kind === "not_found") return unauthorized();
  return err;
}

export function createRoutingService(deps: { primary: Sql }) {
  async function get(merchantId: string): Promise<RoutingResource> {
    try {
      return resource(await loadRouting(deps.primary, merchantId));
    } catch (err) {
      throw toApi(err);
    }
  }

  async function replace(merchantId: string, body: PutRoutingBody): Promise<RoutingResource> {
    try {
      return resource(await replaceRouting(deps.primary, merchantId, { rules: body.rules, failoverSoftDeclines: body.failover_soft_declines }));
    } catch (err) {
      throw toApi(err);
    }
  }

  return { get, replace };
}

export type RoutingService = ReturnType<typeof createRoutingService>;
