/**
 * TEST_STACK=containers: the same topology as the native stack, started from compose.yaml
 * through testcontainers.
 *
 * PAYORCH_IMAGES=local (default): the project's own images (bash infra/compose/images.sh)
 * on the host's network, through compose.local.yaml; needs a Docker engine, no registry.
 * PAYORCH_IMAGES=official: compose.yaml as it is (official images, a bridge network);
 * needs a registry. Either way the native stack's ports are published on loopback, so the
 * endpoints in shared/config.ts apply unchanged, and the native stack must be down.
 * STACK_PROFILE=cluster adds compose.cluster.yaml (local images): the native cluster
 * profile's topology and ports.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { loadStackEnv } from "../../shared/config.ts";
import { services } from "../../infra/stack/components/index.ts";
import { Service } from "../../infra/stack/components/service.ts";
import { httpOk, tcpOpen } from "../../infra/stack/proc.ts";

const root = join(import.meta.dir, "../..");

/** The compose project the tests run; its containers are `<project>-<service>-1`. */
export const COMPOSE_PROJECT = "payorch-test";

let stop = async (): Promise<void> => {};

/** Takes the compose stack down with its volumes, so the next run starts from nothing (the preload's afterAll). */
export const stopContainers = () => stop();

export async function startContainers(): Promise<Record<string, string>> {
  const images = process.env.PAYORCH_IMAGES ?? "local";
  if (images !== "local" && images !== "official") throw new Error(`PAYORCH_IMAGES must be local or official, not "${images}"`);
  const env = loadStackEnv();
  if (await tcpOpen(env.PG_PRIMARY_PORT)) {
    throw new Error(`something already listens on 127.0.0.1:${env.PG_PRIMARY_PORT}: stop the native stack first (bun run stack down)`);
  }
  if (images === "local") {
    console.log("[test] building the local image set (bash infra/compose/images.sh)");
    const built = spawnSync("bash", [join(root, "infra/compose/images.sh")], { stdio: "inherit" });
    if (built.status !== 0) throw new Error("infra/compose/images.sh failed; see the output above");
  }
  // Testcontainers' reaper is an image from a registry; the environment is taken down here
  // instead. Every port is on loopback: no Docker host to look for (inside a container,
  // testcontainers would ask the bridge network for its gateway, and there is none).
  process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";
  const { DockerComposeEnvironment } = await import("testcontainers");
  const files = images === "local" ? ["compose.yaml", "compose.local.yaml"] : ["compose.yaml"];
  if (env.STACK_PROFILE === "cluster") {
    if (images !== "local") throw new Error("the compose cluster profile (compose.cluster.yaml) runs on the local image set: PAYORCH_IMAGES=local");
    files.push("compose.cluster.yaml");
  }
  let compose = new DockerComposeEnvironment(root, files).withProjectName(COMPOSE_PROJECT).withStartupTimeout(300_000);
  if (images === "official") compose = compose.withBuild();
  const started = await compose.up();
  stop = () => started.down({ removeVolumes: true }).then(() => undefined);
  await waitReady(env);

  // Caddy publishes its root certificate for the simulators; the tests verify with it too.
  const ca = await started.getContainer("caddy-1").exec(["cat", "/data/caddy/pki/authorities/local/root.crt"]);
  const caPath = join(root, ".stack", "containers-root.crt");
  await Bun.write(caPath, ca.output);
  return { CADDY_ROOT_CA: caPath, PAYORCH_COMPOSE_PROJECT: COMPOSE_PROJECT };
}

/** Every component answers its health endpoint, as `stack up` waits for on the native stack. */
async function waitReady(env: ReturnType<typeof loadStackEnv>, timeoutMs = 180_000): Promise<void> {
  const checks: [string, () => Promise<boolean>][] = [
    ["postgres-replica", () => tcpOpen(env.PG_REPLICA_PORT)],
    ["kafka", () => tcpOpen(env.KAFKA_PORT)],
    ["mongo", () => tcpOpen(env.MONGO_PORT)],
    ["mailpit", () => httpOk(`${env.MAILPIT_URL}/readyz`)],
    // The platform's own processes, at the health URLs the native stack waits for.
    ...services()
      .filter((c): c is Service => c instanceof Service)
      .map((s): [string, () => Promise<boolean>] => [s.name, () => httpOk(s.spec.health)]),
  ];
  const deadline = Date.now() + timeoutMs;
  for (const [name, ready] of checks) {
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error(`${name} of the compose stack did not become ready within ${timeoutMs / 1000} s`);
      await Bun.sleep(250);
    }
  }
}
