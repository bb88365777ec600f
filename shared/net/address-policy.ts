/**
 * Which IP addresses the platform may send a merchant's webhook to: a pure function of
 * the address, so it is tested exhaustively and used the same way at endpoint creation
 * (the API) and at every delivery (the dispatcher, after its own DNS lookup).
 *
 * Refused: anything that is not a public unicast address. Loopback, RFC 1918 and other
 * private or shared ranges, link-local (the cloud metadata services live there), the
 * unspecified and broadcast addresses, multicast, documentation, benchmarking and
 * reserved ranges, and IPv6 forms that embed one of those IPv4 addresses (IPv4-mapped,
 * IPv4-compatible, NAT64, 6to4). Loopback alone can be let through, for dev mode.
 */
import { isIP } from "node:net";

export type AddressClass = "public" | "loopback" | "private" | "link-local" | "metadata" | "unspecified" | "multicast" | "reserved" | "invalid";

type Range = { bits: number[]; prefix: number; cls: AddressClass };

/** Parses dotted-quad IPv4 into 4 bytes; undefined if it is not one. */
function parseV4(s: string): number[] | undefined {
  if (isIP(s) !== 4) return undefined;
  return s.split(".").map(Number);
}

/** Parses IPv6 (any textual form; a zone id is ignored) into 16 bytes; undefined if it is not one. */
function parseV6(input: string): number[] | undefined {
  const s = input.replace(/%.*$/, "");
  if (isIP(s) !== 6) return undefined;
  let text = s;
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    // A trailing dotted quad ("::ffff:10.0.0.1") is the last two groups.
    const q = parseV4(tail);
    if (!q) return undefined;
    text = `${s.slice(0, lastColon + 1)}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const all = [...left, ...Array<number>(fill).fill(0), ...right];
  return all.flatMap((g) => [(g >> 8) & 0xff, g & 0xff]);
}

const inRange = (bytes: number[], r: Range): boolean => {
  for (let bit = 0; bit < r.prefix; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((bytes[byte]! & mask) !== (r.bits[byte]! & mask)) return false;
  }
  return true;
};

const v4 = (cidr: string, cls: AddressClass): Range => {
  const [addr, prefix] = cidr.split("/");
  return { bits: parseV4(addr!)!, prefix: Number(prefix), cls };
};
const v6 = (cidr: string, cls: AddressClass): Range => {
  const [addr, prefix] = cidr.split("/");
  return { bits: parseV6(addr!)!, prefix: Number(prefix), cls };
};

/** Most specific first: the first match decides. */
const V4_RANGES: Range[] = [
  v4("169.254.169.254/32", "metadata"), // AWS, GCP, Azure, OpenStack instance metadata
  v4("168.63.129.16/32", "metadata"), // Azure's wire server (a public-looking address)
  v4("100.100.100.200/32", "metadata"), // Alibaba Cloud
  v4("0.0.0.0/32", "unspecified"),
  v4("0.0.0.0/8", "reserved"), // "this network"
  v4("10.0.0.0/8", "private"),
  v4("100.64.0.0/10", "private"), // carrier-grade NAT, shared address space
  v4("127.0.0.0/8", "loopback"),
  v4("169.254.0.0/16", "link-local"),
  v4("172.16.0.0/12", "private"),
  v4("192.0.0.0/24", "reserved"), // IETF protocol assignments
  v4("192.0.2.0/24", "reserved"), // TEST-NET-1
  v4("192.88.99.0/24", "reserved"), // 6to4 relay anycast
  v4("192.168.0.0/16", "private"),
  v4("198.18.0.0/15", "reserved"), // benchmarking
  v4("198.51.100.0/24", "reserved"), // TEST-NET-2
  v4("203.0.113.0/24", "reserved"), // TEST-NET-3
  v4("224.0.0.0/4", "multicast"),
  v4("240.0.0.0/4", "reserved"), // includes 255.255.255.255
];

const V6_RANGES: Range[] = [
  v6("fd00:ec2::254/128", "metadata"), // AWS instance metadata over IPv6
  v6("::/128", "unspecified"),
  v6("::1/128", "loopback"),
  v6("100::/64", "reserved"), // discard-only
  v6("64:ff9b:1::/48", "private"), // local-use NAT64
  v6("2001::/32", "reserved"), // Teredo: tunnels to an address we cannot check
  v6("2001:db8::/32", "reserved"), // documentation
  v6("2001::/23", "reserved"), // IETF protocol assignments
  v6("fc00::/7", "private"), // unique local
  v6("fe80::/10", "link-local"),
  v6("fec0::/10", "private"), // site-local (deprecated)
  v6("ff00::/8", "multicast"),
];

/** IPv6 forms that carry an IPv4 address, and where: checked as that IPv4 address. */
const EMBEDDED_V4: { range: Range; at: number }[] = [
  { range: v6("::ffff:0:0/96", "reserved"), at: 12 }, // IPv4-mapped
  { range: v6("::/96", "reserved"), at: 12 }, // IPv4-compatible (deprecated)
  { range: v6("64:ff9b::/96", "reserved"), at: 12 }, // NAT64 well-known prefix
  { range: v6("2002::/16", "reserved"), at: 2 }, // 6to4
];

function classifyV4(bytes: number[]): AddressClass {
  return V4_RANGES.find((r) => inRange(bytes, r))?.cls ?? "public";
}

export function classifyAddress(address: string): AddressClass {
  const four = parseV4(address);
  if (four) return classifyV4(four);
  const six = parseV6(address);
  if (!six) return "invalid";
  const direct = V6_RANGES.find((r) => inRange(six, r));
  if (direct && direct.cls !== "reserved") return direct.cls;
  for (const e of EMBEDDED_V4) {
    if (inRange(six, e.range)) return classifyV4(six.slice(e.at, e.at + 4));
  }
  if (direct) return direct.cls;
  // Only global unicast (2000::/3) is routable on the internet; everything else is reserved.
  return (six[0]! & 0xe0) === 0x20 ? "public" : "reserved";
}

export type AddressPolicy = {
  /** Dev mode: loopback addresses are allowed (local receivers). Nothing else changes. */
  allowLoopback: boolean;
  /** Only loopback is allowed (the local stack, which must never send off the machine). */
  loopbackOnly?: boolean;
};

export type AddressVerdict = { allowed: true; cls: AddressClass } | { allowed: false; cls: AddressClass; reason: string };

const WHY: Record<AddressClass, string> = {
  public: "a public address",
  loopback: "a loopback address",
  private: "a private address",
  "link-local": "a link-local address",
  metadata: "a cloud metadata address",
  unspecified: "the unspecified address",
  multicast: "a multicast address",
  reserved: "a reserved address",
  invalid: "not an IP address",
};

export function checkAddress(address: string, policy: AddressPolicy): AddressVerdict {
  const cls = classifyAddress(address);
  if (policy.loopbackOnly) {
    return cls === "loopback"
      ? { allowed: true, cls }
      : { allowed: false, cls, reason: `${address} is ${WHY[cls]}; this dispatcher delivers to loopback only` };
  }
  if (cls === "public" || (cls === "loopback" && policy.allowLoopback)) return { allowed: true, cls };
  return { allowed: false, cls, reason: `${address} is ${WHY[cls]}` };
}
