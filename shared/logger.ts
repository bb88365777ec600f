/**
 * JSON-lines logs (pino) for every service, with the service name on each line.
 * Payloads, bodies and headers are never logged on purpose (they may hold API
 * keys, or a card number a client pasted anywhere); the redact list is a
 * second line of defence for code that logs an object carelessly.
 */
import pino from "pino";

export type Logger = pino.Logger;

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? "info", destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ["authorization", "headers.authorization", "req.headers.authorization", "apiKey", "key", "body", "payload", "secret", "password"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
