/**
 * Hiding passwords in text pg-residency prints. A password can sit in a
 * connection url's user info (`postgres://app:secret@host/db`), in its query
 * (`?password=secret`, `&sslpassword=secret`), or in a libpq key/value
 * string (`password='secret'`); each is replaced by `***`.
 */

/** `postgres://user:PASSWORD@`: the user info of any postgres url in the text. */
const USER_INFO = /(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@/\s]*@/gi;
/** `password=VALUE` and `sslpassword=VALUE`, in a url query or a libpq string, quoted or not. */
const PASSWORD_PARAMETER = /(\b(?:ssl)?password=)('(?:[^'\\]|\\.)*'|[^&#\s'",;)]*)/gi;

/**
 * A connection url with every password replaced, safe to print: the user
 * info's and the query's (`password`, `sslpassword`).
 * @example redactUrl('postgres://app:s3cret@db:5432/x?sslmode=require&password=p') // 'postgres://app:***@db:5432/x?sslmode=require&password=***'
 */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*:)[^@/]*@/, '$1***@').replace(PASSWORD_PARAMETER, '$1***');
}

/**
 * Any text (an error message) with the passwords of the connection urls and
 * libpq strings in it replaced. ResidencyError applies it to every message.
 * @example redactSecrets('cannot connect to postgres://a@h/d?password=x (timeout)') // 'cannot connect to postgres://a@h/d?password=*** (timeout)'
 */
export function redactSecrets(text: string): string {
  return text.replace(USER_INFO, '$1***@').replace(PASSWORD_PARAMETER, '$1***');
}
