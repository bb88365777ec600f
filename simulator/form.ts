/**
 * Stripe's request encoding: application/x-www-form-urlencoded with bracket keys, as the
 * official SDKs write it (`metadata[payment_id]=…`, `payment_method_types[0]=card`,
 * `automatic_payment_methods[enabled]=true`). Every value stays a string, as on the wire;
 * the endpoint decides what is an integer or a boolean, like Stripe does.
 */

export type FormValue = string | FormObject | FormValue[];
export type FormObject = { [key: string]: FormValue };

export class FormError extends Error {}

// Bounds keep a hostile body from building a huge or deeply nested object.
const MAX_PAIRS = 500;
const MAX_DEPTH = 5;

export function parseForm(body: string): FormObject {
  const root: FormObject = {};
  if (body.trim() === "") return root;
  const pairs = new URLSearchParams(body);
  let count = 0;
  for (const [rawKey, value] of pairs) {
    if (++count > MAX_PAIRS) throw new FormError("Too many parameters.");
    setPath(root, splitKey(rawKey), value);
  }
  return arraysFromIndexedObjects(root) as FormObject;
}

/** `a[b][0]` → ["a", "b", "0"]; `a[]` → ["a", ""] (append). */
function splitKey(key: string): string[] {
  const first = key.indexOf("[");
  if (first === -1) return [key];
  const parts = [key.slice(0, first)];
  const re = /\[([^\]]*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key.slice(first))) !== null) parts.push(m[1] ?? "");
  if (parts.length > MAX_DEPTH + 1) throw new FormError(`Parameter nested too deeply: ${key}`);
  if (parts[0] === "") throw new FormError(`Invalid parameter name: ${key}`);
  return parts;
}

function setPath(root: FormObject, path: string[], value: string): void {
  let node: FormObject = root;
  for (let i = 0; i < path.length - 1; i++) {
    const part = path[i] as string;
    const next = node[part];
    if (next === undefined) {
      const created: FormObject = {};
      node[part] = created;
      node = created;
    } else if (typeof next === "object" && !Array.isArray(next)) {
      node = next;
    } else {
      throw new FormError(`Invalid hash: ${path.slice(0, i + 1).join(".")}`);
    }
  }
  let last = path[path.length - 1] as string;
  // `a[]=x` appends; give it the next free numeric index so it becomes an array below.
  if (last === "") last = String(Object.keys(node).length);
  if (typeof node[last] === "object") throw new FormError(`Invalid parameter: ${path.join(".")}`);
  node[last] = value;
}

/** Objects whose keys are exactly 0..n-1 become arrays, matching qs's indexed format. */
function arraysFromIndexedObjects(value: FormValue): FormValue {
  if (typeof value === "string" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  for (const k of keys) value[k] = arraysFromIndexedObjects(value[k] as FormValue);
  const indexed = keys.length > 0 && keys.every((k, i) => k === String(i));
  return indexed ? keys.map((k) => value[k] as FormValue) : value;
}

/** Canonical text of a parsed body: the idempotency layer compares requests by this. */
export function canonical(value: FormValue): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k] as FormValue)}`).join(",")}}`;
}
