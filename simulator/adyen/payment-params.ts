/**
 * POST /payments (Checkout API PaymentRequest) as the simulator reads it. Field names are the
 * PaymentRequest of @adyen/api-library 32.1.0 (Checkout v72); the ones the simulator does not
 * model are accepted and have no effect, anything else is Adyen's 702.
 */
import { contractNotFound, invalidCardNumber, required, validation } from "./errors.ts";
import { amount, metadata, obj, onlyKnown, requiredStr, str, type Amount, type Json } from "./fields.ts";
import { brandOf, cardForHolder, lookupToken, luhn, outcomeForCode, type AdyenCard } from "./test-cards.ts";

const PAYMENT_REQUEST = new Set(
  (
    "accountInfo additionalAmount additionalData amount applicationInfo authenticationData bankAccount billingAddress " +
    "browserInfo captureDelayHours channel checkoutAttemptId company countryCode dateOfBirth dccQuote deliverAt " +
    "deliveryAddress deliveryDate deviceFingerprint enableOneClick enablePayOut enableRecurring enhancedSchemeData " +
    "entityType fraudOffset fundOrigin fundRecipient industryUsage installments lineItems localizedShopperStatement " +
    "mandate mcc merchantAccount merchantOrderReference merchantRiskIndicator metadata mpiData order orderReference " +
    "origin paymentMethod paymentValidations platformChargebackLogic recurringExpiry recurringFrequency " +
    "recurringProcessingModel redirectFromIssuerMethod redirectToIssuerMethod reference returnUrl riskData " +
    "sessionValidity shopperConversionId shopperEmail shopperIP shopperInteraction shopperLocale shopperName " +
    "shopperReference shopperStatement shopperTaxInfo socialSecurityNumber splits store storePaymentMethod " +
    "subMerchants surcharge telephoneNumber thirdPartyTokenRedundancyInfo threeDS2RequestData " +
    "threeDSAuthenticationOnly trustedShopper"
  ).split(" "),
);

export type PaymentParams = {
  amount: Amount;
  merchantAccount: string;
  reference: string;
  metadata: Record<string, string>;
  shopperReference: string | null;
  /** The stored token or a description of the raw test card, for the lookup view (never a card number). */
  paymentMethod: { type: "scheme"; storedPaymentMethodId?: string; brand: string };
  card: AdyenCard;
  /** `additionalData.manualCapture: "true"`: hold the authorisation until /captures. */
  manualCapture: boolean;
  /** Delayed automatic capture; 0 (and absent) captures at authorisation. */
  captureDelayHours: number;
};

export function parsePayment(body: Json): PaymentParams {
  onlyKnown("PaymentRequest", body, PAYMENT_REQUEST);
  const money = amount(body);
  const merchantAccount = requiredStr(body, "merchantAccount", 80);
  const reference = requiredStr(body, "reference", 80);
  const additional = stringMap(obj(body, "additionalData"));
  const shopperReference = str(body, "shopperReference", 256) ?? null;
  const { card, paymentMethod } = resolveMethod(obj(body, "paymentMethod"), shopperReference);
  const forced = additional.RequestedTestAcquirerResponseCode;
  const outcome = forced === undefined ? card.outcome : outcomeForCode(forced);
  if (!outcome) throw validation("000", `Invalid RequestedTestAcquirerResponseCode: ${forced}`);
  const delay = body.captureDelayHours;
  if (delay !== undefined && (typeof delay !== "number" || !Number.isInteger(delay) || delay < 0 || delay > 7 * 24)) {
    throw validation("000", "Field 'captureDelayHours' must be a whole number of hours between 0 and 168");
  }
  return {
    amount: money,
    merchantAccount,
    reference,
    metadata: metadata(body),
    shopperReference,
    paymentMethod,
    card: { ...card, outcome },
    manualCapture: additional.manualCapture === "true",
    captureDelayHours: (delay as number | undefined) ?? 0,
  };
}

function stringMap(o: Json | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(o ?? {}).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** A stored token (needs the shopper it belongs to) or a raw test card; other payment method types are not modeled. */
function resolveMethod(pm: Json | undefined, shopperReference: string | null): { card: AdyenCard; paymentMethod: PaymentParams["paymentMethod"] } {
  if (!pm) throw required("paymentMethod");
  const type = str(pm, "type", 40, "paymentMethod.type") ?? "scheme";
  if (type !== "scheme") throw validation("905", "Payment details are not supported");
  const token =
    str(pm, "storedPaymentMethodId", 64, "paymentMethod.storedPaymentMethodId") ??
    str(pm, "recurringDetailReference", 64, "paymentMethod.recurringDetailReference");
  if (token !== undefined) {
    if (shopperReference === null) throw required("shopperReference");
    const card = lookupToken(token);
    if (!card) throw contractNotFound();
    return { card, paymentMethod: { type: "scheme", storedPaymentMethodId: token, brand: card.brand } };
  }
  const number = str(pm, "number", 19, "paymentMethod.number");
  if (number === undefined) throw required("paymentMethod.number");
  if (!/^\d{12,19}$/.test(number) || !luhn(number)) throw invalidCardNumber();
  const card = cardForHolder(brandOf(number), str(pm, "holderName", 80, "paymentMethod.holderName"));
  return { card, paymentMethod: { type: "scheme", brand: card.brand } };
}
