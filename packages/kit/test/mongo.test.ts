import { connectMongo, redactUrl } from '../src/mongo.js';
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
