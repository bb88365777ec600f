/**
 * Webhook delivery, shared by both modes: the gateway's events go to one configured loopback
 * URL, signed the way the mode's gateway signs them, and can be made late (`delayMs`), sent
 * twice (`duplicate`), held until a flush (`hold`) or sent newest first (`reorder`: the events
 * of each `delayMs` window are held and then delivered in reverse order). A delivery that
 * does not get a 2xx is retried, as both gateways retry. Delays run on real time: they model
 * the network, while the event itself carries the simulated time it happened at.
 */

export type WebhookSettings = {
  url: string;
  /** The signing secret: Adyen's hex HMAC key, or Stripe's `whsec_…`. Never shown back. */
  secret: string;
  delayMs: number;
  duplicate: boolean;
  reorder: boolean;
  hold: boolean;
  retries: number;
  retryDelayMs: number;
  /** Events about these merchants' payments are never sent (their webhooks lost at the gateway). */
  skipMerchants: string[];
};

/** What one event becomes on the wire, and how the delivery log names it. */
export type Label = { type: string; objectId: string; paymentId: string | null; merchantId?: string | null };
export type Signed = { body: string; headers: Record<string, string> };

export type Delivery = Label & { seq: number; attempt: number; copy: 1 | 2; status: number | "error"; error: string | null; at: number };

type Pending = { seq: number; label: Label; sign: (secret: string) => Signed };

/** Oldest log entries go first once this many are held (a long chaos run sends tens of thousands). */
const MAX_LOG = 200_000;
const capped = <T>(list: T[]): void => {
  if (list.length > MAX_LOG) list.splice(0, list.length - MAX_LOG);
};

/**
 * Wait before retry `attempt` (1 = the first retry): doubling from `baseMs`, at most a minute.
 * Both gateways back off and keep retrying for days; a fixed one-second pause made 20 retries
 * last 25 s, shorter than a gateway outage, so a webhook the platform asked to have sent again
 * (its refund not yet told apart from another) was given up before the platform could.
 */
export const retryDelay = (attempt: number, baseMs: number): number => Math.min(baseMs * 2 ** (attempt - 1), Math.max(baseMs, 60_000));

export class WebhookDispatcher {
  #settings: WebhookSettings | null = null;
  #held: Pending[] = [];
  #windowTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #inFlight = new Set<Promise<void>>();
  #deliveries: Delivery[] = [];
  #events: Array<Label & { seq: number }> = [];
  #seq = 0;
  /** Bumped by clear(): deliveries of an older generation are dropped, so a reset really forgets. */
  #generation = 0;

  get settings(): WebhookSettings | null {
    return this.#settings;
  }

  configure(settings: WebhookSettings | null): void {
    this.#settings = settings;
  }

  /** `sign` is called at delivery time with the current secret. */
  enqueue(label: Label, sign: (secret: string) => Signed): void {
    const pending: Pending = { seq: ++this.#seq, label, sign };
    this.#events.push({ seq: pending.seq, ...label });
    capped(this.#events);
    const s = this.#settings;
    if (!s || (label.merchantId && s.skipMerchants.includes(label.merchantId))) return;
    if (s.hold || s.reorder) {
      this.#held.push(pending);
      if (s.reorder && !s.hold && this.#windowTimer === null) {
        this.#windowTimer = setTimeout(() => void this.flush(), s.delayMs);
      }
      return;
    }
    this.#track(new Promise<void>((resolve) => setTimeout(resolve, s.delayMs)).then(() => this.#deliver(pending, this.#generation)));
  }

  /** Sends everything held now (newest first with `reorder`) and waits for every delivery under way. */
  async flush(): Promise<void> {
    if (this.#windowTimer !== null) clearTimeout(this.#windowTimer);
    this.#windowTimer = null;
    const batch = this.#held;
    this.#held = [];
    if (this.#settings?.reorder) batch.reverse();
    const generation = this.#generation;
    this.#track(
      (async () => {
        for (const p of batch) await this.#deliver(p, generation);
      })(),
    );
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  deliveries(filter: { paymentId?: string } = {}): Delivery[] {
    return this.#deliveries.filter((d) => filter.paymentId === undefined || d.paymentId === filter.paymentId);
  }

  events(filter: { paymentId?: string } = {}) {
    return this.#events.filter((e) => filter.paymentId === undefined || e.paymentId === filter.paymentId);
  }

  get heldCount(): number {
    return this.#held.length;
  }

  clear(): void {
    this.#generation++;
    if (this.#windowTimer !== null) clearTimeout(this.#windowTimer);
    this.#windowTimer = null;
    this.#held = [];
    this.#deliveries = [];
    this.#events = [];
    this.#seq = 0;
  }

  #track(p: Promise<void>): void {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  async #deliver(p: Pending, generation: number): Promise<void> {
    const copies = this.#settings?.duplicate ? ([1, 2] as const) : ([1] as const);
    for (const copy of copies) await this.#send(p, copy, generation);
  }

  async #send(p: Pending, copy: 1 | 2, generation: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const s = this.#settings;
      if (!s || generation !== this.#generation) return;
      const signed = p.sign(s.secret);
      let status: number | "error" = "error";
      let error: string | null = null;
      try {
        const res = await fetch(s.url, { method: "POST", body: signed.body, headers: signed.headers, signal: AbortSignal.timeout(10_000) });
        status = res.status;
        await res.text().catch(() => "");
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      if (generation !== this.#generation) return;
      this.#deliveries.push({ seq: p.seq, ...p.label, attempt, copy, status, error, at: Date.now() });
      capped(this.#deliveries);
      if (typeof status === "number" && status >= 200 && status < 300) return;
      if (attempt > s.retries) return;
      await new Promise((r) => setTimeout(r, retryDelay(attempt, s.retryDelayMs)));
    }
  }
}
