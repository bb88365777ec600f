/** Caddy 2: HTTPS on the public port with its internal CA, in front of the API instances. */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadStackEnv } from "../../../shared/config.ts";
import type { Component } from "../component.ts";
import { DATA_DIR, ROOT } from "../paths.ts";
import { httpOk, runningPid, startDetached, stopNamed, waitFor } from "../proc.ts";
import { goInstall } from "../provision.ts";

export const CADDY_MODULE = "github.com/caddyserver/caddy/v2/cmd/caddy@v2.11.9";
const caddyHome = () => join(DATA_DIR, "caddy");

/** The root certificate of Caddy's local CA: what clients verify the public endpoint against. */
export const caddyRootCa = () => join(caddyHome(), "data", "caddy", "pki", "authorities", "local", "root.crt");

export class Caddy implements Component {
  readonly name = "caddy";
  readonly kind = "infra" as const;
  readonly dataDirs = [caddyHome()];
  private bin = "";

  endpoint() {
    const env = loadStackEnv();
    return `${env.PUBLIC_URL} (HTTPS, root CA ${caddyRootCa()}); http://localhost:${env.HTTP_PORT} redirects`;
  }

  async provision() {
    this.bin = goInstall("caddy", CADDY_MODULE);
  }

  running() {
    return runningPid(this.name) !== null;
  }

  async healthy() {
    return existsSync(caddyRootCa()) && (await httpOk(`http://127.0.0.1:${loadStackEnv().CADDY_ADMIN_PORT}/config/`));
  }

  async start() {
    if (!this.running()) {
      const env = loadStackEnv();
      mkdirSync(join(caddyHome(), "data"), { recursive: true });
      mkdirSync(join(caddyHome(), "config"), { recursive: true });
      startDetached(this.name, this.bin, ["run", "--config", join(ROOT, "caddy", "Caddyfile"), "--adapter", "caddyfile"], {
        env: {
          XDG_DATA_HOME: join(caddyHome(), "data"),
          XDG_CONFIG_HOME: join(caddyHome(), "config"),
          HTTP_PORT: String(env.HTTP_PORT),
          HTTPS_PORT: String(env.HTTPS_PORT),
          CADDY_ADMIN_ADDR: `127.0.0.1:${env.CADDY_ADMIN_PORT}`,
          API_UPSTREAMS: env.API_PORTS.map((p) => `127.0.0.1:${p}`).join(" "),
        },
      });
    }
    await waitFor(this.name, () => this.healthy(), 30_000);
  }

  async stop() {
    await stopNamed(this.name);
  }
}
