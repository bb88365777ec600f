import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { containsCardNumber, findCardNumber, luhnValid } from "./card-scan.ts";

/** Appends the Luhn check digit, so every generated number is a valid PAN. */
function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  throw new Error("unreachable");
}

// Network prefixes and the lengths they are issued in (all start 2-6).
const NETWORKS: [string, number[]][] = [
  ["4", [13, 16, 19]], // Visa
  ["51", [16]],
  ["55", [16]],
  ["2221", [16]],
  ["2720", [16]], // Mastercard
  ["34", [15]],
  ["37", [15]], // Amex
  ["36", [14]],
  ["38", [14]], // Diners
  ["6011", [16, 19]],
  ["65", [16]], // Discover
  ["35", [16, 19]], // JCB
  ["62", [16, 17, 18, 19]], // UnionPay
];

/** How each length is printed on cards and typed into forms. */
const LAYOUTS: Record<number, number[][]> = {
  13: [
    [4, 4, 5],
    [4, 4, 4, 1],
  ],
  14: [
    [4, 6, 4],
    [4, 4, 4, 2],
  ],
  15: [
    [4, 6, 5],
    [4, 4, 4, 3],
  ],
  16: [[4, 4, 4, 4]],
  17: [[4, 4, 4, 4, 1]],
  18: [[4, 4, 4, 4, 2]],
  19: [[4, 4, 4, 4, 3]],
};

const pan = fc
  .constantFrom(...NETWORKS.flatMap(([prefix, lengths]) => lengths.map((n) => [prefix, n] as const)))
  .chain(([prefix, n]) =>
    fc
      .array(fc.integer({ min: 0, max: 9 }), { minLength: n - prefix.length - 1, maxLength: n - prefix.length - 1 })
      .map((ds) => withCheckDigit(prefix + ds.join(""))),
  );

/** Zeros of decimal digit sets in other scripts: fullwidth, Arabic-Indic, Persian, Devanagari, Bengali, Thai, Tibetan, Myanmar, mathematical bold. */
const ZEROS = [0x30, 0xff10, 0x660, 0x6f0, 0x966, 0x9e6, 0xe50, 0xf20, 0x1040, 0x1d7ce];
const SEPARATORS = [" ", "-", ".", "/", "_", ",", ":", "*", "|", "\t", "\n", "\u00a0", "\u2009", "\u3000", "\u2010", "\u2013", "\u2014", "\u00b7", "\u200b"];
const AFFIXES = ["", " ", "card", "pan=", "cc:", "x", "number ", "(", ") ", "visa", "exp", "\n", "ab"];

/** A valid PAN as someone might write it: a printed layout or none, any separators, any script's digits, letters around it. */
const writtenPan = fc
  .record({
    digits: pan,
    layout: fc.nat(),
    grouped: fc.boolean(),
    seps: fc.array(
      fc.array(fc.constantFrom(...SEPARATORS), { minLength: 1, maxLength: 3 }).map((a) => a.join("")),
      { minLength: 4, maxLength: 4 },
    ),
    scripts: fc.array(fc.constantFrom(...ZEROS), { minLength: 19, maxLength: 19 }),
    before: fc.constantFrom(...AFFIXES),
    after: fc.constantFrom(...AFFIXES),
  })
  .map(({ digits, layout, grouped, seps, scripts, before, after }) => {
    const written = [...digits].map((d, i) => String.fromCodePoint(scripts[i]! + Number(d)));
    const layouts = LAYOUTS[digits.length]!;
    const sizes = grouped ? layouts[layout % layouts.length]! : [digits.length];
    const groups: string[] = [];
    let at = 0;
    for (const size of sizes) {
      groups.push(written.slice(at, at + size).join(""));
      at += size;
    }
    return before + groups.map((g, i) => (i === 0 ? g : seps[i - 1]! + g)).join("") + after;
  });

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

  test("finds the spellings that used to get through", () => {
    for (const s of [
      "4242.4242.4242.4242",
      "4242  4242  4242  4242",
      "4242 - 4242 - 4242 - 4242",
      "4242/4242/4242/4242",
      "4242_4242_4242_4242",
      "4242\t4242\n4242\r\n4242",
      "4242\u00a04242\u20134242\u20144242",
      "\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12", // fullwidth
      "\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662", // Arabic-Indic
      "\u096a\u0968\u096a\u0968 \u096a\u0968\u096a\u0968 \u096a\u0968\u096a\u0968 \u096a\u0968\u096a\u0968", // Devanagari
      "card4242424242424242",
      "4242424242424242exp",
      "cc4242 4242 4242 4242exp1230",
      "4\u200b2\u200b4\u200b2\u200b4\u200b2\u200b4\u200b2\u200b4\u200b2\u200b4\u200b2\u200b4\u200b2\u200b4\u200b2", // zero-width spaces
      "4\u03022\u03024\u03022\u0302424242424242", // combining marks
      "ref 123 4242 4242 4242 4242", // after a group that belongs to another number
    ]) {
      expect(containsCardNumber(s)).toBe(true);
    }
  });

  test("property: a valid PAN in any printable layout is refused", () => {
    fc.assert(
      fc.property(writtenPan, (s) => containsCardNumber(s)),
      { numRuns: 5_000 },
    );
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
      "abcd4242-4242-4242-4242-4242abcdef12", // UUID-shaped
      "pay_0190a1b2c3d44242424242424242abcd", // a payment id that happens to hold 16 digits
      "+4915123456789", // an E.164 phone number
      "20241231123456", // a compact date-time stamp
      "2024-12-31 12:34:56.789+01:00",
    ]) {
      expect({ s, found: containsCardNumber(s) }).toEqual({ s, found: false });
    }
  });

  test("no false positives on 20,000 random UUIDs and payment ids", () => {
    for (let i = 0; i < 10_000; i++) {
      expect(containsCardNumber(crypto.randomUUID())).toBe(false);
      expect(containsCardNumber(`pay_${Bun.randomUUIDv7().replaceAll("-", "")}`)).toBe(false);
    }
  });

  test("property: ids, timestamps, epoch times and phone numbers are rarely taken for a PAN", () => {
    const date = fc.date({ min: new Date("2001-09-10T00:00:00Z"), max: new Date("2033-05-17T00:00:00Z"), noInvalidDate: true });
    const pad = (n: number, w = 2) => String(n).padStart(w, "0");
    const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
    const nonCard = fc.oneof(
      fc.uuid().map((u) => u),
      fc.uuid().map((u) => u.toUpperCase()),
      fc.uuid().map((u) => `pay_${u.replaceAll("-", "")}`),
      fc.stringMatching(/^[0-9a-f]{24}$/), // Mongo ObjectId
      date.map((d) => d.toISOString()),
      date.map((d) => d.toISOString().replace("T", " ").replace("Z", "+02:00")),
      date.map((d) => `${d.toISOString().slice(0, 19)}.${pad(d.getUTCMilliseconds(), 3)}123Z`),
      date.map((d) => d.toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "")), // basic ISO 8601
      date.map((d) => d.toISOString().replace(/\D/g, "").slice(0, 14)), // compact stamp
      date.map((d) => String(d.getTime())), // epoch millis
      date.map((d) => String(Math.floor(d.getTime() / 1000))),
      date.map((d) => `${d.getTime()}000`), // epoch micros
      fc.tuple(fc.integer({ min: 1, max: 998 }), digits(6, 12)).map(([cc, n]) => `+${cc}${n}`.slice(0, 16)), // E.164
      fc.tuple(fc.integer({ min: 1, max: 998 }), digits(2, 4), digits(3, 4), digits(3, 4)).map(([cc, a, b, c]) => `+${cc} ${a} ${b} ${c}`),
      fc.tuple(digits(3, 3), digits(3, 3), digits(4, 4)).map(([a, b, c]) => `(${a}) ${b}-${c}`),
      fc.tuple(digits(3, 3), digits(3, 3), digits(4, 4)).map(([a, b, c]) => `${a}.${b}.${c}`),
      fc.tuple(digits(2, 5), digits(6, 9)).map(([a, b]) => `00${a} ${b}`),
      fc.tuple(date, fc.integer({ min: 1, max: 99_999 })).map(([d, n]) => `ORD-${d.toISOString().slice(0, 10)}-${n}`),
    );
    const samples = fc.sample(nonCard, 20_000);
    const flagged = samples.filter((s) => containsCardNumber(s));
    // Ids, ISO timestamps and epoch times cannot be read as a PAN; what remains is a
    // phone number that is also a Luhn-valid 13-15 digit run (no leading +).
    expect(flagged.length / samples.length).toBeLessThanOrEqual(0.001);
  });

  test("names the field, never the key", () => {
    expect(findCardNumber({ a: { b: ["x", "4242424242424242"] } })).toBe("a.b[1]");
    expect(findCardNumber({ m: { "4242424242424242": "x" } })).toBe("m");
    expect(findCardNumber({ a: 1 })).toBeUndefined();
  });
});
