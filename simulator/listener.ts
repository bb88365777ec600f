/**
 * The simulator's socket, with the one outage a request handler cannot play: the port
 * closed, so connections are refused, as when a gateway's front door is down (a client
 * knows such a request never arrived). POST /__admin/faults with
 * `{ "outage": { "mode": "refuse", "durationMs": n } }` closes the port once its answer is
 * sent, and opens it again when the outage ends, with the same state (ledger, keys, clock,
 * webhooks), which a stopped process would lose. The admin API is unreachable meanwhile too.
 */
import type { FaultConfig } from "./faults.ts";

type Handler = (req: Request) => Promise<Response>;

export function listenRefusable(handler: Handler, faults: FaultConfig, now: () => number, opts: { port: number; hostname: string }) {
  let refusing = false;
  const serve = (port: number) => Bun.serve({ port, hostname: opts.hostname, idleTimeout: 0, fetch: handle });
  let server = serve(opts.port);
  const port = server.port ?? opts.port;

  async function handle(req: Request): Promise<Response> {
    const res = await handler(req);
    const outage = faults.outage;
    if (outage?.mode === "refuse" && !refusing && new URL(req.url).pathname === "/__admin/faults") {
      refusing = true;
      // After this answer has gone out: the caller learns the outage began.
      setTimeout(() => {
        void server.stop(true);
        setTimeout(
          () => {
            faults.outage = null;
            refusing = false;
            server = serve(port);
          },
          Math.max(0, outage.untilMs - now()),
        );
      }, 20);
    }
    return res;
  }

  return {
    port,
    stop: () => server.stop(true),
  };
}
