/**
 * Who the client is, for per-client limits. The app only sees `app.handle(request)`, so the
 * server (main.ts through buildApi's `handle`) records the socket peer here first.
 * X-Forwarded-For is believed only when that peer is a trusted proxy (Caddy): read from the
 * right, the first address that is not a trusted proxy is the client. Anyone else talking
 * to the API directly is the client, whatever header it sends.
 *
 * IPv6 clients are keyed by their /64: one host usually owns a whole /64, so counting single
 * addresses would let it rotate through them.
 */
import { isIP } from "node:net";

const peers = new WeakMap<Request, string>();
const MAX_FORWARDED_CHARS = 2048;

export function setPeerAddress(request: Request, address: string | undefined): void {
  if (address) peers.set(request, address);
}

/** `::ffff:a.b.c.d` is an IPv4 client; brackets and zone ids are dropped. */
export function normaliseIp(raw: string): string | undefined {
  const ip = raw
    .trim()
    .replace(/^\[(.*)\]$/, "$1")
    .split("%")[0]!
    .toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(ip);
  if (mapped && isIP(mapped[1]!) === 4) return mapped[1];
  return isIP(ip) === 0 ? undefined : ip;
}

function ipv6Groups(ip: string): number[] {
  const [left, right] = ip.includes("::") ? ip.split("::") : [ip, undefined];
  const parts = (s: string | undefined) => (s ? s.split(":") : []);
  const expand = (ps: string[]) =>
    ps.flatMap((p) => {
      if (!p.includes(".")) return [parseInt(p, 16)];
      const [a, b, c, d] = p.split(".").map(Number) as [number, number, number, number];
      return [(a << 8) | b, (c << 8) | d];
    });
  const head = expand(parts(left));
  const tail = expand(parts(right));
  return [...head, ...Array<number>(Math.max(0, 8 - head.length - tail.length)).fill(0), ...tail];
}

/** The key a client's limits are kept under: its IPv4 address, or its IPv6 /64. */
export function clientKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  return `${ipv6Groups(ip)
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

export function createClientAddress(trustedProxies: readonly string[]): (request: Request) => string {
  const trusted = new Set(trustedProxies.map((p) => normaliseIp(p) ?? p));
  return (request) => {
    const peer = peers.get(request);
    const peerIp = peer === undefined ? undefined : normaliseIp(peer);
    if (peerIp === undefined) return "unknown";
    if (!trusted.has(peerIp)) return clientKey(peerIp);
    const forwarded = request.headers.get("x-forwarded-for");
    if (!forwarded || forwarded.length > MAX_FORWARDED_CHARS) return clientKey(peerIp);
    const hops = forwarded.split(",");
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normaliseIp(hops[i]!);
      // A proxy we trust passing on garbage: count its requests under its own address.
      if (hop === undefined) return clientKey(peerIp);
      if (!trusted.has(hop)) return clientKey(hop);
    }
    return clientKey(peerIp);
  };
}
