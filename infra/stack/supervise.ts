/**
 * Keeps one service process running, as systemd's Restart=always would:
 *   bun infra/stack/supervise.ts <child-pid-file> <command> [args…]
 *
 * The child is restarted (after a short, growing pause) whenever it exits on
 * its own, including a SIGKILL from a fault-injection run. The stack stops a
 * service by signalling its whole process group (supervisor and child alike):
 * the supervisor then only waits for the child to finish, with no restart.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";

const [childPidFile, cmd, ...args] = process.argv.slice(2);
if (!childPidFile || !cmd) {
  console.error("usage: supervise.ts <child-pid-file> <command> [args…]");
  process.exit(2);
}

let stopping = false;
let child: ChildProcess | null = null;
let quickExits = 0;

function start() {
  const startedAt = Date.now();
  child = spawn(cmd as string, args, { stdio: "inherit" });
  if (child.pid) writeFileSync(childPidFile as string, `${child.pid}\n`);
  child.once("exit", (code, signal) => {
    child = null;
    if (stopping) {
      rmSync(childPidFile as string, { force: true });
      process.exit(0);
    }
    quickExits = Date.now() - startedAt < 10_000 ? quickExits + 1 : 0;
    const pause = Math.min(10_000, 500 * 2 ** Math.min(quickExits, 5));
    console.error(`[supervise] ${cmd} exited (${signal ?? `code ${code}`}); restarting in ${pause} ms`);
    setTimeout(start, pause);
  });
}

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => {
    stopping = true;
    if (!child) process.exit(0);
  });
}
start();
