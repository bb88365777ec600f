import { describe, expect, test } from "bun:test";
import { containsCardNumber, findCardNumber, luhnValid } from "./card-scan.ts";

describe("card scan", () => {
  test("Luhn", () => {
    expect(luhnValid("4242424242424242")).toBe(true);
    expect(luhnValid("4242424242424241")).toBe(false);
  });

  test("finds test PANs in common layouts", () => {
    for (const s of [
      "4242424242424242",
      "4242 4242 4242 4242",
      "4242-4242-4242-4242",
      "x 4111111111111111 y",
      "pan=4111111111111111;",
      "5555 5555 5555 4444",
      "3782 822463 10005",
      "6011111111111117",
      "note: 12 4242 4242 4242 4242",
    ]) {
      expect(containsCardNumber(s)).toBe(true);
    }
  });

  test("ignores ordinary numbers", () => {
    for (const s of [
      "1999",
      "2024-01-31",
      "1234567812345678",
      "+1 555 0100",
      "123456789012345678901234",
      "pm_card_visa",
      "1764403200009", // a Luhn-valid millisecond timestamp
      "20241231-123456",
      "abcd4242-4242-4242-4242-4242abcdef12", // UUID-shaped, digits glued to the hex around them
    ]) {
      expect(containsCardNumber(s)).toBe(false);
    }
  });

  test("no false positives on 20,000 random UUIDs", () => {
    for (let i = 0; i < 20_000; i++) expect(containsCardNumber(crypto.randomUUID())).toBe(false);
  });

  test("names the field, never the key", () => {
    expect(findCardNumber({ a: { b: ["x", "4242424242424242"] } })).toBe("a.b[1]");
    expect(findCardNumber({ m: { "4242424242424242": "x" } })).toBe("m");
    expect(findCardNumber({ a: 1 })).toBeUndefined();
  });
});
