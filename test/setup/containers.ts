/**
 * TEST_STACK=containers: the same topology as the native stack, started from
 * compose.yaml (official images) through testcontainers. Needs a reachable
 * Docker engine and registry; compose publishes the native stack's ports on
 * loopback, so the endpoints in shared/config.ts apply unchanged.
 */
import { DockerComposeEnvironment, Wait } from "testcontainers";
import { join } from "node:path";

export async function startContainers(): Promise<Record<string, string>> {
  const root = join(import.meta.dir, "../..");
  const env = await new DockerComposeEnvironment(root, "compose.yaml").withWaitStrategy("caddy-1", Wait.forListeningPorts()).withStartupTimeout(300_000).up();
  process.once("beforeExit", () => void env.down());
  // Caddy's root CA lives in its data volume; copy it out for certificate verification.
  const caddy = env.getContainer("caddy-1");
  const ca = await caddy.exec(["cat", "/data/caddy/pki/authorities/local/root.crt"]);
  const caPath = join(root, ".stack", "containers-root.crt");
  await Bun.write(caPath, ca.output);
  return { CADDY_ROOT_CA: caPath };
}
