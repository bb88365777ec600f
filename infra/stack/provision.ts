import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CACHE_BIN } from "./paths.ts";
import { run, StackError } from "./proc.ts";

const isRoot = () => process.getuid?.() === 0;

/** Installs Debian packages when running as root; otherwise says what to install. */
export function ensureDebPackages(what: string, packages: string[]): void {
  if (!isRoot() || !existsSync("/usr/bin/apt-get")) {
    throw new StackError(`${what} is missing: install the Debian packages ${packages.join(" ")}`);
  }
  console.log(`[stack] installing ${packages.join(" ")} (${what})`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-qq"], { env });
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { env });
}

/** The newest PostgreSQL server installed from Debian's packages. */
export function postgresBinDir(): string {
  const find = () => {
    const base = "/usr/lib/postgresql";
    if (!existsSync(base)) return null;
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, "bin", "postgres")))
      .sort((a, b) => Number(b) - Number(a));
    return versions[0] ? join(base, versions[0], "bin") : null;
  };
  let dir = find();
  if (!dir) {
    ensureDebPackages("PostgreSQL server", ["postgresql"]);
    dir = find();
  }
  if (!dir) throw new StackError("PostgreSQL server binaries not found under /usr/lib/postgresql after install");
  return dir;
}

export function which(cmd: string, extra: string[] = []): string | null {
  for (const dir of [...extra, ...(process.env.PATH ?? "").split(":")]) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

export function goBinary(): string {
  const go = which("go", ["/usr/local/go/bin"]);
  if (!go) throw new StackError("Go (1.24 or newer) is needed to build Caddy, FerretDB and Mailpit: install it from https://go.dev/dl or your package manager");
  return go;
}

/** `go install module@version` into the project cache, unless the binary is already there. */
export function goInstall(binary: string, module: string): string {
  const out = join(CACHE_BIN, binary);
  if (existsSync(out)) return out;
  console.log(`[stack] building ${module} (first run only; cached in ${CACHE_BIN})`);
  run(goBinary(), ["install", module], {
    env: { ...process.env, GOBIN: CACHE_BIN, GOFLAGS: "-trimpath", CGO_ENABLED: "0" },
  });
  return out;
}
