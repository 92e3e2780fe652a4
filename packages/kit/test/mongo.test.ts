import { startMongoEmbedded } from '@social/mongo-embedded';
import { connectMongo, onMongoCommand, redactUrl } from '../src/mongo.js';
import { silentLogger } from '../src/logger.js';

test('a MongoDB that cannot be reached fails at connect with the URL (password redacted)', async () => {
  await expect(
    connectMongo({
      url: 'mongodb://app:s3cret@127.0.0.1:1/social_chat',
      dbName: 'social_chat',
      logger: silentLogger(),
      clientOptions: { serverSelectionTimeoutMS: 300 },
    }),
  ).rejects.toThrow(/^Cannot connect to MongoDB at mongodb:\/\/app:\*\*\*@127\.0\.0\.1:1\/social_chat: /);
});

test('redactUrl hides only the password', () => {
  expect(redactUrl('mongodb://u:p@h:27017/db?replicaSet=rs0')).toBe(
    'mongodb://u:***@h:27017/db?replicaSet=rs0',
  );
  expect(redactUrl('mongodb://h:27017/db')).toBe('mongodb://h:27017/db');
});

test('command monitoring feeds onMongoCommand, and is off when a service asks (production)', async () => {
  const server = await startMongoEmbedded({ port: 0, logger: silentLogger() });
  const seen: string[] = [];
  const stop = onMongoCommand((event) => seen.push(`${event.appName}:${event.commandName}`));
  try {
    for (const [appName, monitorCommands] of [
      ['monitored', undefined],
      ['quiet', false],
    ] as const) {
      const mongo = await connectMongo({
        url: server.uri,
        dbName: 'monitoring',
        logger: silentLogger(),
        appName,
        ...(monitorCommands === undefined ? {} : { monitorCommands }),
      });
      await mongo.db.collection('c').findOne({});
      await mongo.close();
    }
    expect(seen).toContain('monitored:find');
    expect(seen.filter((name) => name.startsWith('quiet:'))).toEqual([]);
  } finally {
    stop();
    await server.stop();
  }
});
