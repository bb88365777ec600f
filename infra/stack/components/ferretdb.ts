/**
 * FerretDB 1.24 (MongoDB wire protocol, SQLite backend) as the audit store.
 *
 * Built from its Go module rather than `go install`: the module lacks the
 * build/version/version.txt its release builds generate, and the binary
 * panics at start without it, so we add that one file and build.
 */
import { cpSync, existsSync, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { loadStackEnv } from "../../../shared/config.ts";
import type { Component } from "../component.ts";
import { CACHE_BIN, CACHE_DIR, DATA_DIR } from "../paths.ts";
import { run, runningPid, startDetached, stopNamed, tcpOpen, waitFor, httpOk, rmrf } from "../proc.ts";
import { goBinary } from "../provision.ts";

export const FERRETDB_VERSION = "v1.24.2";
const BIN = join(CACHE_BIN, "ferretdb");
const debugPort = () => loadStackEnv().MONGO_PORT + 1000;

export class FerretDB implements Component {
  readonly name = "ferretdb";
  readonly kind = "infra" as const;
  readonly dataDirs = [join(DATA_DIR, "ferretdb")];

  endpoint() {
    return `${loadStackEnv().MONGO_URL} (FerretDB ${FERRETDB_VERSION}, SQLite backend)`;
  }

  async provision() {
    if (existsSync(BIN)) return;
    const go = goBinary();
    const mod = `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`;
    console.log(`[stack] building FerretDB ${FERRETDB_VERSION} (first run only; cached in ${CACHE_BIN})`);
    const info = JSON.parse(run(go, ["mod", "download", "-json", mod], { cwd: "/" })) as { Dir: string };
    const src = join(CACHE_DIR, "src", `ferretdb-${FERRETDB_VERSION}`);
    rmrf(src);
    cpSync(info.Dir, src, { recursive: true });
    run("chmod", ["-R", "u+w", src]);
    writeFileSync(join(src, "build", "version", "version.txt"), `${FERRETDB_VERSION}\n`);
    run(go, ["build", "-buildvcs=false", "-trimpath", "-o", BIN, "./cmd/ferretdb"], {
      cwd: src,
      env: { ...process.env, CGO_ENABLED: "0" },
    });
    chmodSync(BIN, 0o755);
  }

  running() {
    return runningPid(this.name) !== null;
  }

  async healthy() {
    // Generous per-probe timeouts: restarted under a chaos run's full load, with every audit
    // writer reconnecting at once, an answer can take seconds on two cores. Slow is not down.
    return (await tcpOpen(loadStackEnv().MONGO_PORT, "127.0.0.1", 2_000)) && (await httpOk(`http://127.0.0.1:${debugPort()}/debug/readyz`, 5_000));
  }

  async start() {
    if (!this.running()) {
      const dir = join(DATA_DIR, "ferretdb");
      mkdirSync(join(dir, "sqlite"), { recursive: true });
      startDetached(this.name, BIN, [
        `--listen-addr=127.0.0.1:${loadStackEnv().MONGO_PORT}`,
        "--handler=sqlite",
        `--sqlite-url=file:${join(dir, "sqlite")}/`,
        `--state-dir=${dir}`,
        `--debug-addr=127.0.0.1:${debugPort()}`,
        "--telemetry=disable",
        "--log-level=warn",
      ]);
    }
    await waitFor(this.name, () => this.healthy(), 120_000);
  }

  async stop() {
    await stopNamed(this.name);
  }
}
