import { describe, expect, test } from "bun:test";
import type { PaymentResult } from "../../shared/events.ts";
import { composeMail, messageIdFor } from "./compose.ts";
import { customerDeclineReason } from "./decline-reasons.ts";
import { escapeHtml, loadTemplates, renderTemplate } from "./render.ts";
import type { PaymentForMail } from "./store.ts";

const templates = loadTemplates();
const payment = (over: Partial<PaymentForMail> = {}): PaymentForMail => ({
  id: "pay_0190a1b2c3d4e5f60718293a4b5c6d7e",
  merchant_id: "mer_acme",
  merchant_name: "Acme & Sons",
  status: "APPROVED",
  amount: 1234,
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
    const m = composeMail(templates, payment(), result());
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
    const m = composeMail(templates, payment({ customer_name: `<img src=x onerror="alert(1)">` }), result());
    expect(m.html).not.toContain("<img");
    expect(m.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });

  test("denied: a friendly reason per decline code, never the code itself", () => {
    const m = composeMail(templates, payment({ amount: 1500, currency: "JPY" }), result({ status: "DENIED", declineCode: "insufficient_funds" }));
    expect(m.subject).toBe("Payment declined: ¥1,500 to Acme & Sons");
    expect(m.text).toContain("insufficient funds");
    expect(m.text).not.toContain("insufficient_funds");
  });

  test("fraud, lost and stolen cards get the generic wording; unknown codes too", () => {
    const generic = customerDeclineReason("generic_decline");
    for (const code of ["fraudulent", "lost_card", "stolen_card", "something_internal", undefined, "__proto__"]) expect(customerDeclineReason(code)).toBe(generic);
    expect(customerDeclineReason("expired_card")).toContain("expired");
    expect(customerDeclineReason("incorrect_cvc")).toContain("CVC");
    expect(customerDeclineReason("processing_error")).toContain("try again");
  });

  test("no name: a neutral greeting; control characters never reach the subject", () => {
    const m = composeMail(templates, payment({ customer_name: null, merchant_name: "Evil\r\nBcc: x@y.z" }), result());
    expect(m.text.startsWith("Hi there,")).toBe(true);
    expect(m.subject).not.toMatch(/[\r\n]/);
  });

  test("Message-ID is derived from payment id and status", () => {
    expect(messageIdFor("pay_abc", "DENIED", "payments.local")).toBe("<pay_abc-denied@payments.local>");
  });
});
