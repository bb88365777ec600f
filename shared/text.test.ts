import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isText, isTextLine, TEXT_LINE_PATTERN, TEXT_PATTERN } from "./text.ts";

const WHITESPACE_CONTROLS = ["\t", "\n", "\r"];
const OTHER_CONTROLS = [
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).filter((c) => !WHITESPACE_CONTROLS.includes(c)),
  ...Array.from({ length: 0x21 }, (_, i) => String.fromCharCode(0x7f + i)), // DEL and C1
];
const NEVER = ["\ud800", "\udbff", "\udc00", "\udfff", "\ufdd0", "\ufdef", "\ufffe", "\uffff", "\u{1fffe}", "\u{10ffff}"];

describe("free text", () => {
  test("ordinary text of any script, emoji and format characters is text", () => {
    for (const s of ["Jane Doe", "Zoë O'Brien", "李小龙", "محمد\u200f", "👩🏽‍💻", "naïve café", "", "x".repeat(10_000)]) {
      expect(isTextLine(s)).toBe(true);
      expect(isText(s)).toBe(true);
    }
  });

  test("TAB, LF and CR are allowed in multi-line text only", () => {
    for (const c of [...WHITESPACE_CONTROLS, "\u2028", "\u2029"]) {
      expect(isText(`a${c}b`)).toBe(true);
      expect(isTextLine(`a${c}b`)).toBe(false);
    }
  });

  test("other controls, unpaired surrogates and noncharacters are never text", () => {
    for (const c of [...OTHER_CONTROLS, ...NEVER]) {
      for (const s of [c, `a${c}`, `${c}b`, `a${c}b`]) {
        expect({ s, line: isTextLine(s), text: isText(s) }).toEqual({ s, line: false, text: false });
      }
    }
  });

  test("the OpenAPI patterns say the same about controls with and without the u flag", () => {
    const units = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 8 });
    for (const pattern of [TEXT_LINE_PATTERN, TEXT_PATTERN]) {
      const [plain, unicode] = [new RegExp(pattern), new RegExp(pattern, "u")];
      fc.assert(
        fc.property(units, (s) => expect(plain.test(s)).toBe(unicode.test(s))),
        { numRuns: 5_000 },
      );
    }
    expect(new RegExp(TEXT_LINE_PATTERN).test("a\tb")).toBe(false);
    expect(new RegExp(TEXT_PATTERN).test("a\tb\r\n")).toBe(true);
  });

  test("property: anything that passes is valid for Postgres' jsonb (no NUL, well-formed UTF-16)", () => {
    const units = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 20 });
    fc.assert(
      fc.property(units, (s) => {
        if (!isText(s)) return;
        expect(s.includes("\u0000")).toBe(false);
        expect(/\p{Cs}/u.test(s)).toBe(false); // every surrogate is one half of a pair
      }),
      { numRuns: 20_000 },
    );
  });
});
