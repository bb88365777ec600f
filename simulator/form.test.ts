import { describe, expect, test } from "bun:test";
import { configFromEnv, ConfigError } from "./fault-config.ts";
import { canonical, FormError, parseForm } from "./form.ts";

describe("Stripe's bracket form encoding", () => {
  test("nested hashes and indexed arrays, as the SDK writes them", () => {
    const body = "amount=2000&metadata[payment_id]=p_1&payment_method_types[0]=card&automatic_payment_methods[enabled]=true&confirm=true";
    expect(parseForm(body)).toEqual({
      amount: "2000",
      metadata: { payment_id: "p_1" },
      payment_method_types: ["card"],
      automatic_payment_methods: { enabled: "true" },
      confirm: "true",
    });
  });

  test("percent-encoded brackets and `[]` appends", () => {
    expect(parseForm("metadata%5Ba%5D=1&expand[]=x&expand[]=y")).toEqual({ metadata: { a: "1" }, expand: ["x", "y"] });
  });

  test("parameter order does not change the canonical form the idempotency layer compares", () => {
    expect(canonical(parseForm("a=1&m[x]=2&m[y]=3"))).toBe(canonical(parseForm("m[y]=3&a=1&m[x]=2")));
    expect(canonical(parseForm("a=1"))).not.toBe(canonical(parseForm("a=2")));
  });

  test("conflicting or absurdly deep keys are refused", () => {
    expect(() => parseForm("a=1&a[b]=2")).toThrow(FormError);
    expect(() => parseForm("a[b][c][d][e][f][g]=1")).toThrow(FormError);
  });
});

describe("fault settings from the environment", () => {
  test("SIM_FAULTS, latency and phase", () => {
    const cfg = configFromEnv({ SIM_FAULTS: "500:0.1,503:0.05,reset:0.02", SIM_LATENCY_MS: "50", SIM_FAULT_PHASE: "after", SIM_HANG_MS: "never" }, 0);
    expect(cfg.rates).toEqual({ "500": 0.1, "503": 0.05, reset: 0.02 });
    expect(cfg.latency.meanMs).toBe(50);
    expect(cfg.phase).toBe("after");
    expect(cfg.hangMs).toBeNull();
  });

  test("a bad value names its variable", () => {
    expect(() => configFromEnv({ SIM_FAULTS: "502:0.1" }, 0)).toThrow(/SIM_FAULTS/);
    expect(() => configFromEnv({ SIM_LATENCY_MS: "fast" }, 0)).toThrow(ConfigError);
    expect(() => configFromEnv({ SIM_FAULT_PHASE: "during" }, 0)).toThrow(/SIM_FAULT_PHASE/);
  });
});
