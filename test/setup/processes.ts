/**
 * The process behind a stack service, for tests that kill one: the native supervisor's
 * child, or under TEST_STACK=containers the main process of the service's container (its
 * restart policy then restarts it, as the native supervisor does).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { childPidFile } from "../../infra/stack/components/service.ts";

export function servicePid(name: string): number {
  const project = process.env.PAYORCH_COMPOSE_PROJECT;
  if (!project) return Number(readFileSync(childPidFile(name), "utf8"));
  const inspect = spawnSync("docker", ["inspect", "--format", "{{.State.Pid}}", `${project}-${name}-1`], { encoding: "utf8" });
  const pid = Number(inspect.stdout.trim());
  if (inspect.status !== 0 || !(pid > 0)) throw new Error(`no running container for ${name} in ${project}: ${inspect.stderr.trim()}`);
  return pid;
}
