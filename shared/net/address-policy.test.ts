/** The webhook address check, address by address (docs/webhooks.md lists the same rules). */
import { describe, expect, test } from "bun:test";
import { checkAddress, classifyAddress } from "./address-policy.ts";

const production = { allowLoopback: false };
const devMode = { allowLoopback: true };

describe("classifyAddress", () => {
  test.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["169.254.169.254", "metadata"],
    ["169.254.10.10", "link-local"],
    ["168.63.129.16", "metadata"],
    ["100.100.100.200", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["0.1.2.3", "reserved"],
    ["255.255.255.255", "reserved"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["192.0.2.10", "reserved"],
    ["198.18.0.1", "reserved"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["2001:db8::1", "reserved"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"], // Teredo
    ["8.8.8.8", "public"],
    ["93.184.216.34", "public"],
    ["172.15.255.255", "public"],
    ["172.32.0.0", "public"],
    ["192.169.0.1", "public"],
    ["2606:4700:4700::1111", "public"],
    ["not-an-ip", "invalid"],
    ["256.1.1.1", "invalid"],
  ])("%s is %s", (address, cls) => {
    expect(classifyAddress(address)).toBe(cls as never);
  });

  test.each([
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:7f00:0001", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:192.168.0.1", "private"],
    ["::ffff:8.8.8.8", "public"],
    ["::127.0.0.1", "loopback"], // IPv4-compatible
    ["64:ff9b::10.0.0.1", "private"], // NAT64
    ["64:ff9b::a9fe:a9fe", "metadata"], // NAT64 of 169.254.169.254
    ["64:ff9b::8.8.8.8", "public"],
    ["2002:7f00:1::1", "loopback"], // 6to4 of 127.0.0.1
    ["2002:c0a8:101::1", "private"], // 6to4 of 192.168.1.1
  ])("IPv6 carrying an IPv4 address: %s is %s", (address, cls) => {
    expect(classifyAddress(address)).toBe(cls as never);
  });
});

describe("checkAddress", () => {
  test("outside dev mode only public addresses pass", () => {
    for (const a of ["127.0.0.1", "::1", "10.1.2.3", "172.16.5.4", "192.168.0.10", "169.254.169.254", "::ffff:127.0.0.1", "fe80::1"]) {
      const v = checkAddress(a, production);
      expect({ a, allowed: v.allowed }).toEqual({ a, allowed: false });
    }
    expect(checkAddress("8.8.8.8", production).allowed).toBe(true);
    expect(checkAddress("2606:4700:4700::1111", production).allowed).toBe(true);
  });

  test("dev mode lets loopback through, nothing else", () => {
    expect(checkAddress("127.0.0.1", devMode).allowed).toBe(true);
    expect(checkAddress("::1", devMode).allowed).toBe(true);
    expect(checkAddress("::ffff:127.0.0.1", devMode).allowed).toBe(true);
    expect(checkAddress("10.0.0.1", devMode).allowed).toBe(false);
    expect(checkAddress("169.254.169.254", devMode).allowed).toBe(false);
  });

  test("loopback-only allows loopback and refuses even public addresses", () => {
    expect(checkAddress("127.0.0.1", { allowLoopback: true, loopbackOnly: true }).allowed).toBe(true);
    expect(checkAddress("8.8.8.8", { allowLoopback: true, loopbackOnly: true }).allowed).toBe(false);
  });

  test("the reason names the address and its class", () => {
    const v = checkAddress("169.254.169.254", production);
    expect(v.allowed ? "" : v.reason).toBe("169.254.169.254 is a cloud metadata address");
  });
});
