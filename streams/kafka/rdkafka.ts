/**
 * The only import of @confluentinc/kafka-javascript in the project.
 *
 * It is a CommonJS NAN addon that Bun cannot load, so it runs on Node; everything else
 * talks to Kafka through the ports in streams/engine/ports.ts, so moving to
 * another runtime or client is a change to this folder only.
 */
import { createRequire } from "node:module";
import type * as RdKafka from "@confluentinc/kafka-javascript";

const require = createRequire(import.meta.url);
export const rdkafka = require("@confluentinc/kafka-javascript") as typeof RdKafka;
export type { RdKafka };

export const ErrorCodes = {
  assignPartitions: -175,
  revokePartitions: -174,
  topicAlreadyExists: 36,
} as const;

/** Settings shared by every client: where the brokers are and how loudly librdkafka logs. */
export function baseConfig(brokers: string, clientId: string): Record<string, string | number | boolean> {
  return {
    "bootstrap.servers": brokers,
    "client.id": clientId,
    "socket.keepalive.enable": true,
    // librdkafka's own logging is routed through the `event.log` event only on request.
    log_level: 4,
  };
}
