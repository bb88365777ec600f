/**
 * The webhook settings, from POST /__admin/webhooks and from the environment at start:
 *   { url, hmacKeyHex (adyen) | secret (stripe), delayMs?, duplicate?, reorder?, hold?, retries?, retryDelayMs?,
 *     skipMerchants? (merchant ids whose payments' events are never sent: Stripe mode, by metadata.merchant_id) }
 * Loopback URLs only: the simulator must never post a signed event anywhere else.
 * Routes: GET (settings without the secret, events, deliveries; ?payment_id=), POST, DELETE,
 * POST /__admin/webhooks/flush (send what is held and wait for every delivery under way).
 */
import { ConfigError } from "./fault-config.ts";
import { json } from "./http.ts";
import type { WebhookDispatcher, WebhookSettings } from "./webhooks.ts";

export type Gateway = "stripe" | "adyen";

const SECRET_FIELD: Record<Gateway, string> = { adyen: "hmacKeyHex", stripe: "secret" };
const SECRET_SHAPE: Record<Gateway, RegExp> = { adyen: /^(?:[0-9A-Fa-f]{2}){16,64}$/, stripe: /^whsec_[A-Za-z0-9]{8,128}$/ };
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const ALLOWED = ["url", "delayMs", "duplicate", "reorder", "hold", "retries", "retryDelayMs", "skipMerchants"];

function whole(name: string, v: unknown, fallback: number, max: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) throw new ConfigError(`${name} must be a whole number between 0 and ${max}`);
  return v;
}

function flag(name: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== "boolean") throw new ConfigError(`${name} must be true or false`);
  return v;
}

function merchants(v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 1_000 || !v.every((m) => typeof m === "string" && m.length > 0 && m.length <= 100))
    throw new ConfigError("skipMerchants must be a list of merchant ids");
  return v as string[];
}

export function parseWebhookSettings(gateway: Gateway, input: unknown): WebhookSettings {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new ConfigError("body must be an object");
  const o = input as Record<string, unknown>;
  const secretField = SECRET_FIELD[gateway];
  for (const k of Object.keys(o))
    if (k !== secretField && !ALLOWED.includes(k)) throw new ConfigError(`unknown field "${k}" (allowed: ${[secretField, ...ALLOWED].join(", ")})`);
  let url: URL;
  try {
    url = new URL(String(o.url));
  } catch {
    throw new ConfigError("url must be an http URL on a loopback host, e.g. http://127.0.0.1:3000/webhooks/adyen");
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !LOOPBACK.has(url.hostname)) {
    throw new ConfigError(`url must be on a loopback host (127.0.0.1, localhost, [::1]), got ${url.host}`);
  }
  const secret = o[secretField];
  // The message names the field and its shape, never the value.
  if (typeof secret !== "string" || !SECRET_SHAPE[gateway].test(secret)) {
    throw new ConfigError(gateway === "adyen" ? "hmacKeyHex must be a hex HMAC key (32 to 128 hex digits)" : "secret must be a signing secret whsec_…");
  }
  return {
    url: url.toString(),
    secret,
    delayMs: whole("delayMs", o.delayMs, 0, 600_000),
    duplicate: flag("duplicate", o.duplicate),
    reorder: flag("reorder", o.reorder),
    hold: flag("hold", o.hold),
    retries: whole("retries", o.retries, 3, 20),
    retryDelayMs: whole("retryDelayMs", o.retryDelayMs, 1_000, 600_000),
    skipMerchants: merchants(o.skipMerchants),
  };
}

/** SIM_WEBHOOK_URL + SIM_WEBHOOK_SECRET (the hex HMAC key in adyen mode, whsec_… in stripe mode) + SIM_WEBHOOK_DELAY_MS + SIM_WEBHOOK_RETRIES. */
export function webhookSettingsFromEnv(gateway: Gateway, env: Record<string, string | undefined>): WebhookSettings | null {
  if (!env.SIM_WEBHOOK_URL) return null;
  try {
    return parseWebhookSettings(gateway, {
      url: env.SIM_WEBHOOK_URL,
      [SECRET_FIELD[gateway]]: env.SIM_WEBHOOK_SECRET,
      ...(env.SIM_WEBHOOK_DELAY_MS ? { delayMs: Number(env.SIM_WEBHOOK_DELAY_MS) } : {}),
      ...(env.SIM_WEBHOOK_RETRIES ? { retries: Number(env.SIM_WEBHOOK_RETRIES) } : {}),
    });
  } catch (e) {
    throw new ConfigError(`SIM_WEBHOOK_*: ${(e as Error).message}`);
  }
}

export function webhookView(d: WebhookDispatcher, paymentId?: string) {
  const s = d.settings;
  const filter = paymentId ? { paymentId } : {};
  return {
    settings: s && { ...s, secret: undefined, hasSecret: true },
    held: d.heldCount,
    events: d.events(filter),
    deliveries: d.deliveries(filter),
  };
}

/** The /__admin/webhooks routes, or null for any other path. */
export async function handleWebhookAdmin(req: Request, route: string, gateway: Gateway, d: WebhookDispatcher): Promise<Response | null> {
  if (route === "GET /__admin/webhooks") return json(200, webhookView(d, new URL(req.url).searchParams.get("payment_id") ?? undefined));
  if (route === "DELETE /__admin/webhooks") {
    d.configure(null);
    return json(200, webhookView(d));
  }
  if (route === "POST /__admin/webhooks/flush") {
    await d.flush();
    return json(200, webhookView(d));
  }
  if (route !== "POST /__admin/webhooks") return null;
  try {
    d.configure(parseWebhookSettings(gateway, await req.json().catch(() => null)));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return json(400, { error: { type: "invalid_request_error", message: e.message } });
  }
  return json(200, webhookView(d));
}
