/**
 * A tiny template renderer for the mail templates beside this file.
 *
 * `{{name}}` is replaced by the value of `name`; in HTML templates every value is
 * HTML-escaped, since names and merchant names are user-supplied. A placeholder without a
 * value throws: a typo in a template must fail the test suite, not reach a customer as "{{…}}".
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MailName } from "./mail-plan.ts";

export type TemplateValues = Readonly<Record<string, string>>;

const HTML_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

const PLACEHOLDER = /\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*\}\}/g;

export function renderTemplate(template: string, values: TemplateValues, mode: "html" | "text"): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const v = Object.hasOwn(values, name) ? values[name] : undefined;
    if (v === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    return mode === "html" ? escapeHtml(v) : v;
  });
}

/** One template pair per mail: `templates/<name>.html` and `templates/<name>.txt`. */
export type TemplateName = MailName;
export type TemplatePair = { readonly html: string; readonly text: string };
export type Templates = Readonly<Record<TemplateName, TemplatePair>>;

const TEMPLATE_NAMES: readonly TemplateName[] = ["approved", "denied", "captured", "refund"];

/** Reads every template once at start-up, so a missing file stops the worker before it consumes. */
export function loadTemplates(dir = join(import.meta.dirname, "templates")): Templates {
  const pair = (name: TemplateName): TemplatePair => ({
    html: readFileSync(join(dir, `${name}.html`), "utf8"),
    text: readFileSync(join(dir, `${name}.txt`), "utf8"),
  });
  return Object.fromEntries(TEMPLATE_NAMES.map((n) => [n, pair(n)])) as Record<TemplateName, TemplatePair>;
}
