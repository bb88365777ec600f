/** RFC 4180 writing and reading (csv.ts): what needs quoting, and reading back what was written. */
import { describe, expect, test } from "bun:test";
import { CsvError, csvField, csvLine, parseCsv } from "./csv.ts";

describe("csv", () => {
  test("only fields with a comma, a quote or a line break are quoted; quotes are doubled", () => {
    expect(["plain", "a,b", 'say "hi"', "two\nlines", ""].map(csvField)).toEqual(["plain", '"a,b"', '"say ""hi"""', '"two\nlines"', ""]);
  });

  test("what is written reads back, CRLF or LF, with empty fields and line breaks inside quotes", () => {
    const rows = [
      ["kind", "reason"],
      ["amount_mismatch", 'captured 2000 here, 0 at "stripe"'],
      ["", "two\r\nlines"],
    ];
    expect(parseCsv(`${rows.map(csvLine).join("\r\n")}\r\n`)).toEqual(rows);
    expect(parseCsv("a,b\nc,d")).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(parseCsv("")).toEqual([]);
  });

  test("a quote inside an unquoted field, or an unterminated one, is an error", () => {
    expect(() => parseCsv('a,b"c\n')).toThrow(CsvError);
    expect(() => parseCsv('a,"bc\n')).toThrow(CsvError);
  });
});
