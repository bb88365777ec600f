/**
 * Every port, URL and secret the platform uses, read from the environment with
 * local-stack defaults. Ports are deliberately non-default so the stack never
 * clashes with a Postgres, Kafka or Mongo already on a developer's machine.
 *
 * One module for all of it: services, the stack tooling and the tests read
 * endpoints from here and nowhere else. Each variable goes through a reader of
 * shared/env.ts, so a typo stops the reader with a ConfigError naming it.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ConfigError, given, int, list, oneOf, port, url, type Env } from "./env.ts";

export { ConfigError, redactUrl } from "./env.ts";

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Url = Type.String({ minLength: 1, pattern: "^[a-z][a-z0-9+.-]*://" });

/** `single`: one node of each engine. `cluster`: three Kafka nodes, a synchronous Postgres standby, two instances of each stream service. */
export const STACK_PROFILES = ["single", "cluster"] as const;
export type StackProfile = (typeof STACK_PROFILES)[number];

export const StackEnv = Type.Object({
  STACK_PROFILE: Type.Union(STACK_PROFILES.map((p) => Type.Literal(p))),
  PG_PRIMARY_PORT: Port,
  PG_REPLICA_PORT: Port,
  DATABASE_URL: Url,
  DATABASE_READ_URL: Url,
  KAFKA_PORT: Port,
  KAFKA_CONTROLLER_PORT: Port,
  KAFKA_BROKERS: Type.String({ minLength: 1 }),
  KAFKA_PARTITIONS: Type.Integer({ minimum: 1, maximum: 1000 }),
  /** Broker processes of the local stack (1, or 3 in the cluster profile), on KAFKA_PORT and the ports two and four above it. */
  KAFKA_NODES: Type.Integer({ minimum: 1, maximum: 9 }),
  /** Instances of each stream service (1, or 2 in the cluster profile); instance n listens for metrics 10 × (n − 1) above the first. */
  STREAM_INSTANCES: Type.Integer({ minimum: 1, maximum: 4 }),
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
  /** What the stack passes to its payment worker as STRIPE_API_BASE: the simulator unless set; empty means Stripe itself. */
  STRIPE_API_BASE: Type.String(),
  /** The simulator in Adyen mode (SIM_GATEWAY=adyen). */
  ADYEN_SIM_PORT: Port,
  /** What the stack passes to its workers as ADYEN_API_BASE: the Adyen-mode simulator unless set; empty means Adyen's test environment. */
  ADYEN_API_BASE: Type.String(),
  /** /metrics (and /health/live) of each stream service, by service name. */
  METRICS_PORTS: Type.Record(Type.String(), Port),
});
export type StackEnv = Static<typeof StackEnv>;

const DB_SCHEMES = ["postgres", "postgresql"];
const HTTP_SCHEMES = ["http", "https"];
/** `host:port`, optionally with a librdkafka protocol prefix (`PLAINTEXT://`). */
const BROKER = /^(?:[A-Za-z_]+:\/\/)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/;
const isPort = (s: string) => /^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535;

/**
 * Where the local stack points its workers' connectors. Unset: the simulator. Set, even to
 * empty (which the workers read as Stripe itself, or Adyen's test environment), it is passed on unchanged.
 * The stack always gives it to the worker explicitly (infra/stack, compose.yaml), so the
 * worker's own default (Stripe) never applies there; tests and chaos tooling read this
 * field as the simulator's base URL.
 */
function gatewayApiBase(env: Env, name: "STRIPE_API_BASE" | "ADYEN_API_BASE", simPort: number): string {
  if (env[name] === undefined) return `http://127.0.0.1:${simPort}`;
  return given(env, name) === undefined ? "" : url(env, name, "", HTTP_SCHEMES);
}

/** Instance n > 1 of a service is named `<name>-n` and listens 10 × (n − 1) above the first. */
function withInstances(first: Record<string, number>, instances: number): Record<string, number> {
  const all: Record<string, number> = { ...first };
  for (let n = 2; n <= instances; n++) for (const [name, p] of Object.entries(first)) all[`${name}-${n}`] = p + 10 * (n - 1);
  return all;
}

/** Reads and checks the stack endpoints; throws a ConfigError naming the bad variable. */
export function loadStackEnv(env: Env = process.env): StackEnv {
  const pgPrimary = port(env, "PG_PRIMARY_PORT", 55432);
  const pgReplica = port(env, "PG_REPLICA_PORT", 55433);
  const kafka = port(env, "KAFKA_PORT", 19092);
  const mongo = port(env, "MONGO_PORT", 37017);
  const smtp = port(env, "SMTP_PORT", 11025);
  const mailpit = port(env, "MAILPIT_PORT", 18025);
  const https = port(env, "HTTPS_PORT", 8443);
  const simPort = port(env, "STRIPE_SIM_PORT", 12111);
  const adyenSimPort = port(env, "ADYEN_SIM_PORT", 12112);
  const profile = oneOf(env, "STACK_PROFILE", STACK_PROFILES, "single");
  const cluster = profile === "cluster";
  const kafkaNodes = cluster ? 3 : 1;
  // In the cluster profile either Postgres node may be the primary (after `stack failover`):
  // writers follow whichever is, readers prefer the standby and fall back to the primary.
  const pgUrl = (attrs: string) =>
    cluster ? `postgres://payments@127.0.0.1:${pgPrimary},127.0.0.1:${pgReplica}/payments?target_session_attrs=${attrs}` : undefined;
  const cfg: StackEnv = {
    STACK_PROFILE: profile,
    PG_PRIMARY_PORT: pgPrimary,
    PG_REPLICA_PORT: pgReplica,
    DATABASE_URL: url(env, "DATABASE_URL", pgUrl("primary") ?? `postgres://payments@127.0.0.1:${pgPrimary}/payments`, DB_SCHEMES),
    DATABASE_READ_URL: url(env, "DATABASE_READ_URL", pgUrl("prefer-standby") ?? `postgres://payments@127.0.0.1:${pgReplica}/payments`, DB_SCHEMES),
    KAFKA_PORT: kafka,
    KAFKA_CONTROLLER_PORT: port(env, "KAFKA_CONTROLLER_PORT", 19093),
    KAFKA_BROKERS: list(
      env,
      "KAFKA_BROKERS",
      Array.from({ length: kafkaNodes }, (_, i) => `127.0.0.1:${kafka + 2 * i}`),
      BROKER,
      "host:port brokers",
    ).join(","),
    KAFKA_PARTITIONS: int(env, "KAFKA_PARTITIONS", 12, { min: 1, max: 1000 }),
    KAFKA_NODES: kafkaNodes,
    STREAM_INSTANCES: cluster ? 2 : 1,
    MONGO_PORT: mongo,
    MONGO_URL: url(env, "MONGO_URL", `mongodb://127.0.0.1:${mongo}/audit`, ["mongodb", "mongodb+srv"]),
    SMTP_PORT: smtp,
    SMTP_URL: url(env, "SMTP_URL", `smtp://127.0.0.1:${smtp}`, ["smtp", "smtps"]),
    MAILPIT_PORT: mailpit,
    MAILPIT_URL: url(env, "MAILPIT_URL", `http://127.0.0.1:${mailpit}`, HTTP_SCHEMES),
    HTTPS_PORT: https,
    HTTP_PORT: port(env, "HTTP_PORT", 8480),
    CADDY_ADMIN_PORT: port(env, "CADDY_ADMIN_PORT", 2119),
    PUBLIC_URL: url(env, "PUBLIC_URL", `https://localhost:${https}`, HTTP_SCHEMES),
    API_PORTS: list(env, "API_PORTS", ["13001", "13002"], isPort, "port numbers").map(Number),
    STRIPE_SIM_PORT: simPort,
    STRIPE_API_BASE: gatewayApiBase(env, "STRIPE_API_BASE", simPort),
    ADYEN_SIM_PORT: adyenSimPort,
    ADYEN_API_BASE: gatewayApiBase(env, "ADYEN_API_BASE", adyenSimPort),
    METRICS_PORTS: withInstances(
      {
        "outbox-relay": port(env, "OUTBOX_RELAY_METRICS_PORT", 9470),
        "payment-worker": port(env, "PAYMENT_WORKER_METRICS_PORT", 9471),
        "notification-worker": port(env, "NOTIFICATION_WORKER_METRICS_PORT", 9472),
        "dlq-consumer": port(env, "DLQ_CONSUMER_METRICS_PORT", 9473),
        "webhook-dispatcher": port(env, "WEBHOOK_DISPATCHER_METRICS_PORT", 9474),
        "command-worker": port(env, "COMMAND_WORKER_METRICS_PORT", 9475),
      },
      cluster ? 2 : 1,
    ),
  };
  // The readers checked each variable; this catches a derived value the schema refuses.
  const err = Value.Errors(StackEnv, cfg).First();
  if (err) throw new ConfigError(`invalid configuration ${err.path.slice(1) || "(root)"}: ${err.message}`);
  return cfg;
}
