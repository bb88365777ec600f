/**
 * Start-up configuration of the API (api/config.ts) at the edge: where it listens, when
 * development credentials are accepted, and the rate limits. Pure: no stack needed
 * (`TEST_STACK=none bun test test/api/edge-config.test.ts`).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEV_KEYS, loadApiConfig } from "../../api/config.ts";
import { ConfigError } from "../../shared/config.ts";
import { services } from "../../infra/stack/components/index.ts";
import type { Service } from "../../infra/stack/components/service.ts";

const SECRET_OPS_KEY = "ops_live_Zr8c1Qv0mXb4Kp2Lw9Ty6Hs3Nd5Jf7Ga";

/** The ConfigError thrown for `env`, or a failure when nothing is thrown. */
function refusal(env: Record<string, string>): ConfigError {
  try {
    loadApiConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadApiConfig accepted ${JSON.stringify(Object.keys(env))}`);
}

describe("listening address", () => {
  test("loopback by default; API_HOST chooses another", () => {
    expect(loadApiConfig({}).host).toBe("127.0.0.1");
    expect(loadApiConfig({ API_HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
    expect(loadApiConfig({ API_HOST: "::1" }).host).toBe("::1");
    expect(refusal({ API_HOST: "not a host" }).message).toContain("API_HOST");
  });
});

describe("development credentials", () => {
  test("seeding the dev merchant needs the explicit dev mode", () => {
    const e = refusal({ SEED_DEV_MERCHANT: "1" });
    expect(e.message).toContain("SEED_DEV_MERCHANT");
    expect(e.message).toContain("PAYORCH_DEV_MODE=1");
    const dev = loadApiConfig({ PAYORCH_DEV_MODE: "1", SEED_DEV_MERCHANT: "1", DEV_MERCHANT_KEY: DEV_KEYS.merchant, OPS_API_KEY: DEV_KEYS.ops });
    expect(dev).toMatchObject({ devMode: true, seedDevMerchant: true, devMerchantKey: DEV_KEYS.merchant, opsApiKey: DEV_KEYS.ops });
  });

  test.each([
    ["OPS_API_KEY", DEV_KEYS.ops],
    ["DEV_MERCHANT_KEY", DEV_KEYS.merchant],
    ["OPS_API_KEY", DEV_KEYS.merchant],
  ])("outside dev mode, %s set to a published development key refuses to start, saying why", (name, value) => {
    const e = refusal({ [name]: value });
    expect(e.message).toContain(name);
    expect(e.message).toMatch(/published/);
    expect(e.message).toContain("PAYORCH_DEV_MODE");
    expect(e.message).not.toContain(value); // keys are never echoed, not even public ones
  });

  test("outside dev mode a secret operator key is accepted, and dev mode is off unless asked for", () => {
    const c = loadApiConfig({ OPS_API_KEY: SECRET_OPS_KEY });
    expect(c).toMatchObject({ devMode: false, seedDevMerchant: false, opsApiKey: SECRET_OPS_KEY });
    expect(loadApiConfig({ PAYORCH_DEV_MODE: "0" }).devMode).toBe(false);
    expect(refusal({ PAYORCH_DEV_MODE: "yes" }).message).toContain("PAYORCH_DEV_MODE");
  });

  test("a guessable operator key is refused", () => {
    const e = refusal({ OPS_API_KEY: "secret" });
    expect(e.message).toContain("OPS_API_KEY");
    expect(e.message).not.toContain('secret"');
  });

  test("the native stack runs its API instances in dev mode, and its env passes the check", () => {
    const apis = services().filter((c) => c.name.startsWith("api-")) as Service[];
    expect(apis.length).toBeGreaterThan(0);
    for (const api of apis) {
      const env = api.spec.env ?? {};
      expect(env.PAYORCH_DEV_MODE).toBe("1");
      expect(() => loadApiConfig(env)).not.toThrow();
    }
  });

  test("compose.yaml sets dev mode and a container-wide listening address for its API services", () => {
    const compose = Bun.YAML.parse(readFileSync(join(import.meta.dir, "../../compose.yaml"), "utf8")) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    // ${NAME:-default} as compose expands it with nothing set in the shell.
    const expand = (v: string) => String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, "$1");
    const apis = Object.entries(compose.services).filter(([name]) => name.startsWith("api-"));
    expect(apis.length).toBe(2);
    for (const [, svc] of apis) {
      const env = Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, expand(v)]));
      expect(env.PAYORCH_DEV_MODE).toBe("1");
      expect(env.API_HOST).toBe("0.0.0.0");
      expect(() => loadApiConfig(env)).not.toThrow();
      // What a deployment does: dev mode off, no dev merchant, its own operator key.
      const { DEV_MERCHANT_KEY: _drop, ...rest } = env;
      expect(loadApiConfig({ ...rest, PAYORCH_DEV_MODE: "0", SEED_DEV_MERCHANT: "0", OPS_API_KEY: SECRET_OPS_KEY }).devMode).toBe(false);
    }
    // Without dev mode the published keys in compose.yaml must not get through.
    const [, first] = apis[0]!;
    const env = Object.fromEntries(Object.entries(first.environment ?? {}).map(([k, v]) => [k, expand(v)]));
    expect(() => loadApiConfig({ ...env, PAYORCH_DEV_MODE: "0" })).toThrow(ConfigError);
  });
});

describe("rate limits", () => {
  test("defaults, and each knob from the environment", () => {
    const d = loadApiConfig({});
    expect(d.merchantRatePerSecond).toBeGreaterThan(0);
    expect(d.merchantRateBurst).toBeGreaterThanOrEqual(d.merchantRatePerSecond);
    expect(d.authFailuresPerMinute).toBeGreaterThan(0);
    expect(d.authFailureBurst).toBeGreaterThan(0);
    expect(d.trustedProxies).toEqual(["127.0.0.1", "::1"]);
    const c = loadApiConfig({
      MERCHANT_RATE_LIMIT_PER_SECOND: "5",
      MERCHANT_RATE_LIMIT_BURST: "7",
      AUTH_FAILURES_PER_MINUTE: "3",
      AUTH_FAILURE_BURST: "2",
      TRUSTED_PROXIES: "10.89.0.10, ::1",
    });
    expect(c).toMatchObject({
      merchantRatePerSecond: 5,
      merchantRateBurst: 7,
      authFailuresPerMinute: 3,
      authFailureBurst: 2,
      trustedProxies: ["10.89.0.10", "::1"],
    });
    expect(refusal({ MERCHANT_RATE_LIMIT_PER_SECOND: "0" }).message).toContain("MERCHANT_RATE_LIMIT_PER_SECOND");
    expect(refusal({ TRUSTED_PROXIES: "caddy" }).message).toContain("TRUSTED_PROXIES");
  });
});

describe("instance name", () => {
  test("SERVICE_NAME, or none: never the machine's host name", () => {
    expect(loadApiConfig({ SERVICE_NAME: "api-1" }).serviceName).toBe("api-1");
    expect(loadApiConfig({}).serviceName).toBeUndefined();
    expect(refusal({ SERVICE_NAME: "has spaces" }).message).toContain("SERVICE_NAME");
  });
});
