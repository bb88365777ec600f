/**
 * HTTP shapes of /v1/routing. The rule itself is shared/routing/model.ts (the store, the CLI
 * and the payment worker read the same schema); these add the resource's envelope.
 */
import { Type, type Static } from "@sinclair/typebox";
import { RoutingRules } from "../../shared/routing/model.ts";

const FailoverSoftDeclines = Type.Boolean({
  error: "must be true or false",
  description:
    "Whether a soft decline (`processing_error`, issuer unavailable) is retried on the route's next connector. " +
    "Off by default: the payment is retried at the same connector, as without routing.",
});

export const RoutingResource = Type.Object({
  object: Type.Literal("routing"),
  rules: RoutingRules,
  failover_soft_declines: FailoverSoftDeclines,
});
export type RoutingResource = Static<typeof RoutingResource>;

/** The whole routing, replaced at once; a GET's answer may be sent back as it is (`object` is optional). */
export const PutRoutingBody = Type.Object(
  {
    object: Type.Optional(Type.Literal("routing", { error: "must be routing" })),
    rules: RoutingRules,
    failover_soft_declines: FailoverSoftDeclines,
  },
  { additionalProperties: false },
);
export type PutRoutingBody = Static<typeof PutRoutingBody>;
