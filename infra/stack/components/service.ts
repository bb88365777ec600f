/** One of the platform's own processes (API instance, worker, simulator), run from this checkout. */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadStackEnv } from "../../../shared/config.ts";
import type { Component } from "../component.ts";
import { ROOT, RUN_DIR } from "../paths.ts";
import { httpOk, isAlive, readPid, runningPid, StackError, startDetached, stopNamed, stopPid, waitFor } from "../proc.ts";

export interface ServiceSpec {
  name: string;
  /** bun for the API and tools; node (the pinned Node 24) for stream services. */
  runtime: "bun" | "node";
  entry: string;
  env?: Record<string, string>;
  /** URL answering 2xx once the service is ready. */
  health: string;
}

/** Environment every service gets: the stack endpoints, so nothing is configured twice. */
export function serviceEnv(): Record<string, string> {
  const env = loadStackEnv();
  return {
    DATABASE_URL: env.DATABASE_URL,
    DATABASE_READ_URL: env.DATABASE_READ_URL,
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    KAFKA_PARTITIONS: String(env.KAFKA_PARTITIONS),
    MONGO_URL: env.MONGO_URL,
    SMTP_URL: env.SMTP_URL,
    PUBLIC_URL: env.PUBLIC_URL,
  };
}

export function runtimeBinary(runtime: ServiceSpec["runtime"]): string {
  if (runtime === "bun") return process.execPath;
  const node = join(ROOT, "node_modules", ".bin", "node");
  if (!existsSync(node)) throw new StackError("the pinned Node 24 is missing: run `bun run setup` (infra/bootstrap.sh)");
  return node;
}

/** Pid of the service process itself (the pid file holds its supervisor's). */
export const childPidFile = (name: string) => join(RUN_DIR, `${name}.child.pid`);

export class Service implements Component {
  readonly kind = "service" as const;
  readonly dataDirs: string[] = [];
  readonly spec: ServiceSpec;
  constructor(spec: ServiceSpec) {
    this.spec = spec;
  }
  get name() {
    return this.spec.name;
  }
  endpoint() {
    return this.spec.health.replace(/\/health.*$/, "");
  }
  async provision() {
    if (!existsSync(join(ROOT, this.spec.entry))) throw new StackError(`${this.name}: ${this.spec.entry} does not exist`);
  }
  running() {
    return runningPid(this.name) !== null;
  }
  async healthy() {
    return this.running() && (await httpOk(this.spec.health, 3_000));
  }
  async start() {
    if (!this.running()) {
      // Under a supervisor that restarts the service if it dies (see supervise.ts).
      const supervisor = join(ROOT, "infra", "stack", "supervise.ts");
      startDetached(this.name, process.execPath, [supervisor, childPidFile(this.name), runtimeBinary(this.spec.runtime), join(ROOT, this.spec.entry)], {
        cwd: ROOT,
        env: { ...serviceEnv(), SERVICE_NAME: this.name, ...this.spec.env },
      });
    }
    await waitFor(this.name, () => this.healthy(), 60_000);
  }
  async stop() {
    await stopNamed(this.name, 20_000);
    // A service whose supervisor was killed on its own would run on unsupervised: stop it too.
    const orphan = readPid(childPidFile(this.name));
    if (orphan !== null && isAlive(orphan)) await stopPid(orphan, 20_000);
    rmSync(childPidFile(this.name), { force: true });
  }
}
