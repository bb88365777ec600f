/**
 * The signature scheme against a test vector computed independently
 * (`printf '%s' "<t>.<body>" | openssl dgst -sha256 -hmac <secret>`), the same vector
 * docs/webhooks.md gives merchants; tampering and stale timestamps fail.
 */
import { describe, expect, test } from "bun:test";
import { newWebhookSecret, signatureHeader, verifyWebhookSignature, WEBHOOK_SECRET_PATTERN } from "./signature.ts";

const VECTOR = {
  secret: "whsec_test_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
  previousSecret: "whsec_previous_0123456789abcdefghijklmnopqrstuvwx",
  timestamp: 1767225600,
  body:
    '{"id":"evt_0194c1a2b3c47d5e8f9a0b1c2d3e4f50","object":"event","type":"payment.approved","api_version":"2026-12-01",' +
    '"created":1767225600,"data":{"object":{"id":"pay_0194c1a2b3c47d5e8f9a0b1c2d3e4f51","object":"payment","status":"APPROVED"}}}',
  header: "t=1767225600,v1=6a5292e22b593ed5beb71139953d398a62c4fa8b666a07910c58ddfb544f893a",
  previousV1: "4d3234cf9e6ff3cbc52d1a1b73653d07d8041437a0ba109e0b21b67a3e1bcde7",
};

const at = { nowSeconds: VECTOR.timestamp + 10 };

describe("signing", () => {
  test("matches the published test vector", () => {
    expect(signatureHeader(VECTOR.body, [VECTOR.secret], VECTOR.timestamp)).toBe(VECTOR.header);
  });

  test("during a rotation both secrets sign, current first", () => {
    expect(signatureHeader(VECTOR.body, [VECTOR.secret, VECTOR.previousSecret], VECTOR.timestamp)).toBe(`${VECTOR.header},v1=${VECTOR.previousV1}`);
  });

  test("bytes and strings sign alike", () => {
    expect(signatureHeader(new TextEncoder().encode(VECTOR.body), [VECTOR.secret], VECTOR.timestamp)).toBe(VECTOR.header);
  });

  test("new secrets are whsec_ and random", () => {
    const a = newWebhookSecret();
    expect(a).toMatch(new RegExp(WEBHOOK_SECRET_PATTERN));
    expect(a).not.toBe(newWebhookSecret());
  });
});

describe("verifying", () => {
  test("the vector verifies within the tolerance, on either side of now", () => {
    expect(verifyWebhookSignature(VECTOR.body, VECTOR.header, VECTOR.secret, at)).toEqual({ ok: true, timestamp: VECTOR.timestamp });
    expect(verifyWebhookSignature(VECTOR.body, VECTOR.header, VECTOR.secret, { nowSeconds: VECTOR.timestamp - 300 }).ok).toBe(true);
    expect(verifyWebhookSignature(VECTOR.body, VECTOR.header, VECTOR.secret, { nowSeconds: VECTOR.timestamp + 300 }).ok).toBe(true);
  });

  test("a tampered body fails", () => {
    const tampered = VECTOR.body.replace("APPROVED", "DENIED");
    expect(verifyWebhookSignature(tampered, VECTOR.header, VECTOR.secret, at)).toEqual({ ok: false, reason: "no_matching_signature" });
    expect(verifyWebhookSignature(`${VECTOR.body} `, VECTOR.header, VECTOR.secret, at).ok).toBe(false);
  });

  test("an old timestamp fails, and so does one from the future", () => {
    expect(verifyWebhookSignature(VECTOR.body, VECTOR.header, VECTOR.secret, { nowSeconds: VECTOR.timestamp + 301 })).toEqual({
      ok: false,
      reason: "timestamp_out_of_tolerance",
    });
    expect(verifyWebhookSignature(VECTOR.body, VECTOR.header, VECTOR.secret, { nowSeconds: VECTOR.timestamp - 301 }).ok).toBe(false);
  });

  test("a re-signed timestamp without the secret fails", () => {
    const forged = VECTOR.header.replace(`t=${VECTOR.timestamp}`, `t=${VECTOR.timestamp + 100}`);
    expect(verifyWebhookSignature(VECTOR.body, forged, VECTOR.secret, at)).toEqual({ ok: false, reason: "no_matching_signature" });
  });

  test("the wrong secret fails; a receiver listing both secrets of a rotation succeeds", () => {
    expect(verifyWebhookSignature(VECTOR.body, VECTOR.header, VECTOR.previousSecret, at).ok).toBe(false);
    expect(verifyWebhookSignature(VECTOR.body, VECTOR.header, [VECTOR.previousSecret, VECTOR.secret], at).ok).toBe(true);
    const both = `${VECTOR.header},v1=${VECTOR.previousV1}`;
    expect(verifyWebhookSignature(VECTOR.body, both, VECTOR.previousSecret, at).ok).toBe(true);
  });

  test("missing and malformed headers fail without throwing", () => {
    expect(verifyWebhookSignature(VECTOR.body, null, VECTOR.secret, at)).toEqual({ ok: false, reason: "missing_header" });
    for (const h of ["garbage", "t=abc,v1=00", `v1=${"0".repeat(64)}`, `t=${VECTOR.timestamp}`, `t=1,t=2,v1=${"0".repeat(64)}`]) {
      expect(verifyWebhookSignature(VECTOR.body, h, VECTOR.secret, at)).toEqual({ ok: false, reason: "malformed_header" });
    }
  });

  test("unknown schemes are ignored; a v1 of the wrong length never matches", () => {
    expect(verifyWebhookSignature(VECTOR.body, `${VECTOR.header},v0=abc`, VECTOR.secret, at).ok).toBe(true);
    expect(verifyWebhookSignature(VECTOR.body, `t=${VECTOR.timestamp},v1=6a52`, VECTOR.secret, at).ok).toBe(false);
  });
});
