import { describe, expect, test } from "bun:test";
import type { PaymentResult } from "../../shared/events.ts";
import { composeMail, type MailFacts } from "./compose.ts";
import { customerDeclineReason } from "./decline-reasons.ts";
import { escapeHtml, loadTemplates, renderTemplate } from "./render.ts";
import type { MailName } from "./mail-plan.ts";
import type { PaymentForMail, RefundForMail } from "./store.ts";

const templates = loadTemplates();
const payment = (over: Partial<PaymentForMail> = {}): PaymentForMail => ({
  id: "pay_0190a1b2c3d4e5f60718293a4b5c6d7e",
  merchant_id: "mer_acme",
  merchant_name: "Acme & Sons",
  status: "APPROVED",
  amount: 1234,
  amount_captured: 1234,
  currency: "EUR",
  customer_email: "jane@example.com",
  customer_name: "Jane Doe",
  ...over,
});
const result = (over: Partial<PaymentResult> = {}): PaymentResult => ({
  v: 1,
  paymentId: "pay_0190a1b2c3d4e5f60718293a4b5c6d7e",
  merchantId: "mer_acme",
  status: "APPROVED",
  gatewayRef: "pi_123",
  decidedAt: "2026-11-29T07:34:56.000Z",
  ...over,
});
const refund = (over: Partial<RefundForMail> = {}): RefundForMail => ({
  id: "re_0190a1b2c3d4e5f60718293a4b5c6d7f",
  payment_id: "pay_0190a1b2c3d4e5f60718293a4b5c6d7e",
  status: "succeeded",
  amount: 500,
  currency: "EUR",
  refunded_through: 500,
  ...over,
});
const compose = (mail: MailName, p: PaymentForMail, r: PaymentResult, extra: Partial<MailFacts> = {}) =>
  composeMail(templates, mail, { payment: p, result: r, ...extra });

describe("template renderer", () => {
  test("escapes every HTML-special character", () => {
    expect(escapeHtml(`<script>alert("x") & 'y'</script>`)).toBe("&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;");
  });

  test("html mode escapes values, text mode keeps them", () => {
    expect(renderTemplate("<p>{{name}}</p>", { name: "<b>x</b>" }, "html")).toBe("<p>&lt;b&gt;x&lt;/b&gt;</p>");
    expect(renderTemplate("Hi {{ name }}", { name: "<b>x</b>" }, "text")).toBe("Hi <b>x</b>");
  });

  test("a placeholder without a value throws instead of leaking {{…}} to a customer", () => {
    expect(() => renderTemplate("{{missing}}", {}, "text")).toThrow("{{missing}}");
    expect(() => renderTemplate("{{toString}}", {}, "text")).toThrow();
  });

  test("a value that looks like a placeholder is not expanded again", () => {
    expect(renderTemplate("{{a}}", { a: "{{b}}", b: "no" }, "text")).toBe("{{b}}");
  });
});

describe("customer mail", () => {
  test("approved: subject, amount, merchant and payment id in both parts", () => {
    const m = compose("approved", payment(), result());
    expect(m.subject).toBe("Payment approved: €12.34 to Acme & Sons");
    for (const part of [m.html, m.text]) {
      expect(part).toContain("€12.34");
      expect(part).toContain("pay_0190a1b2c3d4e5f60718293a4b5c6d7e");
      expect(part).toContain("Jane Doe");
    }
    expect(m.html).toContain("Acme &amp; Sons");
    expect(m.text).toContain("Acme & Sons");
    expect(m.html).not.toContain("{{");
  });

  test("a customer name with HTML arrives escaped in the HTML part", () => {
    const m = compose("approved", payment({ customer_name: `<img src=x onerror="alert(1)">` }), result());
    expect(m.html).not.toContain("<img");
    expect(m.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });

  test("denied: a friendly reason per decline code, never the code itself", () => {
    const m = compose(
      "denied",
      payment({ amount: 1500, amount_captured: 0, currency: "JPY" }),
      result({ status: "DENIED", declineCode: "insufficient_funds" }),
    );
    expect(m.subject).toBe("Payment declined: ¥1,500 to Acme & Sons");
    expect(m.text).toContain("insufficient funds");
    expect(m.text).not.toContain("insufficient_funds");
  });

  test("fraud, lost and stolen cards get the generic wording; unknown codes too", () => {
    const generic = customerDeclineReason("generic_decline");
    for (const code of ["fraudulent", "lost_card", "stolen_card", "something_internal", undefined, "__proto__"])
      expect(customerDeclineReason(code)).toBe(generic);
    expect(customerDeclineReason("expired_card")).toContain("expired");
    expect(customerDeclineReason("incorrect_cvc")).toContain("CVC");
    expect(customerDeclineReason("processing_error")).toContain("try again");
  });

  test("no name: a neutral greeting; control characters never reach the subject", () => {
    const m = compose("approved", payment({ customer_name: null, merchant_name: "Evil\r\nBcc: x@y.z" }), result());
    expect(m.text.startsWith("Hi there,")).toBe(true);
    expect(m.subject).not.toMatch(/[\r\n]/);
  });
});

describe("capture mail", () => {
  const held = payment({ amount: 5000, amount_captured: 3000, currency: "USD" });
  const captured = result({ kind: "captured", amount: 3000 });

  test("a partial capture: the amount taken, what was held and what was released, in both parts", () => {
    const m = compose("captured", held, captured);
    expect(m.subject).toBe("Payment captured: $30.00 to Acme & Sons");
    for (const part of [m.html, m.text]) {
      expect(part).toContain("$30.00");
      expect(part).toContain("$50.00");
      expect(part).toContain("the remaining $20.00 has been released");
      expect(part).toContain("pay_0190a1b2c3d4e5f60718293a4b5c6d7e");
      expect(part).toContain("29 November 2026 at 07:34 UTC");
    }
    expect(m.html).toContain("Acme &amp; Sons");
    expect(m.html).not.toContain("{{");
    expect(m.text).not.toContain("{{");
  });

  test("a full capture says it took everything that was held", () => {
    const m = compose("captured", payment({ amount: 1500, amount_captured: 1500, currency: "JPY" }), result({ kind: "captured", amount: 1500 }));
    expect(m.subject).toBe("Payment captured: ¥1,500 to Acme & Sons");
    expect(m.text).toContain("full amount that was held");
    expect(m.text).not.toContain("released");
  });

  test("a record without the amount falls back to what the payment row says was captured", () => {
    const m = compose("captured", held, result({ kind: "captured" }));
    expect(m.subject).toBe("Payment captured: $30.00 to Acme & Sons");
  });

  test("untrusted names are escaped in the HTML part and kept as text in the text part", () => {
    const evil = `<script>alert("x")</script> & 'Co'`;
    const m = compose("captured", { ...held, customer_name: evil, merchant_name: `<b>Shop</b>` }, captured);
    expect(m.html).not.toContain("<script>");
    expect(m.html).not.toContain("<b>Shop</b>");
    expect(m.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;");
    expect(m.html).toContain("&lt;b&gt;Shop&lt;/b&gt;");
    expect(m.text).toContain(evil);
  });
});

describe("refund mail", () => {
  const paid = payment({ amount: 10_000, amount_captured: 10_000 });
  const refunded = result({ kind: "refund_succeeded", amount: 2500, refundId: "re_0190a1b2c3d4e5f60718293a4b5c6d7f", decidedAt: "2026-12-01T10:00:00.000Z" });

  test("a partial refund: its amount, the total refunded so far, both references, in both parts", () => {
    const m = compose("refund", paid, refunded, { refund: refund({ amount: 2500, refunded_through: 4000 }) });
    expect(m.subject).toBe("Refund: €25.00 from Acme & Sons");
    for (const part of [m.html, m.text]) {
      expect(part).toContain("€25.00");
      expect(part).toContain("€40.00 of your payment of €100.00 has now been refunded.");
      expect(part).toContain("re_0190a1b2c3d4e5f60718293a4b5c6d7f");
      expect(part).toContain("pay_0190a1b2c3d4e5f60718293a4b5c6d7e");
      expect(part).toContain("1 December 2026 at 10:00 UTC");
    }
    expect(m.html).not.toContain("{{");
    expect(m.text).not.toContain("{{");
  });

  test("the refund that completes the payment says it is refunded in full", () => {
    const m = compose("refund", paid, refunded, { refund: refund({ amount: 6000, refunded_through: 10_000 }) });
    expect(m.text).toContain("Your payment of €100.00 has now been refunded in full.");
  });

  test("the paid amount is what was captured, not what was authorized", () => {
    const m = compose("refund", payment({ amount: 5000, amount_captured: 3000, currency: "KWD" }), refunded, {
      refund: refund({ amount: 1000, currency: "KWD", refunded_through: 1000 }),
    });
    expect(m.text.replace(/\u00a0/g, " ")).toContain("KWD 1.000 of your payment of KWD 3.000 has now been refunded.");
  });

  test("untrusted names are escaped in the HTML part; the subject stays one line", () => {
    const m = compose("refund", { ...paid, customer_name: `<img src=x onerror="alert(1)">`, merchant_name: "Shop\r\nBcc: x@y.z" }, refunded, {
      refund: refund(),
    });
    expect(m.html).not.toContain("<img");
    expect(m.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(m.subject).toBe("Refund: €5.00 from Shop Bcc: x@y.z");
  });

  test("a refund mail without its refund is a bug, not a mail with blanks", () => {
    expect(() => compose("refund", paid, refunded)).toThrow();
  });
});
