/**
 * Every port, URL and secret the platform uses, read from the environment with
 * local-stack defaults. Ports are deliberately non-default so the stack never
 * clashes with a Postgres, Kafka or Mongo already on a developer's machine.
 *
 * One module for all of it: services, the stack tooling and the tests read
 * endpoints from here and nowhere else.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Url = Type.String({ minLength: 1, pattern: "^[a-z][a-z0-9+.-]*://" });

export const StackEnv = Type.Object({
  PG_PRIMARY_PORT: Port,
  PG_REPLICA_PORT: Port,
  DATABASE_URL: Url,
  DATABASE_READ_URL: Url,
  KAFKA_PORT: Port,
  KAFKA_CONTROLLER_PORT: Port,
  KAFKA_BROKERS: Type.String({ minLength: 1 }),
  KAFKA_PARTITIONS: Type.Integer({ minimum: 1, maximum: 1000 }),
  MONGO_PORT: Port,
  MONGO_URL: Url,
  SMTP_PORT: Port,
  SMTP_URL: Url,
  MAILPIT_PORT: Port,
  MAILPIT_URL: Url,
  HTTPS_PORT: Port,
  HTTP_PORT: Port,
  CADDY_ADMIN_PORT: Port,
  PUBLIC_URL: Url,
  API_PORTS: Type.Array(Port, { minItems: 1 }),
  STRIPE_SIM_PORT: Port,
  /** Where the payment worker sends Stripe calls: the simulator locally; empty means Stripe itself. */
  STRIPE_API_BASE: Type.String(),
  /** /metrics (and /health/live) of each stream service, by service name. */
  METRICS_PORTS: Type.Record(Type.String(), Port),
});
export type StackEnv = Static<typeof StackEnv>;

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  return n;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads and checks the stack endpoints; throws a ConfigError naming the bad variable. */
export function loadStackEnv(env: Env = process.env): StackEnv {
  const pgPrimary = int(env, "PG_PRIMARY_PORT", 55432);
  const pgReplica = int(env, "PG_REPLICA_PORT", 55433);
  const kafka = int(env, "KAFKA_PORT", 19092);
  const mongo = int(env, "MONGO_PORT", 37017);
  const smtp = int(env, "SMTP_PORT", 11025);
  const mailpit = int(env, "MAILPIT_PORT", 18025);
  const https = int(env, "HTTPS_PORT", 8443);
  const apiPorts = (env.API_PORTS ?? "13001,13002").split(",").map((p) => Number(p.trim()));
  const cfg: StackEnv = {
    PG_PRIMARY_PORT: pgPrimary,
    PG_REPLICA_PORT: pgReplica,
    DATABASE_URL: env.DATABASE_URL ?? `postgres://payments@127.0.0.1:${pgPrimary}/payments`,
    DATABASE_READ_URL: env.DATABASE_READ_URL ?? `postgres://payments@127.0.0.1:${pgReplica}/payments`,
    KAFKA_PORT: kafka,
    KAFKA_CONTROLLER_PORT: int(env, "KAFKA_CONTROLLER_PORT", 19093),
    KAFKA_BROKERS: env.KAFKA_BROKERS ?? `127.0.0.1:${kafka}`,
    KAFKA_PARTITIONS: int(env, "KAFKA_PARTITIONS", 12),
    MONGO_PORT: mongo,
    MONGO_URL: env.MONGO_URL ?? `mongodb://127.0.0.1:${mongo}/audit`,
    SMTP_PORT: smtp,
    SMTP_URL: env.SMTP_URL ?? `smtp://127.0.0.1:${smtp}`,
    MAILPIT_PORT: mailpit,
    MAILPIT_URL: env.MAILPIT_URL ?? `http://127.0.0.1:${mailpit}`,
    HTTPS_PORT: https,
    HTTP_PORT: int(env, "HTTP_PORT", 8480),
    CADDY_ADMIN_PORT: int(env, "CADDY_ADMIN_PORT", 2119),
    PUBLIC_URL: env.PUBLIC_URL ?? `https://localhost:${https}`,
    API_PORTS: apiPorts,
    STRIPE_SIM_PORT: int(env, "STRIPE_SIM_PORT", 12111),
    STRIPE_API_BASE: env.STRIPE_API_BASE ?? `http://127.0.0.1:${int(env, "STRIPE_SIM_PORT", 12111)}`,
    METRICS_PORTS: {
      "outbox-relay": int(env, "OUTBOX_RELAY_METRICS_PORT", 9470),
      "payment-worker": int(env, "PAYMENT_WORKER_METRICS_PORT", 9471),
      "notification-worker": int(env, "NOTIFICATION_WORKER_METRICS_PORT", 9472),
      "dlq-consumer": int(env, "DLQ_CONSUMER_METRICS_PORT", 9473),
    },
  };
  const err = Value.Errors(StackEnv, cfg).First();
  if (err) throw new ConfigError(`invalid configuration ${err.path.slice(1) || "(root)"}: ${err.message}`);
  return cfg;
}

/** Hides the password part of a connection URL so it can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, "$1:***@");
}
