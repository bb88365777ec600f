/**
 * Mailpit: SMTP capture, web UI and HTTP API.
 *
 * The Go module does not contain the web UI bundle (server/ui/dist is built by
 * npm in Mailpit's release pipeline), so a plain `go install` serves a blank UI.
 * We build the bundle from the module's own sources with npm, then the binary.
 * Two pins in its package manifest are not on the npm registry (rapidoc ^12,
 * and the exact sass-embedded in its lockfile), so we resolve afresh with
 * rapidoc ^9, which only backs the API-docs page.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadStackEnv } from "../../../shared/config.ts";
import type { Component } from "../component.ts";
import { CACHE_BIN, CACHE_DIR, DATA_DIR } from "../paths.ts";
import { httpOk, rmrf, run, runningPid, startDetached, stopNamed, StackError, waitFor } from "../proc.ts";
import { goBinary, which } from "../provision.ts";

export const MAILPIT_VERSION = "v1.33.1";
const BIN = join(CACHE_BIN, "mailpit");

function build(): void {
  const go = goBinary();
  const npm = which("npm");
  if (!npm) throw new StackError("npm is needed once to build Mailpit's web UI");
  console.log(`[stack] building Mailpit ${MAILPIT_VERSION} with its web UI (first run only; cached in ${CACHE_BIN})`);
  const info = JSON.parse(run(go, ["mod", "download", "-json", `github.com/axllent/mailpit@${MAILPIT_VERSION}`], { cwd: "/" })) as { Dir: string };
  const src = join(CACHE_DIR, "src", `mailpit-${MAILPIT_VERSION}`);
  rmrf(src);
  cpSync(info.Dir, src, { recursive: true });
  run("chmod", ["-R", "u+w", src]);
  const manifest = join(src, "package.json");
  writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/"rapidoc": "[^"]+"/, '"rapidoc": "^9.3.8"'));
  rmSync(join(src, "package-lock.json"), { force: true });
  run(npm, ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: src });
  run(npm, ["run", "build"], { cwd: src });
  run(go, ["build", "-buildvcs=false", "-trimpath", "-ldflags", `-s -w -X github.com/axllent/mailpit/config.Version=${MAILPIT_VERSION}`, "-o", BIN, "."], {
    cwd: src,
    env: { ...process.env, CGO_ENABLED: "0" },
  });
}

export class Mailpit implements Component {
  readonly name = "mailpit";
  readonly kind = "infra" as const;
  readonly dataDirs = [join(DATA_DIR, "mailpit")];

  endpoint() {
    const env = loadStackEnv();
    return `${env.SMTP_URL} (SMTP), ${env.MAILPIT_URL} (web UI + API, Mailpit ${MAILPIT_VERSION})`;
  }

  async provision() {
    if (!existsSync(BIN)) build();
  }

  running() {
    return runningPid(this.name) !== null;
  }

  async healthy() {
    // /readyz pings Mailpit's SQLite store over its one connection, which the SMTP side also
    // uses: on a saturated machine, with a backlog of mails arriving at once after an outage,
    // a ping can queue behind many inserts for seconds. Slow is not down.
    return httpOk(`${loadStackEnv().MAILPIT_URL}/readyz`, 5_000);
  }

  async start() {
    if (!this.running()) {
      const env = loadStackEnv();
      const dir = join(DATA_DIR, "mailpit");
      mkdirSync(dir, { recursive: true });
      startDetached(this.name, BIN, [
        "--listen",
        `127.0.0.1:${env.MAILPIT_PORT}`,
        "--smtp",
        `127.0.0.1:${env.SMTP_PORT}`,
        "--database",
        join(dir, "mailpit.db"),
        // Enough to keep every mail of a long chaos run (36,000 payments) for its checks.
        "--max",
        "200000",
        "--smtp-auth-allow-insecure",
        "--disable-version-check",
      ]);
    }
    await waitFor(this.name, () => this.healthy(), 120_000);
  }

  async stop() {
    await stopNamed(this.name);
  }
}
