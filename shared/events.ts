/**
 * Event contracts between services. Producers build events from these schemas and every
 * consumer checks them again on the way in: a record that fails is poison, not a crash.
 *
 * Versioning: `v` is bumped only for a breaking change; consumers keep accepting the
 * versions still present in retention. Adding an optional field is not breaking.
 */
import { FormatRegistry, Type, type Static, type StringOptions, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { isMailbox, MAILBOX_PATTERN } from "./email.ts";
import { isText, isTextLine, TEXT_LINE_PATTERN, TEXT_PATTERN } from "./text.ts";

/** Payment ids are `pay_` + 32 hex chars of a UUIDv7, so they sort by creation time. */
export const PaymentId = Type.String({ pattern: "^pay_[0-9a-f]{32}$", maxLength: 36 });
export const MerchantId = Type.String({ pattern: "^mer_[0-9a-z_]{1,40}$", maxLength: 44 });

/** Money is an integer in the currency's minor unit; never a float. */
export const Amount = Type.Integer({ minimum: 1, maximum: 99_999_999 });
/** ISO 4217 alphabetic code. The API narrows this to the codes it supports. */
export const CurrencyCode = Type.String({ pattern: "^[A-Z]{3}$", minLength: 3, maxLength: 3 });
/** A tokenised payment method (as Stripe.js produces). Card numbers never enter the platform. */
export const PaymentMethodToken = Type.String({
  pattern: "^pm_[A-Za-z0-9_]{1,96}$",
  maxLength: 99,
  description: "Payment method token, e.g. `pm_card_visa`.",
});

/*
 * String formats, registered wherever this module is loaded (the API, and every stream
 * service that checks an event), so a check means the same in every process. The names
 * are our own: the registry is global, and libraries register "email" unconditionally
 * (@elysiajs/openapi does), which would swap the check depending on what loaded last. A
 * JSON Schema tool that does not know a format ignores it; the text fields also carry a
 * portable pattern for the control characters.
 */
FormatRegistry.Set("mailbox", isMailbox);
FormatRegistry.Set("text-line", isTextLine);
FormatRegistry.Set("text", isText);

/** One line of free text (a name): no control characters at all. See shared/text.ts. */
export const TextLine = (options: StringOptions & { maxLength: number }) =>
  Type.String({
    minLength: 1,
    error: `must be 1-${options.maxLength} characters of text on one line, without control characters`,
    description: "One line of text: no control characters, unpaired surrogates or noncharacters.",
    ...options,
    pattern: TEXT_LINE_PATTERN,
    format: "text-line",
  });

/** Free text that may span lines (a description): TAB, LF and CR are its only controls. */
export const Text = (options: StringOptions & { maxLength: number }) =>
  Type.String({
    error: `must be at most ${options.maxLength} characters of text; TAB, LF and CR are the only control characters allowed`,
    description: "Text: TAB, LF and CR allowed; no other control characters, unpaired surrogates or noncharacters.",
    ...options,
    pattern: TEXT_PATTERN,
    format: "text",
  });

/** A mailbox we can send mail to: the grammar is in shared/email.ts. */
export const Mailbox = Type.String({
  minLength: 6, // a@b.cd
  maxLength: 254,
  format: "mailbox",
  pattern: MAILBOX_PATTERN,
  error: "must be a valid email address (ASCII local part, host name or internationalised domain with a TLD)",
  description: "An address in dot-atom form at a host name or IDNA domain with a top-level domain; at most 254 characters.",
});

export const Customer = Type.Object(
  {
    email: Mailbox,
    name: Type.Optional(TextLine({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type Customer = Static<typeof Customer>;

/** PENDING → APPROVED | DENIED (automatic capture); PENDING → AUTHORIZED → APPROVED | CANCELED (manual). */
export const PaymentStatus = Type.Union([
  Type.Literal("PENDING"),
  Type.Literal("AUTHORIZED"),
  Type.Literal("APPROVED"),
  Type.Literal("DENIED"),
  Type.Literal("CANCELED"),
]);
export type PaymentStatus = Static<typeof PaymentStatus>;

/** ISO 8601 UTC timestamp. A pattern rather than `format` so Node consumers need no format registry. */
export const Timestamp = Type.String({
  pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$",
  maxLength: 40,
});

export const PaymentCreated = Type.Object(
  {
    v: Type.Literal(1),
    paymentId: PaymentId,
    merchantId: MerchantId,
    amount: Amount,
    currency: CurrencyCode,
    paymentMethod: PaymentMethodToken,
    customer: Customer,
    createdAt: Timestamp,
    /** Absent on records written before manual capture existed: automatic. */
    captureMethod: Type.Optional(Type.Union([Type.Literal("automatic"), Type.Literal("manual")])),
  },
  { additionalProperties: false },
);
export type PaymentCreated = Static<typeof PaymentCreated>;

/**
 * A payment or refund changed (topic payments.results, key = payment id): the customer
 * mails follow it. `status` is the payment's after the change. `kind` says what happened;
 * records written before the lifecycle existed have none and are a decision (approved or
 * denied). Refund records carry the refund's id, amount and outcome.
 */
export const PaymentResult = Type.Object(
  {
    v: Type.Literal(1),
    paymentId: PaymentId,
    merchantId: MerchantId,
    status: Type.Union([Type.Literal("APPROVED"), Type.Literal("DENIED"), Type.Literal("AUTHORIZED"), Type.Literal("CANCELED")]),
    kind: Type.Optional(
      Type.Union([
        Type.Literal("decided"),
        Type.Literal("captured"),
        Type.Literal("canceled"),
        Type.Literal("refund_succeeded"),
        Type.Literal("refund_failed"),
      ]),
    ),
    declineCode: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    gatewayRef: Type.String({ minLength: 1, maxLength: 255 }),
    decidedAt: Timestamp,
    /** captured: the amount captured; refunds: the refund's amount. */
    amount: Type.Optional(Amount),
    refundId: Type.Optional(Type.String({ pattern: "^re_[0-9a-f]{32}$", maxLength: 35 })),
  },
  { additionalProperties: false },
);
export type PaymentResult = Static<typeof PaymentResult>;

/** A command the API accepted (topic payments.commands, key = payment id); the command worker carries it out. */
export const PaymentCommand = Type.Object(
  {
    v: Type.Literal(1),
    commandId: Type.String({ pattern: "^cmd_[0-9a-f]{32}$", maxLength: 36 }),
    kind: Type.Union([Type.Literal("capture"), Type.Literal("cancel"), Type.Literal("refund")]),
    paymentId: PaymentId,
    merchantId: MerchantId,
    amount: Type.Optional(Amount),
    refundId: Type.Optional(Type.String({ pattern: "^re_[0-9a-f]{32}$", maxLength: 35 })),
    requestedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type PaymentCommand = Static<typeof PaymentCommand>;

export class InvalidEventError extends Error {
  override name = "InvalidEventError";
}

/** Checks an incoming event against its schema and returns it typed, or throws InvalidEventError. */
export function checkEvent<S extends TSchema>(schema: S, value: unknown): Static<S> {
  const err = Value.Errors(schema, value).First();
  if (err) throw new InvalidEventError(`invalid event at ${err.path || "(root)"}: ${err.message}`);
  return value as Static<S>;
}
