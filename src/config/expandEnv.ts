/** Environment lookups, injected so that parsing stays pure. */
export type Env = Readonly<Record<string, string | undefined>>;

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands `${VAR}` and `${VAR:-default}`. Returns the names of unset variables
 * that have no default instead of throwing, so every problem can be reported together.
 * @example expandEnv('h:${PORT:-5432}', {}) // { value: 'h:5432', missing: [] }
 */
export function expandEnv(text: string, env: Env): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = text.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return '';
  });
  return { value, missing };
}
