import { describe, expect, test } from "bun:test";
import { ConfigError, loadStackEnv, redactUrl } from "./config.ts";
import { ConfigError as EnvConfigError } from "./env.ts";

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadStackEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadStackEnv accepted ${JSON.stringify(env)}`);
}

describe("loadStackEnv", () => {
  test("the local stack's defaults", () => {
    const e = loadStackEnv({});
    expect(e).toMatchObject({
      PG_PRIMARY_PORT: 55432,
      DATABASE_URL: "postgres://payments@127.0.0.1:55432/payments",
      DATABASE_READ_URL: "postgres://payments@127.0.0.1:55433/payments",
      KAFKA_BROKERS: "127.0.0.1:19092",
      KAFKA_PARTITIONS: 12,
      MONGO_URL: "mongodb://127.0.0.1:37017/audit",
      SMTP_URL: "smtp://127.0.0.1:11025",
      MAILPIT_URL: "http://127.0.0.1:18025",
      PUBLIC_URL: "https://localhost:8443",
      API_PORTS: [13001, 13002],
      STRIPE_SIM_PORT: 12111,
      STRIPE_API_BASE: "http://127.0.0.1:12111",
      ADYEN_SIM_PORT: 12112,
      ADYEN_API_BASE: "http://127.0.0.1:12112",
      METRICS_PORTS: { "outbox-relay": 9470, "payment-worker": 9471, "notification-worker": 9472, "dlq-consumer": 9473 },
    });
  });

  test("the cluster profile: three brokers, multi-host Postgres URLs that follow the primary, two instances of each stream service", () => {
    const e = loadStackEnv({ STACK_PROFILE: "cluster" });
    expect(e.KAFKA_BROKERS).toBe("127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096");
    expect(e.DATABASE_URL).toBe("postgres://payments@127.0.0.1:55432,127.0.0.1:55433/payments?target_session_attrs=primary");
    expect(e.DATABASE_READ_URL).toBe("postgres://payments@127.0.0.1:55432,127.0.0.1:55433/payments?target_session_attrs=prefer-standby");
    expect(e).toMatchObject({ KAFKA_NODES: 3, STREAM_INSTANCES: 2 });
    expect(e.METRICS_PORTS).toMatchObject({ "payment-worker": 9471, "payment-worker-2": 9481, "command-worker-2": 9485 });
    expect(loadStackEnv({}).METRICS_PORTS["payment-worker-2"]).toBeUndefined();
    expect(refusal({ STACK_PROFILE: "clustr" }).message).toContain("STACK_PROFILE");
  });

  test("ports move the URLs built from them", () => {
    const e = loadStackEnv({ PG_PRIMARY_PORT: "6000", KAFKA_PORT: "9092", STRIPE_SIM_PORT: "4000", API_PORTS: "1, 2" });
    expect(e.DATABASE_URL).toBe("postgres://payments@127.0.0.1:6000/payments");
    expect(e.KAFKA_BROKERS).toBe("127.0.0.1:9092");
    expect(e.STRIPE_API_BASE).toBe("http://127.0.0.1:4000");
    expect(e.API_PORTS).toEqual([1, 2]);
  });

  test("STRIPE_API_BASE: the simulator when unset; empty (Stripe itself) and URLs pass through", () => {
    expect(loadStackEnv({ STRIPE_API_BASE: "" }).STRIPE_API_BASE).toBe("");
    expect(loadStackEnv({ STRIPE_API_BASE: "http://stripe-sim:12111" }).STRIPE_API_BASE).toBe("http://stripe-sim:12111");
    expect(refusal({ STRIPE_API_BASE: "stripe-sim:12111" }).message).toContain("STRIPE_API_BASE");
  });

  test.each([
    ["PG_PRIMARY_PORT", "5432x"],
    ["KAFKA_PARTITIONS", "0"],
    ["KAFKA_PARTITIONS", "12.5"],
    ["HTTPS_PORT", "70000"],
    ["API_PORTS", "13001,x"],
    ["API_PORTS", ","],
    ["DLQ_CONSUMER_METRICS_PORT", "NaN"],
    ["KAFKA_BROKERS", "kafka"],
    ["MONGO_URL", "127.0.0.1:37017"],
    ["SMTP_URL", "http://mail"],
  ])("%s=%p is refused, naming the variable", (name, value) => {
    const e = refusal({ [name]: value });
    expect(e.message.startsWith(`${name} must be`)).toBe(true);
  });

  test("a refused connection URL is shown without its password", () => {
    const e = refusal({ DATABASE_URL: "mysql://payments:t0psecret@db/payments" });
    expect(e.message).toContain("DATABASE_URL");
    expect(e.message).not.toContain("t0psecret");
  });

  test("one ConfigError class, whichever module it is imported from", () => {
    expect(ConfigError).toBe(EnvConfigError);
  });
});

test("redactUrl hides the password only", () => {
  expect(redactUrl("postgres://u:p@h/db")).toBe("postgres://u:***@h/db");
  expect(redactUrl("postgres://u@h/db")).toBe("postgres://u@h/db");
});
