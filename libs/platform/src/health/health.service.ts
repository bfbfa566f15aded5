import { Injectable } from '@nestjs/common';

export type HealthCheck = () => Promise<unknown>;

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'up' | 'down'>;
}

const CHECK_TIMEOUT_MS = 1000;

/**
 * Readiness: every dependency this service registered answers within a second. A check registered as not critical
 * is reported but does not make the service unready (a dependency it keeps serving without).
 */
@Injectable()
export class HealthService {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly optional = new Set<string>();

  register(name: string, check: HealthCheck, options: { critical?: boolean } = {}): void {
    this.checks.set(name, check);
    if (options.critical === false) this.optional.add(name);
    else this.optional.delete(name);
  }

  async readiness(): Promise<Readiness> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
        });
        try {
          await Promise.race([check(), timeout]);
          return [name, 'up'] as const;
        } catch {
          return [name, 'down'] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.every(([name, state]) => state === 'up' || this.optional.has(name)), checks };
  }
}
