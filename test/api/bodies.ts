/** Request bodies shared by the API's tests; importing this touches no stack (unlike harness.ts). */
import type { CreatePaymentBody } from "../../api/payments/model.ts";

export const validBody = () =>
  ({
    amount: 1999,
    currency: "USD",
    payment_method: "pm_card_visa",
    customer: { email: "jane@example.com", name: "Jane Doe" },
    description: "Order #1001",
    metadata: { order_id: "1001" },
  }) satisfies CreatePaymentBody;
