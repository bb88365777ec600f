/**
 * Offset tracking for one partition: commit only the contiguous finished prefix.
 *
 * Records of a partition arrive in offset order, so the tracker keeps them in a
 * FIFO in arrival order; finishing one is a flag flip and the prefix advances
 * by popping finished heads (amortised O(1) per record, no offset arithmetic on
 * the hot path). Gaps in the offset sequence (compaction, transaction markers)
 * need no care: only offsets actually received are tracked.
 */
import { Deque } from "./deque.ts";

/** Decimal offset strings (non-negative, no leading zeros) compared without losing int64 precision. */
export function compareOffsets(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();

/** A tracked record; the engine's per-message envelope implements this directly to save an allocation. */
export interface OffsetTicket {
  readonly offset: string;
  finished: boolean;
}

export class PartitionTracker<T extends OffsetTicket = OffsetTicket> {
  #queue = new Deque<T>();
  #lastSeen: string | null = null;
  #firstSeen: string | null = null;
  /** Highest offset whose predecessors (as received) are all finished. */
  #doneThrough: string | null = null;
  #committed: string | null = null;
  #open = 0;

  /** Tracks a record; false if its offset is not beyond the last one seen (a redelivery to ignore). */
  track(ticket: T): boolean {
    if (this.#lastSeen !== null && compareOffsets(ticket.offset, this.#lastSeen) <= 0) return false;
    this.#lastSeen = ticket.offset;
    if (this.#firstSeen === null) this.#firstSeen = ticket.offset;
    this.#queue.push(ticket);
    this.#open++;
    return true;
  }

  finish(ticket: T): void {
    if (ticket.finished) return;
    ticket.finished = true;
    this.#open--;
    let head = this.#queue.peek();
    while (head?.finished) {
      this.#doneThrough = head.offset;
      this.#queue.shift();
      head = this.#queue.peek();
    }
  }

  /** Records tracked but not finished: in flight, queued, held for their due time, or awaiting a batch. */
  get open(): number {
    return this.#open;
  }

  /** Records held between the commit position and the newest record (finished or not). */
  get uncommittedSpan(): number {
    return this.#queue.length;
  }

  /** The position to commit (next offset to read), or null when it has not moved since the last commit. */
  committable(): string | null {
    if (this.#doneThrough === null) return null;
    const next = nextOffset(this.#doneThrough);
    return next === this.#committed ? null : next;
  }

  markCommitted(position: string): void {
    if (this.#committed === null || compareOffsets(position, this.#committed) > 0) this.#committed = position;
  }

  get committed(): string | null {
    return this.#committed;
  }

  /** Records received in this ownership whose offset is not yet committed (commit lag, as seen by this consumer). */
  lag(): number {
    if (this.#lastSeen === null) return 0;
    const base = this.#committed ?? this.#firstSeen ?? this.#lastSeen;
    return Number(BigInt(this.#lastSeen) + 1n - BigInt(base));
  }

  /** Unfinished records, oldest first (for dropping queued work on revoke or shutdown). */
  unfinished(): T[] {
    const out: T[] = [];
    for (const t of this.#queue) if (!t.finished) out.push(t);
    return out;
  }
}
