import { describe, expect, test } from "bun:test";
import { Readable } from "node:stream";
import { wholeMessage } from "./smtp.ts";

const drain = async (r: Readable) => {
  const seen: Buffer[] = [];
  for await (const chunk of r) seen.push(chunk as Buffer);
  return seen;
};

describe("wholeMessage", () => {
  test("a message streamed part by part goes on as one chunk with the same bytes", async () => {
    const parts = ["Subject: Payment received\r\n", "Content-Type: text/plain\r\n\r\n", "€19.99\r\n"];
    const out = await drain(wholeMessage(Readable.from(parts.map((p) => Buffer.from(p)))));
    expect(out).toHaveLength(1);
    expect(out[0]!.toString("utf8")).toBe(parts.join(""));
  });

  test("a failing message stream fails the gathered one", async () => {
    const input = new Readable({ read() {} });
    const out = wholeMessage(input);
    input.push("Subject: x\r\n");
    input.destroy(new Error("template vanished"));
    await expect(drain(out)).rejects.toThrow("template vanished");
  });
});
