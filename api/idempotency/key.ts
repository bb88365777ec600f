/**
 * The Idempotency-Key header, as every POST that changes money takes it: required, 1-255
 * printable ASCII characters (IETF draft: an sf-string), and never a card number.
 */
import { Type } from "@sinclair/typebox";
import { badRequest } from "../../shared/http-errors.ts";
import { containsCardNumber } from "../payments/card-scan.ts";

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

export const IdempotencyHeaders = Type.Object({
  "idempotency-key": Type.String({
    minLength: 1,
    maxLength: 255,
    description: "Unique per logical request; replays return the stored response for 24 hours.",
  }),
});

/** Throws the 400 naming the header; the key itself is never echoed. */
export function checkIdempotencyKey(key: string): string {
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw badRequest("idempotency_key_invalid", "Idempotency-Key must be 1-255 printable ASCII characters.", "Idempotency-Key");
  }
  if (containsCardNumber(key)) {
    throw badRequest("card_data_not_allowed", "Card numbers are not accepted anywhere, including headers.", "Idempotency-Key");
  }
  return key;
}
