import { defineConfig } from 'prisma/config';

// Only `prisma generate` is used; migrations are applied by tools/migrate.ts (see prisma/schema.prisma).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
