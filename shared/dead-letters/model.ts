/**
 * Dead letters as operators see them (CLI, /ops endpoints). One shape for both, taken from
 * the TypeBox schema (one schema per concept). Payloads are shown as text when they are UTF-8, else base64.
 */
import { Type, type Static } from "@sinclair/typebox";

export const DeadLetterState = Type.Union([Type.Literal("new"), Type.Literal("replayed"), Type.Literal("discarded")]);
export type DeadLetterState = Static<typeof DeadLetterState>;

export const DeadLetterSummary = Type.Object({
  id: Type.String(),
  state: DeadLetterState,
  topic: Type.String(),
  partition: Type.Integer(),
  offset: Type.String(),
  key: Type.Union([Type.String(), Type.Null()]),
  original_topic: Type.String(),
  original_partition: Type.Union([Type.Integer(), Type.Null()]),
  original_offset: Type.Union([Type.String(), Type.Null()]),
  error_class: Type.Union([Type.String(), Type.Null()]),
  error_message: Type.Union([Type.String(), Type.Null()]),
  dead_letter_reason: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer(),
  payload_bytes: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]),
  replay_count: Type.Integer(),
  created_at: Type.String(),
  replayed_at: Type.Union([Type.String(), Type.Null()]),
  discarded_at: Type.Union([Type.String(), Type.Null()]),
});
export type DeadLetterSummary = Static<typeof DeadLetterSummary>;

export const DeadLetterDetail = Type.Composite([
  DeadLetterSummary,
  Type.Object({
    headers: Type.Record(Type.String(), Type.String()),
    payload: Type.Union([Type.String(), Type.Null()]),
    payload_encoding: Type.Union([Type.Literal("utf8"), Type.Literal("base64"), Type.Null()]),
  }),
]);
export type DeadLetterDetail = Static<typeof DeadLetterDetail>;

/** Filter for list and bulk replay. */
export const DeadLetterFilter = Type.Object(
  {
    state: Type.Optional(DeadLetterState),
    topic: Type.Optional(Type.String({ minLength: 1, maxLength: 249 })),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    /** ISO 8601 time: only dead letters stored at or after it. */
    since: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /** Cursor: only ids below this one (pages go newest first). */
    before: Type.Optional(Type.String({ pattern: "^[0-9]{1,18}$" })),
  },
  { additionalProperties: false },
);
export type DeadLetterFilter = Static<typeof DeadLetterFilter>;

export class DeadLetterError extends Error {
  override name = "DeadLetterError";
  readonly kind: "not_found" | "conflict" | "invalid";
  constructor(kind: "not_found" | "conflict" | "invalid", message: string) {
    super(message);
    this.kind = kind;
  }
}
