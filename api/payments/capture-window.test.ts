/** capture_method and capture_before as a create states them (pure: TEST_STACK=none). */
import { describe, expect, test } from "bun:test";
import { ApiError } from "../../shared/http-errors.ts";
import { captureTerms, parseTimestamp } from "./capture-window.ts";

const now = new Date("2030-06-15T12:00:00.000Z");
const HOUR = 3_600_000;

const refusal = (b: Parameters<typeof captureTerms>[0]): ApiError => {
  try {
    captureTerms(b, now, 168);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("accepted");
};

describe("parseTimestamp", () => {
  test("RFC 3339 instants, with Z or an offset, to the millisecond", () => {
    expect(parseTimestamp("2030-06-15T12:00:00Z")?.toISOString()).toBe("2030-06-15T12:00:00.000Z");
    expect(parseTimestamp("2030-06-15T14:30:00.1+02:30")?.toISOString()).toBe("2030-06-15T12:00:00.100Z");
    expect(parseTimestamp("2030-06-15T07:00:00.123456789-05:00")?.toISOString()).toBe("2030-06-15T12:00:00.123Z");
    expect(parseTimestamp("2032-02-29T00:00:00Z")?.toISOString()).toBe("2032-02-29T00:00:00.000Z");
  });

  test("what names no instant is undefined, never rolled over", () => {
    for (const s of [
      "2030-02-29T00:00:00Z",
      "2030-04-31T00:00:00Z",
      "2030-00-10T00:00:00Z",
      "2030-13-01T00:00:00Z",
      "2030-01-00T00:00:00Z",
      "2030-01-01T24:00:00Z",
      "2030-01-01T00:60:00Z",
      "2030-01-01T00:00:60Z",
      "2030-01-01T00:00:00+24:00",
      "2030-01-01T00:00:00+01:60",
      "2030-01-01T00:00:00",
      "2030-01-01",
      "2030-01-01t00:00:00z",
      " 2030-01-01T00:00:00Z",
    ]) {
      expect({ s, at: parseTimestamp(s) }).toEqual({ s, at: undefined });
    }
  });
});

describe("captureTerms", () => {
  test("automatic (the default) has no deadline; manual defaults to the end of the window", () => {
    expect(captureTerms({}, now, 168)).toEqual({ captureMethod: "automatic", captureBefore: null });
    expect(captureTerms({ capture_method: "automatic" }, now, 168)).toEqual({ captureMethod: "automatic", captureBefore: null });
    expect(captureTerms({ capture_method: "manual" }, now, 24)).toEqual({ captureMethod: "manual", captureBefore: new Date(now.getTime() + 24 * HOUR) });
  });

  test("manual with a deadline in (now, now + window]", () => {
    const last = new Date(now.getTime() + 168 * HOUR).toISOString();
    expect(captureTerms({ capture_method: "manual", capture_before: last }, now, 168).captureBefore?.toISOString()).toBe(last);
    expect(captureTerms({ capture_method: "manual", capture_before: "2030-06-15T12:00:00.001Z" }, now, 168).captureBefore?.getTime()).toBe(now.getTime() + 1);
  });

  test("refusals name capture_before", () => {
    for (const b of [
      { capture_before: "2030-06-16T00:00:00Z" },
      { capture_method: "automatic" as const, capture_before: "2030-06-16T00:00:00Z" },
      { capture_method: "manual" as const, capture_before: "2030-06-15T12:00:00Z" },
      { capture_method: "manual" as const, capture_before: "2030-06-01T00:00:00Z" },
      { capture_method: "manual" as const, capture_before: "2030-06-22T12:00:00.001Z" },
      { capture_method: "manual" as const, capture_before: "2030-06-31T00:00:00Z" },
    ]) {
      const e = refusal(b);
      expect({ status: e.status, code: e.code, param: e.param }).toEqual({ status: 400, code: "parameter_invalid", param: "capture_before" });
      expect(e.message).not.toContain(b.capture_before);
    }
  });
});
