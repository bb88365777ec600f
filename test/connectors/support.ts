/**
 * Helpers for the connector tests on the running stack: a merchant of their own with its
 * routing (through the API, as a merchant sets it), payments as that merchant, both
 * simulators' admin APIs (ledgers, faults, webhooks), and the simulators' processes.
 */
import postgres from "postgres";
import { createMerchant } from "../../api/merchants/repo.ts";
import { allComponents, LOCAL_WEBHOOK_SECRETS } from "../../infra/stack/components/index.ts";
import type { RoutingRule } from "../../shared/routing/model.ts";
import { endpoints, postPayment, publicFetch } from "../setup/endpoints.ts";

/** One pool for every file that imports this (bun runs the files in one process; none ends it). */
export const db = postgres(endpoints.DATABASE_URL, { max: 4, onnotice: () => {} });

export const SIMS = { stripe: endpoints.STRIPE_API_BASE, adyen: endpoints.ADYEN_API_BASE } as const;
export type Gateway = keyof typeof SIMS;

export type Merchant = { merchantId: string; apiKey: string };

export async function merchantRouted(name: string, rules: RoutingRule[], failoverSoftDeclines = false): Promise<Merchant> {
  const m = await createMerchant(db, name);
  const res = await api(m.apiKey, "PUT", "/v1/routing", { rules, failover_soft_declines: failoverSoftDeclines });
  if (res.status !== 200) throw new Error(`routing: ${res.status} ${JSON.stringify(res.json)}`);
  return { merchantId: m.merchantId, apiKey: m.apiKey };
}

export async function api(apiKey: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await publicFetch(path, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(method === "POST" ? { "idempotency-key": crypto.randomUUID() } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

export type PaymentResource = {
  id: string;
  status: string;
  amount: number;
  connector: string | null;
  attempts: { connector: string; reason: string; outcome: string | null }[];
  last_error: string | null;
};

export async function pay(m: Merchant, over: Record<string, unknown> = {}): Promise<PaymentResource> {
  const res = await postPayment(
    { amount: 2500, currency: "EUR", payment_method: "pm_card_visa", customer: { email: "buyer@example.test" }, ...over },
    { apiKey: m.apiKey },
  );
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as PaymentResource;
}

export const paymentOf = async (m: Merchant, id: string): Promise<PaymentResource> =>
  (await api(m.apiKey, "GET", `/v1/payments/${id}`)).json as PaymentResource;

export async function simAdmin(gateway: Gateway, path: string, init: { method?: string; body?: unknown } = {}): Promise<any> {
  const res = await fetch(`${SIMS[gateway]}/__admin/${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json" },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (!res.ok) throw new Error(`${gateway} simulator admin ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Money captured for the payment at a gateway (its own ledger), in charges. */
export const chargesAt = async (gateway: Gateway, paymentId: string): Promise<number> =>
  ((await simAdmin(gateway, `charges/${paymentId}`)) as { charges: number }).charges;
export const requestsAt = async (gateway: Gateway, paymentId: string): Promise<{ path: string; status: number | string | null; fault: string | null }[]> =>
  ((await simAdmin(gateway, `requests?payment_id=${paymentId}`)) as { data: { path: string; status: number | string | null; fault: string | null }[] }).data;

/** The simulators' start-up webhook settings, restored after a test changed them. */
export const restoreWebhooks = (gateway: Gateway, extra: Record<string, unknown> = {}) =>
  simAdmin(gateway, "webhooks", {
    body: {
      url: `${endpoints.PUBLIC_URL}/webhooks/${gateway}`,
      [gateway === "adyen" ? "hmacKeyHex" : "secret"]: LOCAL_WEBHOOK_SECRETS[gateway],
      retries: 20,
      ...extra,
    },
  });

export const component = (name: string) => {
  const c = allComponents().find((x) => x.name === name);
  if (!c) throw new Error(`no component ${name}`);
  return c;
};

export async function finalStatuses(ids: string[], timeoutMs: number): Promise<Map<string, { status: string; connector: string | null }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db<{ id: string; status: string; connector: string | null }[]>`SELECT id, status, connector FROM payments WHERE id = ANY(${ids})`;
    const pending = rows.filter((r) => r.status === "PENDING").length;
    if (rows.length === ids.length && pending === 0) return new Map(rows.map((r) => [r.id, { status: r.status, connector: r.connector }]));
    if (Date.now() > deadline) throw new Error(`${pending} of ${ids.length} payments still PENDING after ${timeoutMs} ms`);
    await Bun.sleep(200);
  }
}

let probes: Record<Gateway, Merchant> | undefined;
/**
 * Waits until both connectors take payments again (their circuits closed): one payment for
 * each, through a merchant routed to it alone, approved there. A circuit opened by an
 * earlier test lets its probe through after its cool-off (5 s locally).
 */
export async function circuitsClosed(): Promise<void> {
  probes ??= {
    stripe: await merchantRouted("Probe stripe", [{ connectors: ["stripe"] }]),
    adyen: await merchantRouted("Probe adyen", [{ connectors: ["adyen"] }]),
  };
  const ids = await Promise.all([pay(probes.stripe), pay(probes.adyen)]);
  await finalStatuses(
    ids.map((p) => p.id),
    60_000,
  );
}
