/**
 * The decode hook for versioned JSON events (shared/events.ts): bytes → JSON →
 * TypeBox check. Any failure is a PoisonError, which the engine sends straight
 * to the DLQ. The schema is compiled once; checking is then a plain function call.
 */
import type { Static, TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { PoisonError } from "./errors.ts";
import type { InboundMessage } from "./ports.ts";

const MAX_REPORTED = 3;

export function jsonDecoder<S extends TSchema>(schema: S): (msg: InboundMessage) => Static<S> {
  const check = TypeCompiler.Compile(schema);
  return (msg) => {
    if (msg.value === null) throw new PoisonError("record has no value");
    let json: unknown;
    try {
      json = JSON.parse(msg.value.toString("utf8"));
    } catch (err) {
      throw new PoisonError(`value is not JSON: ${(err as Error).message}`);
    }
    if (!check.Check(json)) {
      const problems = [...check.Errors(json)]
        .slice(0, MAX_REPORTED)
        .map((e) => `${e.path || "/"}: ${e.message}`)
        .join("; ");
      throw new PoisonError(`schema violation: ${problems}`);
    }
    return json;
  };
}
