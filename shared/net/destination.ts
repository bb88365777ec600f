/**
 * Where a webhook may go: the URL rules, and the DNS step that turns its host into the
 * one address a delivery connects to. The API runs it when an endpoint is created or its
 * URL changes; the dispatcher runs it before every attempt and then connects to the
 * address it checked (never looking the name up a second time), so a name that resolves
 * to a public address at creation and to a private one later (DNS rebinding) is refused
 * when it matters.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { checkAddress, classifyAddress, type AddressClass, type AddressPolicy } from "./address-policy.ts";

export type ResolvedAddress = { address: string; family: number };
/** Every address of a host name, as the system resolver (getaddrinfo) gives them. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

export const MAX_URL_LENGTH = 2048;

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** `localhost` and `*.localhost` always mean this machine (RFC 6761). */
const isLocalhostName = (host: string): boolean => host === "localhost" || host.endsWith(".localhost");

/** The URL's host without IPv6 brackets, lower case (WHATWG URL has lower-cased it). */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, "$1");

/**
 * The rules a URL meets before any lookup: absolute https (plain http only in dev mode
 * and only to loopback: an IP literal or localhost), no user name or password (they would
 * be stored and sent in the clear), no fragment, at most 2048 characters.
 */
export function parseWebhookUrl(raw: string, opts: { devMode: boolean }): UrlCheck {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "must be an absolute URL" };
  }
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "must not contain a user name or password" };
  if (url.hash !== "" || raw.includes("#")) return { ok: false, reason: "must not contain a fragment" };
  const host = hostOf(url);
  if (host === "") return { ok: false, reason: "must name a host" };
  if (url.protocol === "https:") return { ok: true, url };
  if (url.protocol === "http:") {
    const loopback = isIP(host) !== 0 ? classifyAddress(host) === "loopback" : isLocalhostName(host);
    if (opts.devMode && loopback) return { ok: true, url };
    return { ok: false, reason: opts.devMode ? "must use https (plain http is allowed to loopback only)" : "must use https" };
  }
  return { ok: false, reason: "must use https" };
}

export type Destination =
  | { ok: true; address: string; family: 4 | 6 }
  /** refused: the policy says no (not worth retrying); dns: the name did not resolve (may be temporary). */
  | { ok: false; kind: "refused" | "dns"; reason: string; cls?: AddressClass };

export type DestinationOptions = AddressPolicy & {
  resolver: Resolver;
  /** A lookup that takes longer fails (getaddrinfo cannot be cancelled, only abandoned). */
  lookupTimeoutMs?: number;
};

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(t);
        reject(err);
      },
    );
  });

/**
 * Resolves the URL's host and checks every address it has: one disallowed address refuses
 * the URL (a resolver may hand out any of them). Returns the address to connect to.
 */
export async function resolveDestination(url: URL, opts: DestinationOptions): Promise<Destination> {
  const host = hostOf(url);
  let addresses: ResolvedAddress[];
  if (isIP(host) !== 0) {
    addresses = [{ address: host, family: isIP(host) }];
  } else if (opts.loopbackOnly && !isLocalhostName(host)) {
    return { ok: false, kind: "refused", reason: `${host} is not a loopback name; this dispatcher delivers to loopback only` };
  } else {
    try {
      addresses = await withTimeout(opts.resolver(host), opts.lookupTimeoutMs ?? 5_000, `looking up ${host}`);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return { ok: false, kind: "dns", reason: `${host} did not resolve (${typeof code === "string" ? code : (err as Error).message})` };
    }
    if (addresses.length === 0) return { ok: false, kind: "dns", reason: `${host} has no addresses` };
  }
  for (const a of addresses) {
    const verdict = checkAddress(a.address, opts);
    if (!verdict.allowed)
      return { ok: false, kind: "refused", cls: verdict.cls, reason: isIP(host) ? verdict.reason : `${host} resolves to ${verdict.reason}` };
    if (url.protocol === "http:" && verdict.cls !== "loopback") {
      return { ok: false, kind: "refused", cls: verdict.cls, reason: `plain http is allowed to loopback only, and ${a.address} is not` };
    }
  }
  const first = addresses[0]!;
  return { ok: true, address: first.address, family: first.family === 6 ? 6 : 4 };
}
