/**
 * The mailbox check for customer addresses: an address we can actually send mail to over
 * plain SMTP. The grammar (RFC 5321 lengths, RFC 5322 dot-atom, RFC 1123 host names,
 * IDNA2008 labels):
 *
 *   mailbox    = local-part "@" domain     ; at most 254 octets with the domain as A-labels
 *   local-part = dot-atom                  ; 1-64 octets, ASCII only
 *   dot-atom   = 1*atext *("." 1*atext)
 *   atext      = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "/"
 *                / "=" / "?" / "^" / "_" / "`" / "{" / "|" / "}" / "~"
 *   domain     = label 1*("." label)       ; at most 253 octets as A-labels
 *   label      = ldh-label / u-label / a-label, 1-63 octets as A-label
 *   ldh-label  = let-dig [*(let-dig / "-") let-dig]
 *   u-label    = letters, marks, digits and "-" that UTS #46 (non-transitional, STD3
 *                rules, CheckBidi, CheckJoiners) accepts, written as IDNA2008 writes
 *                them: no mapped forms such as fullwidth letters (case aside), no "--"
 *                in the 3rd and 4th positions
 *   a-label    = "xn--" punycode of a valid u-label
 *   TLD        = the last label: 2-63 ASCII letters, or an IDN whose U-label is letters
 *
 * Not accepted, on purpose: quoted local parts, comments, IP-address literals, non-ASCII
 * local parts (they need SMTPUTF8 end to end) and a trailing root dot.
 */
import { toASCII, toUnicode } from "tr46";

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ASCII_TLD = /^[a-z]{2,63}$/;
const PLAIN_HOST = /^[A-Za-z0-9.-]+$/;
const A_LABEL = /(?:^|\.)xn--/i;
/** IDNA2008 takes letters, marks and digits (plus "-"); symbols such as ☃ are not in it, though UTS #46 maps them. */
const U_LABEL = /^[\p{L}\p{M}\p{Nd}-]+$/u;
const U_TLD = /^[\p{L}\p{M}]+$/u;

const IDNA = {
  checkBidi: true,
  checkJoiners: true,
  checkHyphens: false, // RFC 1123 host names may hold "--" anywhere but the ends; U-labels are checked below
  useSTD3ASCIIRules: true,
  transitionalProcessing: false,
} as const;

const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const LOCAL = `${ATEXT}+(?:\\.${ATEXT}+)*`;
/**
 * A JSON Schema pattern that every mailbox this module accepts matches (a superset: the
 * lengths and IDNA rules are the format's). It is what schema-driven clients and fuzzers
 * read in the OpenAPI document, where the "mailbox" format means nothing to them: either
 * an all-ASCII address on a host name, or one whose domain holds a non-ASCII character.
 */
export const MAILBOX_PATTERN =
  `^${LOCAL}@(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+(?:[A-Za-z]{2,63}|[Xx][Nn]--[A-Za-z0-9-]{1,59})` + `|[^\\s@]*[^\\x00-\\x7f][^\\s@]*)$`;

export const MAX_LOCAL_PART = 64;
export const MAX_MAILBOX = 254;

/** The domain in A-label form when it is a host name or IDNA domain with a TLD, else null. */
export function asciiDomain(domain: string): string | null {
  const given = domain.split(".");
  if (given.length < 2) return null;
  // A plain host name needs no IDNA processing (it would only lowercase it): a quarter of
  // the cost, and nearly every address is one.
  const plain = PLAIN_HOST.test(domain) && !A_LABEL.test(domain);
  const ascii = plain ? domain.toLowerCase() : toASCII(domain, { ...IDNA, verifyDNSLength: true });
  if (ascii === null || ascii.length > 253) return null;
  const labels = ascii.split(".");
  if (labels.length !== given.length) return null; // an ideographic or fullwidth full stop
  for (let i = 0; i < labels.length; i++) {
    const a = labels[i]!;
    const written = given[i]!.toLowerCase();
    if (!LDH_LABEL.test(a)) return null;
    if (!a.startsWith("xn--")) {
      if (written !== a) return null; // a mapped spelling of an ASCII label (ＥＸＡＭＰＬＥ)
      continue;
    }
    const u = toUnicode(a, IDNA).domain;
    if (written !== a && written !== u) return null;
    if (!U_LABEL.test(u) || u.slice(2, 4) === "--") return null;
  }
  const tld = labels.at(-1)!;
  const tldOk = tld.startsWith("xn--") ? U_TLD.test(toUnicode(tld, IDNA).domain) : ASCII_TLD.test(tld);
  return tldOk ? ascii : null;
}

export function isMailbox(address: string): boolean {
  const at = address.lastIndexOf("@");
  if (at < 1) return false;
  const local = address.slice(0, at);
  if (local.length > MAX_LOCAL_PART || !DOT_ATOM.test(local)) return false;
  const domain = asciiDomain(address.slice(at + 1));
  return domain !== null && local.length + 1 + domain.length <= MAX_MAILBOX;
}
