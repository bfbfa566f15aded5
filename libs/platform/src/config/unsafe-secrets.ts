import { AppConfig } from './app-config';
import { isSecretVariable } from './redact';

/**
 * The values docker/compose.env.example gives the secrets: placeholders, public in the repository, to be replaced
 * before a stack runs anywhere but a developer's machine. Kept here as [name, value] pairs (a test holds them equal to
 * the file), so production mode can refuse them.
 */
export const EXAMPLE_SECRET_VALUES: ReadonlyArray<readonly [name: string, value: string]> = [
  ['JWT_SECRET', 'change-me-to-32-or-more-random-characters'],
  ['ADMIN_PASSWORD', 'change-me-admin-password'],
  ['PAYMENT_WEBHOOK_SECRET', 'change-me-webhook-secret'],
  ['PROVIDER_ADMIN_KEY', 'change-me-provider-admin-key'],
];

/**
 * Why each secret of a production configuration is unsafe: it is a development default of AppConfig (every
 * variable named like a secret, see isSecretVariable) or a placeholder of the example file. Names only: the values
 * are public, but a message is no place for a secret, even a public one.
 */
export function unsafeSecrets(config: AppConfig): string[] {
  const defaults = new AppConfig() as unknown as Record<string, unknown>;
  const given = config as unknown as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of Object.keys(defaults).filter(isSecretVariable)) {
    if (given[name] === defaults[name]) {
      problems.push(`${name}: the development default must not be used in production`);
    } else if (EXAMPLE_SECRET_VALUES.some(([example, value]) => example === name && given[name] === value)) {
      problems.push(`${name}: the placeholder of docker/compose.env.example must be replaced in production`);
    }
  }
  return problems;
}
