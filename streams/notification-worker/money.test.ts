import { describe, expect, test } from "bun:test";
import { formatAmount as format, minorToDecimal, minorUnitExponent } from "./money.ts";

// Intl puts a no-break space between an ISO code and the number; compare with plain spaces.
const formatAmount = (minor: number, currency: string) => format(minor, currency).replace(/\u00a0/g, " ");

describe("amounts in the currency's minor unit", () => {
  test("exponent per ISO 4217: JPY 0, EUR 2, KWD 3, unknown 2", () => {
    expect([minorUnitExponent("JPY"), minorUnitExponent("EUR"), minorUnitExponent("KWD"), minorUnitExponent("XYZ")]).toEqual([0, 2, 3, 2]);
  });

  test("minor units to a decimal string without floats", () => {
    expect(minorToDecimal(1234, 2)).toBe("12.34");
    expect(minorToDecimal(5, 2)).toBe("0.05");
    expect(minorToDecimal(5, 3)).toBe("0.005");
    expect(minorToDecimal(1500, 0)).toBe("1500");
    expect(() => minorToDecimal(1.5, 2)).toThrow(RangeError);
  });

  test("formatted for the currency", () => {
    expect(formatAmount(1234, "EUR")).toBe("€12.34");
    expect(formatAmount(1999, "USD")).toBe("$19.99");
    expect(formatAmount(1500, "JPY")).toBe("¥1,500");
    expect(formatAmount(1234, "KWD")).toBe("KWD 1.234");
    expect(formatAmount(99_999_999, "USD")).toBe("$999,999.99");
    expect(formatAmount(100, "CLP")).toBe("CLP 100");
  });

  test("no binary rounding: 0.29 EUR stays 0.29 (a float * 100 path gives 28.999…)", () => {
    expect(formatAmount(29, "EUR")).toBe("€0.29");
    expect(formatAmount(1_000_001, "KWD")).toBe("KWD 1,000.001");
  });
});
