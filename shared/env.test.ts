import { describe, expect, test } from "bun:test";
import { bool, ConfigError, host, int, list, logLevel, oneOf, optionalText, port, secret, text, url } from "./env.ts";

/** The ConfigError `read` throws; fails the test when it throws nothing. */
function refusal(read: () => unknown): ConfigError {
  try {
    read();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("accepted");
}

const bounds = { min: 1, max: 100 };

describe("int", () => {
  test("unset, empty and blank take the default", () => {
    expect(int({}, "N", 7, bounds)).toBe(7);
    expect(int({ N: "" }, "N", 7, bounds)).toBe(7);
    expect(int({ N: "  " }, "N", 7, bounds)).toBe(7);
  });

  test("reads plain decimal integers within the bounds, inclusive", () => {
    expect(int({ N: "1" }, "N", 7, bounds)).toBe(1);
    expect(int({ N: "100" }, "N", 7, bounds)).toBe(100);
    expect(int({ N: " 42 " }, "N", 7, bounds)).toBe(42);
    expect(int({ N: "-5" }, "N", 0, { min: -10, max: 10 })).toBe(-5);
  });

  test.each(["10x", "abc", "1.5", "1e2", "0x10", "NaN", "Infinity", "1_000", "12 3", "99999999999999999"])(
    "%p is refused, naming the variable and the value",
    (raw) => {
      const e = refusal(() => int({ WORKER_CONCURRENCY: raw }, "WORKER_CONCURRENCY", 7, bounds));
      expect(e.message).toContain("WORKER_CONCURRENCY");
      expect(e.message).toContain(JSON.stringify(raw.trim()));
      expect(e.message).toContain("[1, 100]");
    },
  );

  test("out of bounds is refused", () => {
    expect(refusal(() => int({ N: "0" }, "N", 7, bounds)).message).toContain("N must be an integer in [1, 100]");
    expect(refusal(() => int({ N: "101" }, "N", 7, bounds)).message).toContain('got "101"');
  });
});

describe("port", () => {
  test("1-65535, and 0 only where a free port may be asked for", () => {
    expect(port({ P: "65535" }, "P", 1)).toBe(65535);
    expect(refusal(() => port({ P: "0" }, "P", 1)).message).toContain("P");
    expect(port({ P: "0" }, "P", 1, { allowZero: true })).toBe(0);
    expect(refusal(() => port({ P: "65536" }, "P", 1, { allowZero: true })).message).toContain("P");
    expect(refusal(() => port({ P: "80a" }, "P", 1)).message).toContain('"80a"');
  });
});

describe("bool", () => {
  test("1/true and 0/false, default when unset", () => {
    expect(bool({}, "B")).toBe(false);
    expect(bool({}, "B", true)).toBe(true);
    expect(bool({ B: "1" }, "B")).toBe(true);
    expect(bool({ B: "TRUE" }, "B")).toBe(true);
    expect(bool({ B: "0" }, "B", true)).toBe(false);
    expect(bool({ B: "false" }, "B", true)).toBe(false);
    expect(refusal(() => bool({ B: "yes" }, "B")).message).toBe('B must be 1 or 0, got "yes"');
  });
});

describe("oneOf and logLevel", () => {
  test("only the listed values", () => {
    expect(oneOf({ M: "b" }, "M", ["a", "b"], "a")).toBe("b");
    expect(oneOf({}, "M", ["a", "b"], "a")).toBe("a");
    expect(refusal(() => oneOf({ M: "c" }, "M", ["a", "b"], "a")).message).toBe('M must be one of a, b, got "c"');
    expect(logLevel({})).toBe("info");
    expect(logLevel({ LOG_LEVEL: "debug" })).toBe("debug");
    expect(refusal(() => logLevel({ LOG_LEVEL: "verbose" })).message).toContain("LOG_LEVEL");
  });
});

describe("text", () => {
  test("a pattern or a predicate; optionalText has no default", () => {
    expect(text({}, "T", "d", /^[a-z]+$/, "letters")).toBe("d");
    expect(text({ T: "abc" }, "T", "d", (s) => s.length === 3, "three characters")).toBe("abc");
    expect(refusal(() => text({ T: "ab1" }, "T", "d", /^[a-z]+$/, "letters")).message).toBe('T must be letters, got "ab1"');
    expect(optionalText({}, "T", /^[a-z]+$/, "letters")).toBeUndefined();
    expect(optionalText({ T: "x" }, "T", /^[a-z]+$/, "letters")).toBe("x");
  });
});

describe("secret", () => {
  test("a wrong value is refused without showing it", () => {
    expect(secret({}, "OPS_API_KEY", /^\S{24,}$/, "24+ characters")).toBeUndefined();
    const good = "k".repeat(30);
    expect(secret({ OPS_API_KEY: good }, "OPS_API_KEY", /^\S{24,}$/, "24+ characters")).toBe(good);
    const e = refusal(() => secret({ OPS_API_KEY: "hunter2-secret" }, "OPS_API_KEY", /^\S{24,}$/, "24+ characters"));
    expect(e.message).toContain("OPS_API_KEY");
    expect(e.message).not.toContain("hunter2");
  });
});

describe("url", () => {
  test("one of the schemes; a refused one is shown without its password", () => {
    expect(url({}, "U", "postgres://x/y", ["postgres"])).toBe("postgres://x/y");
    expect(url({ U: "postgres://a@h1:5432,h2:5432/db" }, "U", "", ["postgres"])).toBe("postgres://a@h1:5432,h2:5432/db");
    expect(refusal(() => url({ U: "localhost:5432" }, "U", "", ["postgres"])).message).toContain("U must be a postgres:// URL");
    const e = refusal(() => url({ U: "postgress://user:s3cret@db/x" }, "U", "", ["postgres", "postgresql"]));
    expect(e.message).toContain("postgres:// or postgresql://");
    expect(e.message).not.toContain("s3cret");
    expect(refusal(() => url({ U: "http://a b" }, "U", "", ["http"])).message).toContain("U");
  });
});

describe("list", () => {
  test("comma-separated, trimmed; every item checked", () => {
    expect(list({}, "L", ["a"], /^[a-z]$/, "letters")).toEqual(["a"]);
    expect(list({ L: " a, b ,,c" }, "L", [], /^[a-z]$/, "letters")).toEqual(["a", "b", "c"]);
    expect(refusal(() => list({ L: "a,1" }, "L", [], /^[a-z]$/, "letters")).message).toBe('L must be a comma-separated list of letters, got "1"');
    expect(refusal(() => list({ L: " , " }, "L", ["a"], /^[a-z]$/, "letters")).message).toContain("L");
  });
});

describe("host", () => {
  test("an IP address or a host name", () => {
    expect(host({}, "H", "127.0.0.1")).toBe("127.0.0.1");
    for (const h of ["0.0.0.0", "::1", "stripe-sim", "db.internal.example"]) expect(host({ H: h }, "H", "x")).toBe(h);
    for (const h of ["not a host", "-bad", "http://x"]) expect(refusal(() => host({ H: h }, "H", "x")).message).toContain("H");
  });
});
