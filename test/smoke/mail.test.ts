import { expect, test } from "bun:test";
import nodemailer from "nodemailer";
import { endpoints } from "../setup/endpoints.ts";

test("a mail sent with nodemailer over SMTP is returned by the Mailpit API", async () => {
  const transport = nodemailer.createTransport(endpoints.SMTP_URL);
  const subject = `smoke ${crypto.randomUUID()}`;
  const to = `smoke-${Date.now()}@example.test`;
  await transport.sendMail({ from: "payments@example.test", to, subject, text: "hello", html: "<p>hello</p>" });
  transport.close();

  let found: { Subject: string; To: { Address: string }[] } | undefined;
  for (let i = 0; i < 30 && !found; i++) {
    const res = await fetch(`${endpoints.MAILPIT_URL}/api/v1/search?query=${encodeURIComponent(`subject:"${subject}"`)}`);
    expect(res.ok).toBe(true);
    found = ((await res.json()) as { messages: typeof found[] }).messages[0];
    if (!found) await Bun.sleep(100);
  }
  expect(found?.Subject).toBe(subject);
  expect(found?.To.map((t) => t.Address)).toEqual([to]);
});
