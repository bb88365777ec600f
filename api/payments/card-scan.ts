/**
 * Finds anything that looks like a card number (PAN) in a parsed JSON body, so it can be
 * rejected before it is validated, stored or logged. The platform only takes payment
 * method tokens; a PAN in any field (a description, a metadata value, even a key) means a
 * client integration is wrong, and keeping it would pull us into PCI card-data scope.
 *
 * Every string is scanned in a normalised form, so the way a number is written does not
 * matter: NFKC (fullwidth and mathematical digits become ASCII), every other Unicode
 * decimal digit mapped to its ASCII digit (Arabic-Indic, Devanagari, ...), and
 * invisible characters (combining marks, zero-width spaces and other format characters)
 * read both as nothing and as a separator.
 *
 * A candidate is then a chain of digit groups joined by short separators: 1-3 characters
 * that are neither letters nor digits (spaces of any kind, dashes, dots, slashes,
 * underscores, tabs, line breaks). Letters end a chain but do not hide the digits next to
 * them ("card4242...", "...4242exp"). Within a chain we try every span of whole groups
 * that is a single group of 13-19 digits or is laid out like a printed card
 * (4-4-4-4[-1..3], 4-4-4-1..3, 4-4-5, 4-6-4, 4-6-5), which also catches a PAN typed
 * right after another number. A span is a PAN when it starts with a card-network digit
 * (2-6: Mastercard, Visa, Amex, Discover, JCB, Diners, UnionPay, Maestro) and passes Luhn.
 *
 * What we deliberately do not flag, to keep false positives rare (card-scan.test.ts
 * measures them): digit runs longer than 19 (ids); runs starting with 0, 1, 7, 8 or 9
 * (millisecond timestamps start with 1 until 2033); separated groups that are not a
 * card's layout (dates, times, "20241231-123456"); canonical UUIDs and hex ids of 24 or
 * more hex digits (payment ids, object ids), about one in 5,000 of which would otherwise
 * hold a run that reads as a card (the price: a PAN glued to enough a-f letters to make
 * 24 hex digits is masked with them); a single run of at most 15 digits right after "+"
 * (an E.164 phone number); and a 14- or 17-digit run that reads as a date-time stamp
 * (YYYYMMDDhhmmss[mmm]), lengths at which no network issues cards starting 19 or 20.
 */

const ASCII = /^[\x00-\x7f]*$/;
const INVISIBLE = /[\p{M}\p{Cf}]/gu;
const DECIMAL = /\p{Nd}/gu;
const ONE_DECIMAL = /^\p{Nd}$/u;
const UUID = /(?<![\p{L}\p{N}])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\p{L}\p{N}])/giu;
const HEX_ID = /(?<![\p{L}\p{N}])[0-9a-f]{24,}(?![\p{L}\p{N}])/giu;
const CHAIN = /\d+(?:[^\p{L}\p{N}]{1,3}\d+)*/gu;
const PRINTED_LAYOUT = /^(4,4,4,4(,[1-3])?|4,4,4,[1-3]|4,4,5|4,6,4|4,6,5)$/;
const DATE_TIME_STAMP = /^(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([01]\d|2[0-3])[0-5]\d[0-5]\d(\d{3})?$/;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const isPan = (digits: string): boolean => digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits);

const digitValues = new Map<string, string>();

/** Unicode encodes each set of decimal digits as ten consecutive code points, 0 first. */
function digitValue(ch: string): string {
  let value = digitValues.get(ch);
  if (value === undefined) {
    const cp = ch.codePointAt(0)!;
    let below = 0;
    while (ONE_DECIMAL.test(String.fromCodePoint(cp - below - 1))) below++;
    value = String(below % 10);
    digitValues.set(ch, value);
  }
  return value;
}

/**
 * The text as the scan reads it: ASCII digits only, ids masked. An invisible character
 * may hide a separator ("4000\u200b0000 0000 0006") or split every digit from the next,
 * so a text holding any is read both ways: with them dropped and with them as spaces.
 */
export function normalForms(text: string): string[] {
  if (ASCII.test(text)) return [maskIds(text)];
  const digits = text.normalize("NFKC").replace(DECIMAL, (d) => (d <= "9" ? d : digitValue(d)));
  const dropped = digits.replace(INVISIBLE, "");
  return dropped === digits ? [maskIds(digits)] : [maskIds(dropped), maskIds(digits.replace(INVISIBLE, " "))];
}

/** A letter in place of an id keeps the digits on either side from joining across it. */
const maskIds = (text: string) => text.replace(UUID, "x").replace(HEX_ID, "x");

function chainHoldsPan(chain: string, afterPlus: boolean): boolean {
  const groups = chain.match(/\d+/g)!;
  for (let i = 0; i < groups.length; i++) {
    let digits = "";
    const sizes: number[] = [];
    for (let j = i; j < groups.length && j < i + 5; j++) {
      digits += groups[j]!;
      sizes.push(groups[j]!.length);
      if (digits.length > 19) break;
      if (!isPan(digits)) continue;
      if (j > i && !PRINTED_LAYOUT.test(sizes.join(","))) continue;
      if (j === i && i === 0 && afterPlus && digits.length <= 15) continue; // +4915123456789
      if (j === i && DATE_TIME_STAMP.test(digits)) continue;
      return true;
    }
  }
  return false;
}

export function containsCardNumber(text: string): boolean {
  for (const normal of normalForms(text)) {
    for (const match of normal.matchAll(CHAIN)) {
      if (match[0].length < 13) continue; // fewer characters than a PAN has digits
      if (chainHoldsPan(match[0], normal[match.index - 1] === "+")) return true;
    }
  }
  return false;
}

const JSON_TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * Whether a number literal in (valid) JSON text reads as a PAN. The parsed walk sees a
 * number only as a double, which loses digits past the 16th; the strings it sees whole.
 */
export function jsonNumberHoldsCardNumber(text: string): boolean {
  if (!/\d{13}/.test(text)) return false;
  for (const [token] of text.matchAll(JSON_TOKEN)) {
    if (token[0] !== '"' && containsCardNumber(token)) return true;
  }
  return false;
}

/**
 * Returns the path (`customer.name`, `metadata.note`) of the first key or value that
 * contains a card number, or undefined. Numbers are checked too: `"amount": 4242424242424242`.
 * Callers also scan the raw body's number literals, which catches numbers too long for a double.
 */
export function findCardNumber(value: unknown, path = ""): string | undefined {
  if (typeof value === "string") return containsCardNumber(value) ? path || "(body)" : undefined;
  if (typeof value === "number" || typeof value === "bigint") {
    return containsCardNumber(String(value)) ? path || "(body)" : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findCardNumber(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const child = path ? `${path}.${k}` : k;
      if (containsCardNumber(k)) return path || "(body)"; // never echo the key itself
      const hit = findCardNumber(v, child);
      if (hit) return hit;
    }
  }
  return undefined;
}
