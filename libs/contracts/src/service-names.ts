/** The six services, the route prefix each serves and its default port (docs/api.md). */
export const SERVICES = {
  auth: { port: 3001, prefix: '/api/auth' },
  seckill: { port: 3002, prefix: '/api/activities' },
  order: { port: 3003, prefix: '/api/orders' },
  payment: { port: 3004, prefix: '/api/payments' },
  admin: { port: 3005, prefix: '/api/admin' },
  paysim: { port: 3006, prefix: '/provider' },
} as const;

export type ServiceName = keyof typeof SERVICES;
