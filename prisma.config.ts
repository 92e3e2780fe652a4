import { defineConfig } from 'prisma/config';

// Prisma 7 reads the schema location and connection URL from here. The URL matters only to Prisma
// CLI commands that talk to a database; the service passes its own DATABASE_URL to the adapter.
export default defineConfig({
  schema: 'prisma/auth/schema.prisma',
  migrations: { path: 'prisma/auth/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/social_auth' },
});
