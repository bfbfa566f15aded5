import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppConfig } from './app-config';
import { printableValue } from './redact';
import { unsafeSecrets } from './unsafe-secrets';

/** Thrown at boot when a configuration variable is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the configuration from an environment (process.env by default). Unknown variables are
 * ignored; known ones that are empty fall back to their default.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const defaults = new AppConfig();
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false });
  // The value given is shown to help find the typo, except a secret's (which would land in logs) and the password
  // in a URL.
  const problems = errors.map((error) => {
    const given = printableValue(error.property, raw[error.property]);
    return `${error.property}=${given}: ${Object.values(error.constraints ?? {}).join('; ')}`;
  });
  if (config.NODE_ENV === 'production') problems.push(...unsafeSecrets(config));
  if (1024 % (config.ORDER_SHARD_URLS.length * config.ORDER_SHARD_TABLES) !== 0) {
    problems.push('ORDER_SHARD_URLS × ORDER_SHARD_TABLES must divide 1024 (the shard gene carried by order ids)');
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return config;
}
