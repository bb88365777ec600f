/**
 * JSON logs (pino). Request bodies and headers are never logged: they may hold API keys,
 * and a client may paste a card number anywhere. The redact list is a second line of
 * defence for code that logs an object carelessly.
 */
import pino from "pino";

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "payment-api" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          "authorization",
          "headers.authorization",
          "req.headers.authorization",
          "apiKey",
          "key",
          "body",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
