/** HTTP shapes of /ops/dead-letters (query strings arrive as text, so numbers are patterns here). */
import { Type } from "@sinclair/typebox";
import { DeadLetterDetail, DeadLetterState, DeadLetterSummary } from "../../shared/dead-letters/model.ts";
import { Text, TextLine } from "../../shared/events.ts";

const Filter = {
  state: Type.Optional(DeadLetterState),
  // No control characters anywhere: Postgres refuses a NUL in a text parameter.
  topic: Type.Optional(TextLine({ maxLength: 249 })),
  key: Type.Optional(TextLine({ maxLength: 255 })),
  since: Type.Optional(TextLine({ maxLength: 40, description: "ISO 8601 time" })),
};

export const ListQuery = Type.Object(
  { ...Filter, limit: Type.Optional(Type.String({ pattern: "^[0-9]{1,4}$" })), before: Type.Optional(Type.String({ pattern: "^[0-9]{1,18}$" })) },
  { additionalProperties: false },
);

export const ReplayFilterBody = Type.Object({ ...Filter, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false });

export const DiscardBody = Type.Object({ reason: Text({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });

export const IdParams = Type.Object({ id: Type.String({ pattern: "^[0-9]{1,18}$" }) });

export const DeadLetterList = Type.Object({ data: Type.Array(DeadLetterSummary), next_before: Type.Union([Type.String(), Type.Null()]) });
export const ReplayResult = Type.Object({ replayed: Type.Array(Type.String()) });
export { DeadLetterDetail, DeadLetterSummary };
