/**
 * HTTP shapes of webhook endpoints, in TypeBox (Elysia validates with them; the OpenAPI
 * document is generated from them). Event type names come from the catalogue.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Text } from "../../shared/events.ts";
import { ALL_EVENTS, EventTypes } from "../../shared/merchant-events/catalogue.ts";
import { MAX_URL_LENGTH } from "../../shared/net/destination.ts";

export const WebhookEndpointId = Type.String({ pattern: "^we_[0-9a-f]{32}$", maxLength: 35 });

/** At most this many live endpoints per merchant (Stripe's number too): each event fans out to all of them. */
export const MAX_ENDPOINTS_PER_MERCHANT = 16;

const EnabledEvent = Type.Union([...EventTypes.map((t) => Type.Literal(t)), Type.Literal(ALL_EVENTS)], {
  error: `must be one of ${EventTypes.join(", ")} or ${ALL_EVENTS}`,
});

const EnabledEvents = Type.Array(EnabledEvent, {
  minItems: 1,
  maxItems: EventTypes.length + 1,
  uniqueItems: true,
  error: `must be a non-empty list of distinct event types (${EventTypes.join(", ")}) or ["${ALL_EVENTS}"] for all of them`,
  description: `Event types to send, or ["${ALL_EVENTS}"] for every type (including types added later).`,
});

const Url = Type.String({
  minLength: 1,
  maxLength: MAX_URL_LENGTH,
  error: "must be an https URL (at most 2048 characters)",
  description:
    "Where events are POSTed: https, no user name or password, no fragment. It must not resolve to a loopback, private, " +
    "link-local or metadata address (checked again before every delivery). In dev mode plain http to loopback is allowed.",
});

const Description = Text({ maxLength: 500 });

export const CreateEndpointBody = Type.Object(
  {
    url: Url,
    enabled_events: EnabledEvents,
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean({ description: "false creates it disabled; true by default." })),
  },
  { additionalProperties: false },
);
export type CreateEndpointBody = Static<typeof CreateEndpointBody>;

export const UpdateEndpointBody = Type.Object(
  {
    url: Type.Optional(Url),
    enabled_events: Type.Optional(EnabledEvents),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    enabled: Type.Optional(
      Type.Boolean({ description: "false stops deliveries (they wait); true resumes them, also after the platform disabled the endpoint." }),
    ),
  },
  { additionalProperties: false, minProperties: 1, error: "must change at least one of url, enabled_events, description, enabled" },
);
export type UpdateEndpointBody = Static<typeof UpdateEndpointBody>;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const EndpointResource = Type.Object({
  id: WebhookEndpointId,
  object: Type.Literal("webhook_endpoint"),
  url: Type.String(),
  description: Nullable(Type.String()),
  enabled_events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabled_reason: Nullable(
    Type.String({
      description: "Why it is disabled: merchant (you), failing (every attempt failed for days), destination_refused (its host resolved to a refused address).",
    }),
  ),
  api_version: Type.String(),
  previous_secret_expires_at: Nullable(Type.String({ format: "date-time", description: "Until then the rotated-out secret signs too." })),
  created_at: Type.String({ format: "date-time" }),
  updated_at: Type.String({ format: "date-time" }),
});
export type EndpointResource = Static<typeof EndpointResource>;

/** Creation and rotation only: the signing secret, shown this once. */
export const EndpointWithSecret = Type.Composite([
  EndpointResource,
  Type.Object({ secret: Type.String({ description: "The signing secret (whsec_…). Shown only in this response: store it now." }) }),
]);
export type EndpointWithSecret = Static<typeof EndpointWithSecret>;

export const EndpointList = Type.Object({ object: Type.Literal("list"), data: Type.Array(EndpointResource), has_more: Type.Boolean() });

export const DeletedEndpoint = Type.Object({ id: WebhookEndpointId, object: Type.Literal("webhook_endpoint"), deleted: Type.Literal(true) });

export const ListEndpointsQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: "^(100|[1-9][0-9]?)$", error: "must be an integer between 1 and 100" })),
    starting_after: Type.Optional(Type.String({ ...WebhookEndpointId, error: "must be a webhook endpoint id" })),
  },
  { additionalProperties: false },
);

export const EndpointIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
