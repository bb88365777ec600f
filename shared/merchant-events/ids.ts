/**
 * Time-ordered ids for events and webhook endpoints, on Bun and on Node alike (Bun's
 * randomUUIDv7 does not exist on Node). A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds,
 * the version, a 12-bit counter and 62 random bits. Within one millisecond the counter
 * counts up, so the ids one process makes sort in the order it made them.
 */
import { randomBytes } from "node:crypto";

let lastMs = 0;
let counter = 0;

export function uuidv7Hex(nowMs: number = Date.now()): string {
  let ms = Math.max(nowMs, lastMs);
  if (ms === lastMs) {
    counter++;
    if (counter > 0xfff) {
      ms++;
      counter = 0;
    }
  } else {
    // A random start leaves room to count up without the low bits looking sequential.
    counter = randomBytes(2).readUInt16BE(0) & 0x3ff;
  }
  lastMs = ms;
  const rand = randomBytes(8);
  rand[0] = (rand[0]! & 0x3f) | 0x80; // RFC 9562 variant
  const time = ms.toString(16).padStart(12, "0");
  const a = (0x7000 | counter).toString(16);
  return `${time}${a}${rand.toString("hex")}`;
}

export const newEventId = (): string => `evt_${uuidv7Hex()}`;
export const newEndpointId = (): string => `we_${uuidv7Hex()}`;
