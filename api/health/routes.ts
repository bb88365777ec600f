/**
 * Liveness says the process runs; readiness says it should get traffic: Postgres answers
 * and we are not shutting down. Caddy's active health check polls /health/ready, so an
 * instance draining after SIGTERM drops out of rotation before it closes.
 */
import { hostname } from "node:os";
import { Elysia } from "elysia";
import type { Sql } from "../../shared/db/client.ts";

export type Readiness = { shuttingDown: boolean };

export function healthRoutes(deps: { sql: Sql; readiness: Readiness; timeoutMs?: number; instance?: string }) {
  const timeoutMs = deps.timeoutMs ?? 1000;
  // Which instance answered: lets an operator (and the load-balancing test) see the spread behind Caddy.
  const instance = deps.instance ?? process.env.SERVICE_NAME ?? hostname();
  return new Elysia({ name: "health", prefix: "/health" })
    .get("/live", () => ({ status: "ok", instance }), { detail: { summary: "Liveness", tags: ["ops"] } })
    .get(
      "/ready",
      async ({ set }) => {
        if (deps.readiness.shuttingDown) {
          set.status = 503;
          return { status: "shutting_down" };
        }
        try {
          await Promise.race([
            deps.sql`SELECT 1`,
            Bun.sleep(timeoutMs).then(() => Promise.reject(new Error("timeout"))),
          ]);
          return { status: "ok" };
        } catch {
          set.status = 503;
          return { status: "database_unavailable" };
        }
      },
      { detail: { summary: "Readiness (Postgres answers)", tags: ["ops"] } },
    );
}
