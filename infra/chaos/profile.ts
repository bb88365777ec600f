/**
 * Imported first by the chaos run: `bun run chaos cluster` runs against the cluster profile
 * of the stack, so STACK_PROFILE is set before any module reads the stack's configuration.
 */
export const chaosProfile = process.argv[2] ?? "short";
if (chaosProfile === "cluster") process.env.STACK_PROFILE = "cluster";
