/**
 * What a free-text field may hold. Every such string is stored in Postgres (jsonb, text)
 * and ends up in mails and logs, so it must be text and nothing else:
 *
 * - never: NUL and the other C0 controls, DEL, C1 controls (U+0080-U+009F), unpaired
 *   surrogates, noncharacters (U+FDD0-U+FDEF and the last two code points of every
 *   plane). jsonb refuses NUL and unpaired surrogates outright; the rest is no text.
 * - a line (a name): no control characters at all, and no line or paragraph separator.
 * - multi-line text (a description, a metadata value): TAB, LF and CR are allowed.
 *
 * Format characters (ZWJ in emoji and Indic scripts, bidi marks) are text and allowed.
 */

/**
 * The control-character half of each rule as a JSON Schema pattern, for the OpenAPI
 * document: it reads the same in JavaScript with or without the u flag, in Python and in
 * Rust, so a schema-driven generator produces text that passes. The other half (unpaired
 * surrogates, noncharacters) no portable pattern can say; the format checks both.
 */
export const TEXT_LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$";
export const TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";

const NEVER = /[\p{Cs}\p{Noncharacter_Code_Point}]/u;
const LINE = new RegExp(TEXT_LINE_PATTERN, "u");
const MULTILINE = new RegExp(TEXT_PATTERN, "u");

/** One line of text: no control character of any kind. */
export const isTextLine = (s: string): boolean => LINE.test(s) && !NEVER.test(s);

/** Text that may span lines: TAB, LF and CR are its only control characters. */
export const isText = (s: string): boolean => MULTILINE.test(s) && !NEVER.test(s);
