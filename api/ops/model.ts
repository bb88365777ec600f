/** HTTP shapes of /ops/dead-letters (query strings arrive as text, so numbers are patterns here). */
import { Type } from "@sinclair/typebox";
import { DeadLetterDetail, DeadLetterState, DeadLetterSummary } from "../../shared/dead-letters/model.ts";

const Filter = {
  state: Type.Optional(DeadLetterState),
  topic: Type.Optional(Type.String({ minLength: 1, maxLength: 249 })),
  key: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  since: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: "ISO 8601 time" })),
};

export const ListQuery = Type.Object(
  { ...Filter, limit: Type.Optional(Type.String({ pattern: "^[0-9]{1,4}$" })), before: Type.Optional(Type.String({ pattern: "^[0-9]{1,19}$" })) },
  { additionalProperties: false },
);

export const ReplayFilterBody = Type.Object(
  { ...Filter, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
);

export const DiscardBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });

export const IdParams = Type.Object({ id: Type.String({ pattern: "^[0-9]{1,19}$" }) });

export const DeadLetterList = Type.Object({ data: Type.Array(DeadLetterSummary), next_before: Type.Union([Type.String(), Type.Null()]) });
export const ReplayResult = Type.Object({ replayed: Type.Array(Type.String()) });
export { DeadLetterDetail, DeadLetterSummary };
