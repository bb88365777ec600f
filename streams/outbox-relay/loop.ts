/**
 * The relay's schedule: drain while there is work, then sleep until a
 * Postgres NOTIFY on the outbox channel or the polling interval, whichever
 * comes first. The poll covers notifications missed while (re)connecting.
 */
import { OUTBOX_CHANNEL } from "../../shared/db/outbox.ts";
import type { Sql } from "../../shared/db/client.ts";
import { relayBatch, type RelayDeps } from "./relay.ts";

export interface RelayLoop {
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

export async function startRelayLoop(deps: RelayDeps & { listenSql: Sql; pollMs: number; onError: (err: unknown) => void }): Promise<RelayLoop> {
  let stopping = false;
  let wake: (() => void) | null = null;
  const nudge = () => {
    wake?.();
    wake = null;
  };
  const listener = await deps.listenSql.listen(OUTBOX_CHANNEL, nudge);

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  const done = (async () => {
    let failures = 0;
    while (!stopping) {
      try {
        const moved = await relayBatch(deps);
        failures = 0;
        if (moved < deps.batchSize && !stopping) await sleep(deps.pollMs);
      } catch (err) {
        deps.onError(err);
        // Broker or database down: back off (capped) and try again; rows stay unpublished meanwhile.
        failures++;
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  })();

  return {
    done,
    async stop() {
      stopping = true;
      nudge();
      await done;
      await listener.unlisten();
    },
  };
}
