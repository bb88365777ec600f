import { expect, test } from "bun:test";
import nodemailer from "nodemailer";
import { endpoints } from "../setup/endpoints.ts";
import { eventually } from "../setup/wait.ts";

test("a mail sent with nodemailer over SMTP is returned by the Mailpit API", async () => {
  const transport = nodemailer.createTransport(endpoints.SMTP_URL);
  const subject = `smoke ${crypto.randomUUID()}`;
  const to = `smoke-${Date.now()}@example.test`;
  await transport.sendMail({ from: "payments@example.test", to, subject, text: "hello", html: "<p>hello</p>" });
  transport.close();

  type Found = { Subject: string; To: { Address: string }[] };
  const found = await eventually(
    "the mail in Mailpit",
    async () => {
      const res = await fetch(`${endpoints.MAILPIT_URL}/api/v1/search?query=${encodeURIComponent(`subject:"${subject}"`)}`);
      expect(res.ok).toBe(true);
      return ((await res.json()) as { messages: Found[] }).messages[0];
    },
    3_000,
    100,
  );
  expect(found.Subject).toBe(subject);
  expect(found.To.map((t) => t.Address)).toEqual([to]);
});
