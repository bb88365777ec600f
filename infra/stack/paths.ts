import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Repository root, whatever the working directory. */
export const ROOT = resolve(import.meta.dir, "../..");
/** Project-local, git-ignored state: data directories, logs, pid files. */
export const STACK_DIR = process.env.STACK_DIR ?? join(ROOT, ".stack");
export const DATA_DIR = join(STACK_DIR, "data");
export const LOG_DIR = join(STACK_DIR, "logs");
export const RUN_DIR = join(STACK_DIR, "run");
/** Downloads and builds, kept outside the repository so fresh clones (CI) reuse them. */
export const CACHE_DIR = process.env.PAYORCH_CACHE ?? join(homedir(), ".cache", "payorch");
export const CACHE_BIN = join(CACHE_DIR, "bin");

export const logFile = (name: string) => join(LOG_DIR, `${name}.log`);
export const pidFile = (name: string) => join(RUN_DIR, `${name}.pid`);
/** The profile of the stack last brought up (`single` or `cluster`), so later commands address the same processes. */
export const PROFILE_FILE = join(STACK_DIR, "profile");
