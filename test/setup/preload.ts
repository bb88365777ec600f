/**
 * Runs once before any test file (bunfig.toml [test].preload).
 *
 * TEST_STACK=native (default): use the running native stack, or bring it up.
 * TEST_STACK=containers: start the components with testcontainers (needs Docker).
 * TEST_STACK=none: unit tests only; nothing is started.
 */
import { afterAll } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const mode = process.env.TEST_STACK ?? "native";
const cli = join(import.meta.dir, "../../infra/stack/cli.ts");

if (mode === "native") {
  const status = spawnSync(process.execPath, [cli, "status"], { encoding: "utf8" });
  if (status.status !== 0) {
    console.log("[test] bringing the native stack up (bun run stack up)");
    const up = spawnSync(process.execPath, [cli, "up"], { stdio: "inherit" });
    if (up.status !== 0) throw new Error("the native stack did not come up; see the output above");
  }
} else if (mode === "containers") {
  const { startContainers, stopContainers } = await import("./containers.ts");
  Object.assign(process.env, await startContainers());
  // A hook in the preload runs once, after every test file.
  afterAll(stopContainers, 120_000);
} else if (mode !== "none") {
  throw new Error(`TEST_STACK must be native, containers or none, not "${mode}"`);
}
