/**
 * Webhook endpoint use cases. Knows nothing about HTTP: it gets a merchant id and a
 * validated body and returns resources or throws typed ApiErrors (400 naming the field).
 *
 * A URL is checked when it is stored: syntax (https; plain http to loopback in dev mode),
 * then, outside dev mode, its host is resolved with the system resolver and every address
 * must be public. In dev mode only IP literals are checked (no lookups for names: a local
 * stack sends nothing off the machine, and its dispatcher checks every address anyway).
 * The dispatcher checks again before each delivery: what resolves to a public address
 * today may not tomorrow.
 */
import { isIP } from "node:net";
import type { Sql } from "../../shared/db/client.ts";
import { ApiError, badRequest, notFound } from "../../shared/http-errors.ts";
import { newEndpointId } from "../../shared/merchant-events/ids.ts";
import { API_VERSION } from "../../shared/merchant-events/schema.ts";
import { newWebhookSecret } from "../../shared/merchant-events/signature.ts";
import { checkAddress } from "../../shared/net/address-policy.ts";
import { hostOf, parseWebhookUrl, resolveDestination, systemResolver, type Resolver } from "../../shared/net/destination.ts";
import {
  type CreateEndpointBody,
  type EndpointResource,
  type EndpointWithSecret,
  MAX_ENDPOINTS_PER_MERCHANT,
  type UpdateEndpointBody,
  WebhookEndpointId,
} from "./model.ts";
import * as repo from "./repo.ts";

/** How long a rotated-out secret keeps signing. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

export type WebhooksServiceDeps = {
  primary: Sql;
  /** PAYORCH_DEV_MODE: plain http to loopback is allowed, and loopback addresses. */
  devMode: boolean;
  /** The system resolver unless a test passes its own. */
  resolver?: Resolver;
};

const ENDPOINT_ID = new RegExp(WebhookEndpointId.pattern!);

const noSuchEndpoint = () => notFound("No such webhook endpoint.", "id");

/** The enabled_events as stored: "*" alone when it is there, else the list as given. */
const normaliseEvents = (events: readonly string[]): string[] => (events.includes("*") ? ["*"] : [...events]);

export function createWebhooksService(deps: WebhooksServiceDeps) {
  const resolver = deps.resolver ?? systemResolver;

  /** Returns the URL as it will be stored (WHATWG-normalised) or throws a 400 on `url`. Never echoes it. */
  async function checkUrl(raw: string): Promise<string> {
    const parsed = parseWebhookUrl(raw, { devMode: deps.devMode });
    if (!parsed.ok) throw badRequest("url_invalid", `Invalid url: ${parsed.reason}.`, "url");
    const host = hostOf(parsed.url);
    if (deps.devMode && isIP(host) === 0) return parsed.url.href;
    if (deps.devMode) {
      const v = checkAddress(host, { allowLoopback: true });
      if (!v.allowed) throw badRequest("url_not_allowed", `Invalid url: webhooks may not be sent to ${v.cls} addresses.`, "url");
      return parsed.url.href;
    }
    const d = await resolveDestination(parsed.url, { allowLoopback: false, resolver });
    if (!d.ok && d.kind === "dns") throw badRequest("url_unresolvable", "Invalid url: its host does not resolve.", "url");
    if (!d.ok) {
      throw badRequest(
        "url_not_allowed",
        `Invalid url: its host is or resolves to a ${d.cls ?? "refused"} address; webhooks go to public addresses only.`,
        "url",
      );
    }
    return parsed.url.href;
  }

  async function get(merchantId: string, id: string): Promise<EndpointResource> {
    if (!ENDPOINT_ID.test(id)) throw noSuchEndpoint();
    const found = await repo.findEndpoint(deps.primary, merchantId, id);
    if (!found) throw noSuchEndpoint();
    return found;
  }

  async function create(merchantId: string, body: CreateEndpointBody): Promise<EndpointWithSecret> {
    const url = await checkUrl(body.url);
    const id = newEndpointId();
    const secret = newWebhookSecret();
    await deps.primary.begin(async (tx) => {
      await repo.lockMerchantEndpoints(tx, merchantId);
      if ((await repo.countLiveEndpoints(tx, merchantId)) >= MAX_ENDPOINTS_PER_MERCHANT) {
        throw new ApiError(
          400,
          "invalid_request_error",
          "webhook_endpoint_limit",
          `A merchant can have at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints; delete one first.`,
        );
      }
      await repo.insertEndpoint(tx, {
        id,
        merchantId,
        url,
        description: body.description ?? null,
        enabledEvents: normaliseEvents(body.enabled_events),
        enabled: body.enabled ?? true,
        apiVersion: API_VERSION,
        secret,
      });
    });
    return { ...(await get(merchantId, id)), secret };
  }

  async function update(merchantId: string, id: string, body: UpdateEndpointBody): Promise<EndpointResource> {
    if (!ENDPOINT_ID.test(id)) throw noSuchEndpoint();
    const url = body.url === undefined ? undefined : await checkUrl(body.url);
    const found = await deps.primary.begin((tx) =>
      repo.updateEndpoint(tx, merchantId, id, {
        ...(url === undefined ? {} : { url }),
        ...(body.enabled_events === undefined ? {} : { enabledEvents: normaliseEvents(body.enabled_events) }),
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
      }),
    );
    if (!found) throw noSuchEndpoint();
    return get(merchantId, id);
  }

  async function remove(merchantId: string, id: string) {
    if (!ENDPOINT_ID.test(id)) throw noSuchEndpoint();
    const gone = await deps.primary.begin((tx) => repo.deleteEndpoint(tx, merchantId, id));
    if (!gone) throw noSuchEndpoint();
    return { id, object: "webhook_endpoint" as const, deleted: true as const };
  }

  async function rotateSecret(merchantId: string, id: string): Promise<EndpointWithSecret> {
    if (!ENDPOINT_ID.test(id)) throw noSuchEndpoint();
    const secret = newWebhookSecret();
    const found = await deps.primary.begin((tx) => repo.rotateSecret(tx, merchantId, id, secret, SECRET_OVERLAP_MS));
    if (!found) throw noSuchEndpoint();
    return { ...(await get(merchantId, id)), secret };
  }

  const list = (merchantId: string, q: { limit: number; startingAfter?: string }) => repo.listEndpoints(deps.primary, { merchantId, ...q });

  return { create, get, list, update, remove, rotateSecret };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
