/**
 * The docs UI: Scalar's API reference, its standalone browser bundle taken from the pinned
 * npm package (package.json) and served by the API itself. Nothing is fetched from a CDN,
 * so the page works offline and runs no script from outside on the API's origin.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const UI_PACKAGE = "@scalar/api-reference";

export type UiBundle = { path: string; version: string };

/** Finds the bundle in node_modules; throws at start-up, naming the package, when it is missing. */
export function resolveUiBundle(): UiBundle {
  let manifest: string;
  try {
    manifest = Bun.resolveSync(`${UI_PACKAGE}/package.json`, import.meta.dir);
  } catch (err) {
    throw new Error(`${UI_PACKAGE} is not installed (run bun run setup): the /docs page serves its browser bundle`, { cause: err });
  }
  const path = join(dirname(manifest), "dist", "browser", "standalone.js");
  if (!existsSync(path)) throw new Error(`${UI_PACKAGE} has no browser bundle at ${path}`);
  const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
  return { path, version };
}
