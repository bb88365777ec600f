/**
 * POST /webhooks/stripe and POST /webhooks/adyen: the gateways' own webhooks, authenticated
 * by their signatures (Stripe-Signature; Adyen's HMAC in each item), not by an API key.
 * A request whose signature does not verify is refused with 400 and changes nothing; a
 * verified one is acknowledged once applied (Stripe: `{"received":true}`; Adyen:
 * `[accepted]`, the answer it waits for). A failure to apply it (the database away, or a
 * refund's webhook that cannot be told apart from another refund yet) answers 503, so the
 * gateway delivers it again. Documented, without an API key: gateways call it.
 */
import { Elysia } from "elysia";
import { badRequest, notFound, serviceUnavailable } from "../../shared/http-errors.ts";
import type { ConnectorName } from "../../shared/connectors/types.ts";
import { readCapped } from "../http/json-body.ts";
import { ErrorResponse } from "../payments/model.ts";
import { DeliverAgain, isRejection, type GatewayWebhooksService } from "./service.ts";

/** Stripe's events run to a few tens of kilobytes; Adyen batches items. Well above either. */
export const WEBHOOK_BODY_LIMIT_BYTES = 512 * 1024;

const ACK: Record<ConnectorName, () => Response> = {
  stripe: () => new Response(JSON.stringify({ received: true }), { headers: { "content-type": "application/json" } }),
  adyen: () => new Response("[accepted]", { headers: { "content-type": "text/plain" } }),
};

export function gatewayWebhookRoutes(deps: { service: GatewayWebhooksService }) {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const receive =
    (connector: ConnectorName) =>
    async ({ request }: { request: Request }) => {
      if (!deps.service.configured(connector)) throw notFound(`This platform has no webhook settings for ${connector}.`);
      let raw: string;
      try {
        raw = decoder.decode(await readCapped(request, WEBHOOK_BODY_LIMIT_BYTES));
      } catch (err) {
        if (err instanceof TypeError) throw badRequest("invalid_body", "The body is not valid UTF-8.");
        throw err;
      }
      try {
        await deps.service.receive(connector, raw, request.headers);
      } catch (err) {
        // The message says what failed (a missing header, a signature that does not verify), never what was sent.
        if (isRejection(err)) throw badRequest("webhook_rejected", `Not a verified ${connector} webhook: ${err.message}`);
        if (err instanceof DeliverAgain) throw serviceUnavailable(`Not applied yet, deliver it again: ${err.message}.`);
        throw err;
      }
      return ACK[connector]();
    };
  const detail = (gateway: string, how: string) => ({
    summary: `Receive ${gateway}'s webhooks`,
    description:
      `Where ${gateway} sends its webhooks (configure this URL at ${gateway}). ${how} Each event is applied once (by the gateway's event id), ` +
      "under the same guards as the workers' answers. 400: the signature does not verify (nothing applied); 404: no webhook secret is configured " +
      "for this gateway; 503: the platform could not apply it now (its database away, or a refund that cannot be told apart from another yet), " +
      "so the gateway delivers it again.",
    tags: ["gateway webhooks"],
    security: [],
  });
  // The acknowledgement is the gateway's format (a Response); errors are the API's one shape.
  const response = { 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse };
  return new Elysia({ name: "gateway-webhooks", prefix: "/webhooks", normalize: false })
    .post("/stripe", receive("stripe"), {
      parse: "none",
      response,
      detail: detail("Stripe", 'Verified with `Stripe-Signature` and the endpoint\'s signing secret (STRIPE_WEBHOOK_SECRET); answered `{"received":true}`.'),
    })
    .post("/adyen", receive("adyen"), {
      parse: "none",
      response,
      detail: detail("Adyen", "Each notification item's HMAC signature is verified with the HMAC key (ADYEN_HMAC_KEY); answered `[accepted]`."),
    });
}
