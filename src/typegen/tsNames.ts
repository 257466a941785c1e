/**
 * A TypeScript identifier for an entity's types, in PascalCase from its name:
 * `identity` -> `Identity`, `Odd "Entity"` -> `OddEntity`; a name that
 * starts with a digit or is empty gets an `Entity` prefix. `taken` holds
 * names already used: a clash gets a number.
 */
export function typeName(name: string, taken: Set<string>): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  let base = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  if (base === '' || /^[0-9]/.test(base)) base = `Entity${base}`;
  let candidate = base;
  for (let n = 2; taken.has(candidate); n += 1) candidate = `${base}${n}`;
  taken.add(candidate);
  return candidate;
}

/** A property name: bare when it is an identifier, a quoted string otherwise. */
export function propertyName(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

/** A comment's text with `*\/` defused. */
export function commentText(text: string): string {
  return text.replaceAll('*/', '*\\/');
}
