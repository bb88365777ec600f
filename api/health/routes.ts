/**
 * Liveness says the process runs; readiness says it should get traffic: Postgres answers
 * and we are not shutting down. Caddy's active health check polls /health/ready, so an
 * instance draining after SIGTERM drops out of rotation before it closes.
 */
import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import type { Sql } from "../../shared/db/client.ts";

export type Readiness = { shuttingDown: boolean };

const Live = Type.Object({ status: Type.Literal("ok"), instance: Type.Optional(Type.String()) });
const Ready = Type.Object({ status: Type.Union([Type.Literal("ok"), Type.Literal("shutting_down"), Type.Literal("database_unavailable")]) });

export function healthRoutes(deps: { sql: Sql; readiness: Readiness; timeoutMs?: number; instance?: string }) {
  const timeoutMs = deps.timeoutMs ?? 1000;
  // Which instance answered (its SERVICE_NAME) lets an operator, and the load-balancing test,
  // see the spread behind Caddy. Never the host name: that is for us, not for the internet.
  const live = deps.instance === undefined ? { status: "ok" as const } : { status: "ok" as const, instance: deps.instance };
  return new Elysia({ name: "health", prefix: "/health" })
    .get("/live", () => live, { response: { 200: Live }, detail: { summary: "Liveness", tags: ["ops"], security: [] } })
    .get(
      "/ready",
      async ({ set }) => {
        if (deps.readiness.shuttingDown) {
          set.status = 503;
          return { status: "shutting_down" };
        }
        try {
          await Promise.race([deps.sql`SELECT 1`, Bun.sleep(timeoutMs).then(() => Promise.reject(new Error("timeout")))]);
          return { status: "ok" };
        } catch {
          set.status = 503;
          return { status: "database_unavailable" };
        }
      },
      { response: { 200: Ready, 503: Ready }, detail: { summary: "Readiness (Postgres answers)", tags: ["ops"], security: [] } },
    );
}
