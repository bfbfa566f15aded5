/** Variables whose values are secrets: never printed, not even when rejected (names ending so, e.g. PROVIDER_ADMIN_KEY). */
const SECRET_NAME = /(?:SECRET|PASSWORD|_KEY|TOKEN)$/;

/** Whether a configuration variable holds a secret. */
export function isSecretVariable(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A URL (or a comma-separated list of them) with every password replaced by ***, for logs and error messages. */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/[^:/@\s,]*):[^@/\s,]*@/g, '$1:***@');
}

/** How a configuration value may be shown: secrets not at all, URLs without their passwords. */
export function printableValue(name: string, value: unknown): string {
  if (isSecretVariable(name)) return '(hidden)';
  return JSON.stringify(redactUrl(Array.isArray(value) ? value.join(',') : String(value ?? '')));
}
