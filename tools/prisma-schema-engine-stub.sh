#!/bin/sh
# Prisma's schema engine is a native binary that cannot be downloaded on this project's machines.
# `prisma generate` does not need it; any other Prisma CLI command that reaches for it stops here, loudly.
echo "prisma schema engine is not installed: migrations are SQL files applied by 'npm run db:migrate' (tools/migrate.ts)" >&2
exit 1
