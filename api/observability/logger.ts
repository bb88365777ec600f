/**
 * The API's logger: the platform's one logger factory (shared/logger.ts) with
 * the service name filled in. Request bodies and headers are never logged.
 */
import type pino from "pino";
import { createLogger as createServiceLogger, type Logger } from "../../shared/logger.ts";

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return createServiceLogger("payment-api", level, destination);
}
