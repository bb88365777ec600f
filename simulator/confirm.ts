/**
 * Confirming a PaymentIntent with its test card: requires_action for 3D Secure, a saved 402
 * for a decline, processing, or an authorization that the intent holds (manual capture) or
 * charges at once.
 */
import { invalidRequest } from "./errors.ts";
import { errorWith, snapshot, type Executed } from "./executed.ts";
import { cardError, type PaymentIntent, type PaymentMethodObject } from "./objects.ts";
import type { ConfirmParams } from "./params.ts";
import type { TestCard } from "./payment-methods.ts";

/** What confirming needs from the intent store. */
export type ConfirmHooks = {
  method: (id: string) => { card: TestCard; object: PaymentMethodObject } | undefined;
  /** Records a new charge on the intent and returns its `ch_…`. */
  newCharge: () => string;
  /** The intent stays processing until simulated time passes. */
  process: () => void;
  /** The card authorized the amount now. */
  authorize: () => void;
};

const REDIRECT_MESSAGE =
  "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment " +
  "methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept " +
  "redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and " +
  "`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.";

const CONFIRMABLE: ReadonlySet<string> = new Set(["requires_payment_method", "requires_confirmation", "requires_action"]);

export function confirmIntent(pi: PaymentIntent, p: ConfirmParams, hooks: ConfirmHooks): Executed {
  if (!CONFIRMABLE.has(pi.status)) {
    const message =
      pi.status === "succeeded"
        ? "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed."
        : `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`;
    return errorWith(pi, { ...invalidRequest(message, "payment_intent_unexpected_state").body });
  }
  const method = pi.payment_method === null ? null : hooks.method(pi.payment_method);
  if (!method) {
    return errorWith(
      pi,
      invalidRequest(
        "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the " +
          "PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
        "payment_intent_unexpected_state",
      ).body,
    );
  }
  if (pi.automatic_payment_methods?.enabled && pi.automatic_payment_methods.allow_redirects === "always" && p.returnUrl === null) {
    return errorWith(pi, { type: "invalid_request_error", message: REDIRECT_MESSAGE });
  }
  if (method.card.requiresAction && !p.errorOnRequiresAction) {
    pi.status = "requires_action";
    pi.next_action = { type: "use_stripe_sdk", use_stripe_sdk: { type: "three_d_secure_redirect" } };
    return { status: 200, body: snapshot(pi) };
  }
  const charge = hooks.newCharge();
  pi.latest_charge = charge;
  const decline =
    method.card.decline ??
    (method.card.requiresAction
      ? {
          code: "authentication_required",
          decline_code: "authentication_not_handled",
          message: "Your card was declined. This transaction requires authentication.",
        }
      : undefined);
  if (decline) {
    pi.status = "requires_payment_method";
    pi.payment_method = null;
    pi.last_payment_error = cardError(decline, charge, method.object);
    return { status: 402, body: { error: { ...pi.last_payment_error, payment_intent: snapshot(pi) } } };
  }
  pi.last_payment_error = null;
  pi.next_action = null;
  if (method.card.processing) {
    pi.status = "processing";
    hooks.process();
  } else {
    hooks.authorize();
  }
  return { status: 200, body: snapshot(pi) };
}
