/**
 * `keyOrdered`: the KeyedDispatcher as an RxJS operator, for pipelines that are
 * not Kafka consumers (and for marble tests of the ordering rules).
 *
 * Like `mergeMap(project, concurrency)` but never runs two items of one key at
 * once and keeps per-key order. An Observable source cannot be paused, so items
 * beyond the bound wait in per-key queues; the engine avoids that growth by
 * pausing partitions instead of relying on this buffer.
 */
import { Observable, from, type ObservableInput, type OperatorFunction, type Subscription } from "rxjs";
import { KeyedDispatcher } from "./keyed-dispatcher.ts";

export function keyOrdered<T, R>(keyOf: (item: T) => string, concurrency: number, project: (item: T) => ObservableInput<R>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const inner = new Set<Subscription>();
      let sourceDone = false;
      const maybeComplete = () => {
        if (sourceDone && dispatcher.inFlight === 0 && dispatcher.queued === 0) subscriber.complete();
      };
      const dispatcher = new KeyedDispatcher<T>({
        concurrency,
        keyOf,
        run: (item, release) => {
          let sub: Subscription | undefined;
          let finished = false;
          const done = () => {
            finished = true;
            if (sub) inner.delete(sub);
            release();
            maybeComplete();
          };
          sub = from(project(item)).subscribe({
            next: (value) => subscriber.next(value),
            error: (err) => subscriber.error(err),
            complete: done,
          });
          if (!finished) inner.add(sub);
        },
      });
      const outer = source.subscribe({
        next: (item) => dispatcher.submit(item),
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          maybeComplete();
        },
      });
      return () => {
        outer.unsubscribe();
        for (const sub of inner) sub.unsubscribe();
        inner.clear();
      };
    });
}
