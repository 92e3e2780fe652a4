/**
 * prisma/auth/schema.prisma (the contract the service is written against) and the database its
 * SQL migrations build must agree: every model is a table, every field a column of a compatible
 * type, nullability and default, every @id/@unique/@@index an index and every relation a foreign
 * key with the same ON DELETE action, and the database holds nothing Prisma does not know about
 * (apart from the listed extras Prisma's schema language cannot express).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import { migrate } from '../../../../packages/stack/src/migrate.js';
import {
  compareSchema,
  loadDatamodel,
  snapshotDatabase,
  type Datamodel,
  type DbSnapshot,
  type DmmfModel,
} from './schema-agreement.js';
import { PASSWORD_HASH, connect, createTestDatabase, type TestDatabase } from './support.js';

/** What the migration adds beyond schema.prisma, on purpose (see migration.sql). */
const OPTIONS = {
  ignoreTables: ['_prisma_migrations'],
  extraIndexes: ['users_username_lower_key', 'users_email_normalized_key'],
};

let db: TestDatabase;
let client: pg.Client;
let datamodel: Datamodel;
let snapshot: DbSnapshot;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  await migrate({ databaseUrl: db.url });
  client = await connect(db.url);
  [datamodel, snapshot] = await Promise.all([loadDatamodel(), snapshotDatabase(client)]);
}, 60_000);

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

/** A deep copy of the datamodel with one change applied to a model. */
function mutated(modelName: string, change: (model: DmmfModel, copy: Datamodel) => void): Datamodel {
  const copy = structuredClone(datamodel);
  change(
    copy.models.find((model) => model.name === modelName)!,
    copy,
  );
  return copy;
}

function field(model: DmmfModel, name: string) {
  return model.fields.find((f) => f.name === name)!;
}

describe('schema.prisma and the migrated database', () => {
  it('are parsed into the seven models of the contract', () => {
    expect(datamodel.models.map((model) => [model.name, model.dbName])).toEqual([
      ['User', 'users'],
      ['UserSession', 'user_sessions'],
      ['RotatedRefreshToken', 'rotated_refresh_tokens'],
      ['VerificationCode', 'verification_codes'],
      ['UserLoginHistory', 'user_login_history'],
      ['PasswordResetToken', 'password_reset_tokens'],
      ['EventOutbox', 'event_outbox'],
    ]);
    // Every scalar field has exactly one column and vice versa (so the comparison is not vacuous).
    const scalarFields = datamodel.models.flatMap((model) => model.fields.filter((f) => f.kind === 'scalar'));
    const columns = snapshot.columns.filter((column) => column.table !== '_prisma_migrations');
    expect(scalarFields).toHaveLength(columns.length);
    expect(columns.length).toBeGreaterThan(70);
  });

  it('agree on every table, column, index and foreign key', () => {
    expect(compareSchema(datamodel, snapshot, OPTIONS)).toEqual([]);
  });

  it('keep the partial index Prisma describes with a raw WHERE clause', () => {
    const index = snapshot.indexes.find((i) => i.name === 'idx_event_outbox_pending');
    expect(index).toMatchObject({
      table: 'event_outbox',
      columns: ['occurred_at'],
      predicate: '(published_at IS NULL)',
    });
  });
});

describe('compareSchema', () => {
  // The comparison must catch a schema that drifts from the database in any of these ways.
  it.each<[string, string, (model: DmmfModel, copy: Datamodel) => void, string]>([
    [
      'an optional field made required',
      'User',
      (model) => (field(model, 'phoneNumber').isRequired = true),
      'column users.phone_number (User.phoneNumber) is nullable, the schema says required',
    ],
    [
      'a required field made optional',
      'UserSession',
      (model) => (field(model, 'expiresAt').isRequired = false),
      'column user_sessions.expires_at (UserSession.expiresAt) is NOT NULL, the schema says optional',
    ],
    [
      'a longer VARCHAR',
      'User',
      (model) => (field(model, 'username').nativeType = ['VarChar', ['60']]),
      'column users.username (User.username) has length 50, the schema says 60',
    ],
    [
      'another timestamp precision',
      'User',
      (model) => (field(model, 'createdAt').nativeType = ['Timestamptz', ['6']]),
      'column users.created_at (User.createdAt) has precision 3, the schema says 6',
    ],
    [
      'a DateTime without @db.Timestamptz',
      'VerificationCode',
      (model) => (field(model, 'expiresAt').nativeType = null),
      'column verification_codes.expires_at (VerificationCode.expiresAt) is timestamp with time zone, the schema says timestamp without time zone',
    ],
    [
      'an Int that should be a BigInt',
      'VerificationCode',
      (model) => (field(model, 'attempts').type = 'BigInt'),
      'column verification_codes.attempts (VerificationCode.attempts) is integer, the schema says bigint',
    ],
    [
      'another default',
      'User',
      (model) => (field(model, 'role').default = 'Member'),
      `column users.role (User.role) has default 'User'::character varying, the schema says "Member"`,
    ],
    [
      'a new field',
      'User',
      (model) => model.fields.push({ ...field(model, 'phoneNumber'), name: 'nickname', dbName: null }),
      'column users.nickname (User.nickname) does not exist',
    ],
    [
      'a renamed column',
      'User',
      (model) => (field(model, 'lastLoginAt').dbName = 'last_seen_at'),
      'column users.last_login_at is not in model User',
    ],
    [
      'another ON DELETE action',
      'UserSession',
      (model) => (field(model, 'user').relationOnDelete = 'SetNull'),
      'foreign key user_sessions_user_id_fkey is ON DELETE Cascade, the schema says SetNull',
    ],
    [
      'a new model',
      'User',
      (model, copy) => copy.models.push({ ...structuredClone(model), name: 'Admin', dbName: 'admins' }),
      'table admins (model Admin) does not exist',
    ],
    [
      'a missing model',
      'EventOutbox',
      (model, copy) => {
        copy.models = copy.models.filter((m) => m !== model);
        copy.indexes = copy.indexes.filter((i) => i.model !== model.name);
      },
      'table event_outbox is not in the schema',
    ],
    [
      'another sort order',
      'User',
      (_model, copy) =>
        (copy.indexes.find((i) => i.dbName === 'idx_users_created_at')!.fields[0]!.sortOrder = 'asc'),
      'index idx_users_created_at covers (created_at DESC), the schema says (created_at)',
    ],
    [
      'a unique field the database does not enforce',
      'VerificationCode',
      (_model, copy) =>
        copy.indexes.push({ model: 'VerificationCode', type: 'unique', fields: [{ name: 'codeHash' }] }),
      'unique index verification_codes_code_hash_key on verification_codes(code_hash) does not exist',
    ],
    [
      'a dropped @@index',
      'UserLoginHistory',
      (_model, copy) => (copy.indexes = copy.indexes.filter((i) => i.dbName !== 'idx_login_history_ip')),
      'index idx_login_history_ip on user_login_history(ip_address, login_at) is not in the schema',
    ],
  ])('reports %s', (_description, modelName, change, problem) => {
    expect(compareSchema(mutated(modelName, change), snapshot, OPTIONS)).toContain(problem);
  });

  it('reports an index Prisma does not know about', () => {
    expect(compareSchema(datamodel, snapshot, { ignoreTables: ['_prisma_migrations'] })).toEqual([
      'index users_email_normalized_key on users(email_normalized) is not in the schema',
      'index users_username_lower_key on users(lower(username::text)) is not in the schema',
    ]);
  });
});

describe('the generated Prisma client on the migrated database', () => {
  it('writes and reads every model, and calls the procedures through $queryRaw', async () => {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url }) });
    try {
      const [created] = await prisma.$queryRaw<{ p_user_id: string; p_error: string | null }[]>`
        CALL create_user(${'Prisma_User'}, ${'Prisma.User@Example.com'}, ${PASSWORD_HASH}, ${'P'}, ${'U'},
                         p_code_hash => ${'code-hash'})`;
      expect(created).toEqual({ p_user_id: expect.any(String), p_error: null });
      const userId = created!.p_user_id;

      const session = await prisma.userSession.create({
        data: { userId, refreshTokenHash: 'prisma-refresh', expiresAt: new Date(Date.now() + 86_400_000) },
      });
      await prisma.$executeRaw`CALL store_refresh_token(${session.id}::uuid, ${'prisma-refresh-2'}, ${new Date(Date.now() + 86_400_000)})`;
      await prisma.passwordResetToken.create({
        data: {
          userId,
          tokenHash: 'prisma-reset',
          expiresAt: new Date(Date.now() + 900_000),
          ipAddress: '10.1.1.1',
        },
      });
      await prisma.userLoginHistory.create({
        data: { userId, loginIdentifier: 'Prisma_User', loginStatus: 'Failed', ipAddress: '10.1.1.1' },
      });
      const event = await prisma.eventOutbox.create({
        data: { id: randomUUID(), type: 'user.registered', payload: { userId, nested: [1, 'two'] } },
      });

      const user = await prisma.user.findUniqueOrThrow({
        where: { id: userId },
        include: {
          sessions: { include: { rotatedTokens: true } },
          verificationCodes: true,
          loginHistory: true,
          passwordResetTokens: true,
        },
      });
      expect(user).toMatchObject({
        username: 'Prisma_User',
        emailNormalized: 'prisma.user@example.com',
        role: 'User',
        accountStatus: 'Active',
        isEmailVerified: false,
        failedLoginAttempts: 0,
        sessions: [
          { refreshTokenHash: 'prisma-refresh-2', rotatedTokens: [{ tokenHash: 'prisma-refresh' }] },
        ],
        verificationCodes: [{ codeHash: 'code-hash', codeType: 'Email', attempts: 0, isUsed: false }],
        loginHistory: [{ id: expect.any(BigInt), loginStatus: 'Failed' }],
        passwordResetTokens: [{ tokenHash: 'prisma-reset', isUsed: false }],
      });
      expect(await prisma.eventOutbox.findUniqueOrThrow({ where: { id: event.id } })).toMatchObject({
        payload: { userId, nested: [1, 'two'] },
        publishedAt: null,
        attempts: 0,
      });

      const [stats] = await prisma.$queryRaw<{ stats: Record<string, unknown> }[]>`
        SELECT get_user_stats(${userId}::uuid) AS stats`;
      expect(stats?.stats).toMatchObject({ userId, activeSessionsCount: 1, totalLogins: 0, failedLogins: 1 });
    } finally {
      await prisma.$disconnect();
    }
  });
});
