/**
 * Finds anything that looks like a card number (PAN) in a parsed JSON body, so it can be
 * rejected before it is validated, stored or logged. The platform only takes payment
 * method tokens; a PAN in any field (a description, a metadata value, even a key) means a
 * client integration is wrong, and keeping it would pull us into PCI card-data scope.
 *
 * A candidate is a maximal run of digits in which single spaces or dashes may separate
 * groups. It counts as a PAN when it has 13-19 digits, starts with a card-network digit
 * (2-6: Mastercard, Visa, Amex, Discover, JCB, Diners, UnionPay, Maestro) and passes the
 * Luhn check. When the run has separators we also try each span that starts at a group
 * boundary and is laid out like a printed card (4-4-4-4[-1..3], 4-6-4, 4-6-5), which
 * catches a PAN typed right after another number.
 *
 * What we deliberately do not flag, to keep false positives rare: digit runs longer than
 * 19 (ids), runs starting with 0, 1, 7, 8 or 9 (millisecond timestamps start with 1),
 * separated digit groups that do not look like a printed card ("20241231-123456"), and
 * digits glued to a letter or digit outside the span: without that rule about one UUID in
 * 10,000 ("abcd1234-5678-9012-3456-7890...") reads as a 4-4-4-4 card.
 */

const RUN = /\d+(?:[ -]\d+)*/g;

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

const isPan = (digits: string): boolean =>
  digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits);

const PRINTED_LAYOUT = /^(4,4,4,4(,[1-3])?|4,6,4|4,6,5)$/;

const ALNUM = /[A-Za-z0-9]/;

export function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(RUN)) {
    const at = match.index;
    const gluedStart = at > 0 && ALNUM.test(text[at - 1]!);
    const gluedEnd = ALNUM.test(text[at + match[0].length] ?? "");
    const groups = match[0].split(/[ -]/);
    if (groups.length === 1) {
      if (!gluedStart && !gluedEnd && isPan(groups[0]!)) return true;
      continue;
    }
    for (let start = gluedStart ? 1 : 0; start < groups.length; start++) {
      const last = gluedEnd ? groups.length - 1 : groups.length;
      for (let end = start + 3; end <= Math.min(last, start + 5); end++) {
        const span = groups.slice(start, end);
        if (PRINTED_LAYOUT.test(span.map((g) => g.length).join(",")) && isPan(span.join(""))) return true;
      }
    }
  }
  return false;
}

/**
 * Returns the path (`customer.name`, `metadata.note`) of the first key or value that
 * contains a card number, or undefined. Numbers are checked too: `"amount": 4242424242424242`.
 * Callers also scan the raw body text, which catches numbers too long for a double.
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
