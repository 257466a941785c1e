/**
 * Region data enters SQL only through quoting helpers. To make that a rule
 * rather than a habit, every string in a template context is wrapped: a helper
 * unwraps it, while a bare `{{value}}` calls toString() and fails the render.
 */
export class Tainted {
  constructor(readonly value: string) {}

  toString(): string {
    throw new Error(
      `a template printed the bare value ${JSON.stringify(this.value)}; use {{ident}}, {{literal}} or another quoting helper`,
    );
  }
}

/** Deep-wraps every non-empty string; numbers, booleans and structure stay as they are. */
export function taint(value: unknown): unknown {
  if (typeof value === 'string') return value === '' ? value : new Tainted(value);
  if (Array.isArray(value)) return value.map(taint);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, taint(v)]));
  }
  return value;
}

/** The plain value behind a helper argument. */
export function untaint(value: unknown): unknown {
  if (value instanceof Tainted) return value.value;
  if (Array.isArray(value)) return value.map(untaint);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, untaint(v)]));
  }
  return value;
}
