/**
 * `npm run seed -- --users N --posts M [--friends K] [--follows F] [--comments C] [--reactions R]
 * [--seed S] [--password P] [--bcrypt-cost B]`: a realistic, deterministic data set written in bulk
 * straight into every service's own store, in the document shapes the services write themselves,
 * with counters and the services' local copies (social replicas, media refs) as if every event had
 * flowed:
 *
 * - auth (PostgreSQL `users`): verified, active accounts sharing one password (bcrypt, hashed once),
 *   so any seeded user can log in (`username` or email, `--password`, default `Seed-Passw0rd!`);
 * - profile: a profile per account (bio, location, some avatars, a few non-public profiles), the
 *   graph with power-law-ish degrees (a few popular users, many with a handful of friends):
 *   friendships (both sides), accepted friend requests, follows and a few blocks, the counters in
 *   `statistics`;
 * - feed: posts (text with hashtags and @mentions of friends, PUBLIC / FRIENDS / PRIVATE, some with
 *   photos), comments and replies, reactions on posts and comments, every count (`likesCount`,
 *   `reactionCounts`, `commentsCount`, `repliesCount`, `engagementScore`) and hashtags with their
 *   uses and trend scores;
 * - media: a processed image (original, web, thumbnail; real files in MEDIA_STORAGE_DIR, hard links
 *   to one set of bytes per palette) per post photo and avatar, with its usage;
 * - the social replica (`social_users`, `social_edges`) in feed, chat and notification and the
 *   media refs in profile, feed and chat.
 *
 * Where it writes: DATABASE_URL / MONGO_URL / MEDIA_STORAGE_DIR / MEDIA_PUBLIC_URL when set, else
 * the stores of `npm run dev` (scripts/dev.ts): the embedded PostgreSQL under .data/postgres (the
 * running one, found by its postmaster.pid, or started here), the embedded MongoDB on port 27017
 * (the running dev server, or one started here on .data/mongo) and .data/media. It runs with or
 * without the dev stack up; the services read the new data at once (nothing is cached).
 *
 * The same `--seed` and sizes give the same users, graph, texts and counts; dates are relative to
 * the start of the current UTC day. Progress goes to stderr (one updating line on a terminal).
 */
import { hash as bcryptHash } from '@node-rs/bcrypt';
import {
  DEFAULT_NOTIFICATION_SETTINGS,
  ensureCollections,
  mediaRefsCollection,
  socialReplicaCollections,
  type CollectionSpec,
  type MediaRefDocument,
} from '@social/kit';
import { existsSync, readFileSync } from 'node:fs';
import { link, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { MongoClient, type AnyBulkWriteOperation, type Db, type Document } from 'mongodb';
import pg from 'pg';
import sharp from 'sharp';
import { chatCollections } from '../subgraphs/chat/src/data/collections.js';
import { feedCollections } from '../subgraphs/feed/src/data/collections.js';
import { trendScore } from '../subgraphs/feed/src/data/hashtags.js';
import { mediaFilesCollection, type MediaFileDocument } from '../subgraphs/media/src/data/collections.js';
import { notificationCollections } from '../subgraphs/notification/src/data/collections.js';
import {
  profileCollections,
  type FollowDocument,
  type FriendRequestDocument,
  type FriendshipDocument,
  type ProfileDocument,
} from '../subgraphs/profile/src/data/collections.js';
import { newProfile } from '../subgraphs/profile/src/data/profiles.js';
import { privacySnapshot } from '../subgraphs/profile/src/snapshots.js';
import { repoRoot } from './subgraphs.js';
import type { SeedOptions, SeedTargets, SeedProgress, SeedSummary, Model } from './seed-model.js';
import { DEFAULT_SEED_OPTIONS, createRandom, Rng, DAY_MS, PALETTES, generate } from './seed-model.js';
export {
  createRandom,
  DEFAULT_SEED_OPTIONS,
  type SeedOptions,
  type SeedTargets,
  type SeedProgress,
  type SeededUser,
  type SeededPost,
  type SeedSummary,
} from './seed-model.js';

const BATCH = 2_000;

async function insertAll<T extends Document>(
  db: Db,
  collection: string,
  docs: readonly T[],
  progress: SeedProgress,
  phase: string,
): Promise<void> {
  for (let i = 0; i < docs.length; i += BATCH) {
    await db.collection<T>(collection).insertMany(docs.slice(i, i + BATCH) as never[], { ordered: false });
    progress(phase, Math.min(docs.length, i + BATCH), docs.length);
  }
  if (docs.length === 0) progress(phase, 0, 0);
}

async function writeAuth(
  databaseUrl: string,
  model: Model,
  passwordHash: string,
  progress: SeedProgress,
): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const first = model.users[0];
    if (first) {
      const { rowCount } = await client.query('SELECT 1 FROM users WHERE lower(username) = lower($1)', [
        first.username,
      ]);
      if (rowCount)
        throw new Error(
          `the auth database already holds ${first.username}: this data set (or one of the same --seed) is seeded already; use another --seed or fresh stores`,
        );
    }
    for (let i = 0; i < model.users.length; i += BATCH) {
      const batch = model.users.slice(i, i + BATCH);
      // email_normalized is kept by the validate_email_format trigger; given here for the NOT NULL.
      await client.query(
        `INSERT INTO users (user_id, username, email, email_normalized, password_hash, first_name, last_name,
           is_email_verified, email_verified_at, account_status, role, created_at, updated_at)
         SELECT u.id, u.username, u.email, lower(u.email), $4, u.first_name, u.last_name,
           TRUE, u.created_at, 'Active', 'User', u.created_at, u.created_at
         FROM unnest($1::uuid[], $2::text[], $3::text[], $5::text[], $6::text[], $7::timestamptz[])
           AS u(id, username, email, first_name, last_name, created_at)`,
        [
          batch.map((u) => u.id),
          batch.map((u) => u.username),
          batch.map((u) => u.email),
          passwordHash,
          batch.map((u) => u.firstName),
          batch.map((u) => u.lastName),
          batch.map((u) => u.createdAt),
        ],
      );
      progress('auth users', i + batch.length, model.users.length);
    }
  } finally {
    await client.end();
  }
}

/** One set of real image bytes per palette: original JPEG, web and thumbnail WebP. */
async function paletteImages(palette: number) {
  const hue = (palette * 360) / PALETTES;
  const [r, g, b] = hslToRgb(hue / 360, 0.55, 0.55);
  const svg = (w: number, h: number) =>
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="rgb(${r},${g},${b})"/><stop offset="1" stop-color="rgb(${255 - r},${255 - g},${255 - b})"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="${w * 0.3}" cy="${h * 0.4}" r="${h * 0.2}" fill="white" fill-opacity="0.5"/></svg>`,
    );
  const original = await sharp(svg(1600, 1200)).jpeg({ quality: 80 }).toBuffer();
  const web = await sharp(svg(1080, 810)).webp({ quality: 80 }).toBuffer();
  const thumbnail = await sharp(svg(320, 240)).webp({ quality: 75 }).toBuffer();
  return [
    {
      name: 'original' as const,
      ext: 'jpg',
      mimeType: 'image/jpeg',
      bytes: original,
      width: 1600,
      height: 1200,
    },
    { name: 'web' as const, ext: 'webp', mimeType: 'image/webp', bytes: web, width: 1080, height: 810 },
    {
      name: 'thumbnail' as const,
      ext: 'webp',
      mimeType: 'image/webp',
      bytes: thumbnail,
      width: 320,
      height: 240,
    },
  ];
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

async function writeMedia(
  db: Db,
  refDbs: readonly Db[],
  targets: SeedTargets,
  model: Model,
  seed: number,
  progress: SeedProgress,
): Promise<void> {
  const palettes = await Promise.all(Array.from({ length: PALETTES }, (_, p) => paletteImages(p)));
  // The bytes once per palette; every file's renditions are hard links to them.
  const sourceDir = join(targets.mediaStorageDir, '.seed', String(seed));
  await mkdir(sourceDir, { recursive: true });
  const sources = await Promise.all(
    palettes.map(async (variants, p) =>
      Promise.all(
        variants.map(async (variant) => {
          const path = join(sourceDir, `${p}-${variant.name}.${variant.ext}`);
          await writeFile(path, variant.bytes);
          return { ...variant, path, sha256: createHash('sha256').update(variant.bytes).digest('hex') };
        }),
      ),
    ),
  );
  const rng = new Rng(createRandom(seed ^ 0x5eed));
  const files: MediaFileDocument[] = [];
  const refs: MediaRefDocument[] = [];
  for (const file of model.media) {
    const id = file.id.toHexString();
    const variants = sources[file.palette]!;
    const original = variants[0]!;
    const at = file.at;
    files.push({
      _id: file.id,
      userId: file.ownerId,
      fileName: `${id}.jpg`,
      originalFileName: file.category === 'profile' ? 'avatar.jpg' : `IMG_${1000 + rng.int(9000)}.jpg`,
      fileType: 'Image',
      mimeType: 'image/jpeg',
      fileSize: original.bytes.length,
      checksum: original.sha256,
      storageProvider: 'Local',
      storagePath: `${id}/original.jpg`,
      url: `/media/${id}/original`,
      thumbnailUrl: `/media/${id}/thumbnail`,
      dimensions: { width: original.width, height: original.height, aspectRatio: '4:3' },
      duration: null,
      bitrate: null,
      codec: null,
      frameRate: null,
      category: file.category,
      tags: [],
      description: null,
      processingStatus: 'Completed',
      processingError: null,
      processingStartedAt: at,
      processingCompletedAt: at,
      processingAttempts: 1,
      usageCount: file.usedIn.length,
      usedIn: file.usedIn,
      isPublic: true,
      accessKey: rng.bytes(16).toString('base64url'),
      keepLocationData: false,
      expiresAt: null,
      uploadClaimedAt: at,
      uploadCompletedAt: at,
      variants: variants.map((variant) => ({
        name: variant.name,
        key: `${id}/${variant.name}.${variant.ext}`,
        mimeType: variant.mimeType,
        size: variant.bytes.length,
        width: variant.width,
        height: variant.height,
        sha256: variant.sha256,
      })),
      isDeleted: false,
      deletedAt: null,
      purgeAfter: null,
      purgedAt: null,
      ownerSuspended: false,
      ownerStatusAt: null,
      uploadedAt: at,
      updatedAt: at,
      exifData: null,
    });
    refs.push({
      _id: id,
      ownerId: file.ownerId,
      fileType: 'IMAGE',
      mimeType: 'image/jpeg',
      isPublic: true,
      status: 'COMPLETED',
      url: `${targets.mediaOrigin}/media/${id}/original`,
      webUrl: `${targets.mediaOrigin}/media/${id}/web`,
      thumbnailUrl: `${targets.mediaOrigin}/media/${id}/thumbnail`,
      updatedAt: at,
    });
  }
  // Bytes first, so no record ever points at a missing file.
  const queue = [...model.media];
  let linked = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const id = file.id.toHexString();
        await mkdir(join(targets.mediaStorageDir, id), { recursive: true });
        for (const variant of sources[file.palette]!) {
          await link(variant.path, join(targets.mediaStorageDir, id, `${variant.name}.${variant.ext}`)).catch(
            (error: NodeJS.ErrnoException) => {
              if (error.code !== 'EEXIST') throw error;
            },
          );
        }
        linked += 1;
        if (linked % 500 === 0 || linked === model.media.length)
          progress('media files', linked, model.media.length);
      }
    }),
  );
  await insertAll(db, mediaFilesCollection.name, files, progress, 'media records');
  for (const refDb of refDbs)
    await insertAll(refDb, mediaRefsCollection.name, refs, progress, `media refs (${refDb.databaseName})`);
}

async function writeProfile(db: Db, model: Model, progress: SeedProgress): Promise<void> {
  const { users } = model;
  const followersOf = new Array<number>(users.length).fill(0);
  for (const list of model.followingOf) for (const followee of list) followersOf[followee]! += 1;
  const profiles: ProfileDocument[] = users.map((user, i) => {
    const profile = newProfile(
      {
        userId: user.id,
        username: user.username,
        email: user.email,
        firstName: user.firstName,
        lastName: user.lastName,
        phoneNumber: null,
      },
      user.createdAt,
    );
    profile.bio = user.bio;
    profile.location = user.city
      ? { city: user.city[0], state: null, country: user.city[1], coordinates: null }
      : null;
    profile.avatarMediaId = user.avatarMediaId;
    profile.avatarUrl = user.avatarUrl;
    profile.privacySettings.profileVisibility = user.profileVisibility;
    profile.statistics = {
      ...profile.statistics,
      friendsCount: model.friendsOf[i]!.length,
      followersCount: followersOf[i]!,
      followingCount: model.followingOf[i]!.length,
    };
    return profile;
  });
  await insertAll(db, 'user_profiles', profiles, progress, 'profiles');

  const friendships: FriendshipDocument[] = [];
  const requests: FriendRequestDocument[] = [];
  const rng = new Rng(createRandom(model.users.length * 7919 + 17));
  for (const [key, since] of model.friendSince) {
    const [a, b] = key.split(':').map(Number) as [number, number];
    const [sender, receiver] = rng.chance(0.5) ? [users[a]!, users[b]!] : [users[b]!, users[a]!];
    friendships.push(
      { _id: rng.uuid(), userId: sender.id, friendId: receiver.id, createdAt: since },
      { _id: rng.uuid(), userId: receiver.id, friendId: sender.id, createdAt: since },
    );
    const sentAt = new Date(since.getTime() - 3600_000);
    requests.push({
      _id: rng.uuid(),
      senderId: sender.id,
      senderUsername: sender.username,
      senderDisplayName: sender.displayName,
      senderAvatarUrl: sender.avatarUrl,
      receiverId: receiver.id,
      receiverUsername: receiver.username,
      receiverDisplayName: receiver.displayName,
      receiverAvatarUrl: receiver.avatarUrl,
      message: null,
      status: 'Accepted',
      sentAt,
      respondedAt: since,
      expiresAt: new Date(sentAt.getTime() + 30 * DAY_MS),
      createdAt: sentAt,
      updatedAt: since,
    });
  }
  await insertAll(db, 'friendships', friendships, progress, 'friendships');
  // Accepted requests expire by TTL like any request (expiresAt passed): as the service leaves them.
  await insertAll(db, 'friend_requests', requests, progress, 'friend requests');
  const follows: FollowDocument[] = [];
  for (const [key, since] of model.followSince) {
    const [a, b] = key.split('>').map(Number) as [number, number];
    follows.push({ _id: rng.uuid(), followerId: users[a]!.id, followeeId: users[b]!.id, createdAt: since });
  }
  await insertAll(db, 'follows', follows, progress, 'follows');
  const now = new Date();
  await insertAll(
    db,
    'blocks',
    model.blocks.map(([a, b]) => ({
      _id: rng.uuid(),
      blockerId: users[a]!.id,
      blockedId: users[b]!.id,
      createdAt: now,
    })),
    progress,
    'blocks',
  );
}

/** `social_users` / `social_edges` as the kit's SocialReplica leaves them after the events. */
async function writeReplica(db: Db, model: Model, progress: SeedProgress): Promise<void> {
  const { users } = model;
  const label = `replica (${db.databaseName})`;
  const userDocs = users.map((user) => ({
    _id: user.id,
    username: user.username,
    usernameLower: user.username.toLowerCase(),
    displayName: user.displayName,
    avatarUrl: user.avatarUrl,
    status: 'ACTIVE',
    privacy: privacySnapshot({ ...newProfileSettings(), profileVisibility: user.profileVisibility }),
    notificationSettings: { ...DEFAULT_NOTIFICATION_SETTINGS },
    // UserRegistered sets the status at the epoch (any later status event wins).
    versions: {
      username: user.createdAt,
      status: new Date(0),
      identity: user.createdAt,
      privacy: user.createdAt,
      notifications: user.createdAt,
    },
  }));
  await insertAll(db, 'social_users', userDocs, progress, `${label} users`);
  const edges: Document[] = [];
  for (const [key, at] of model.friendSince) {
    const [a, b] = key.split(':').map(Number) as [number, number];
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      edges.push({
        _id: `friend:${users[from]!.id}:${users[to]!.id}`,
        kind: 'friend',
        from: users[from]!.id,
        to: users[to]!.id,
        active: true,
        at,
      });
    }
  }
  for (const [key, at] of model.followSince) {
    const [a, b] = key.split('>').map(Number) as [number, number];
    edges.push({
      _id: `follow:${users[a]!.id}:${users[b]!.id}`,
      kind: 'follow',
      from: users[a]!.id,
      to: users[b]!.id,
      active: true,
      at,
    });
  }
  const now = new Date();
  for (const [a, b] of model.blocks) {
    edges.push({
      _id: `block:${users[a]!.id}:${users[b]!.id}`,
      kind: 'block',
      from: users[a]!.id,
      to: users[b]!.id,
      active: true,
      at: now,
    });
  }
  await insertAll(db, 'social_edges', edges, progress, `${label} edges`);
}

function newProfileSettings() {
  return newProfile(
    { userId: '', username: 'x', email: 'x@x', firstName: '', lastName: '', phoneNumber: null },
    new Date(0),
  ).privacySettings;
}

async function writeFeed(db: Db, model: Model, progress: SeedProgress): Promise<void> {
  await insertAll(db, 'posts', model.posts, progress, 'posts');
  await insertAll(db, 'comments', model.comments, progress, 'comments');
  await insertAll(db, 'likes', model.likes, progress, 'reactions');
  // Hashtags: live posts per tag, every use, and the trend score the trend job would compute.
  const now = Date.now();
  const tags = new Map<
    string,
    { count: number; first: Date; last: Date; day: number; week: number; month: number }
  >();
  const uses: Document[] = [];
  const rng = new Rng(createRandom(model.posts.length * 31 + 7));
  for (const post of model.posts) {
    for (const tag of post.hashtags) {
      const age = now - post.createdAt.getTime();
      const entry = tags.get(tag) ?? {
        count: 0,
        first: post.createdAt,
        last: post.createdAt,
        day: 0,
        week: 0,
        month: 0,
      };
      entry.count += 1;
      if (post.createdAt < entry.first) entry.first = post.createdAt;
      if (post.createdAt > entry.last) entry.last = post.createdAt;
      if (age <= DAY_MS) entry.day += 1;
      if (age <= 7 * DAY_MS) entry.week += 1;
      if (age <= 30 * DAY_MS) entry.month += 1;
      tags.set(tag, entry);
      // Uses older than the TTL would already be gone.
      if (age <= 31 * DAY_MS)
        uses.push({ _id: rng.objectId(post.createdAt), tag, postId: post._id, usedAt: post.createdAt });
    }
  }
  const hashtagDocs = [...tags].map(([tag, entry]) => ({
    _id: rng.objectId(entry.first),
    tag,
    count: entry.count,
    trendScore: trendScore(entry),
    lastUsed: entry.last,
    createdAt: entry.first,
    updatedAt: entry.last,
  }));
  const existing = await db.collection('hashtags').countDocuments();
  if (existing === 0) await insertAll(db, 'hashtags', hashtagDocs, progress, 'hashtags');
  else {
    // Tags other posts already use: add to their counts.
    const operations: AnyBulkWriteOperation[] = hashtagDocs.map((doc) => ({
      updateOne: {
        filter: { tag: doc.tag },
        update: {
          $inc: { count: doc.count },
          $max: { lastUsed: doc.lastUsed, updatedAt: doc.updatedAt, trendScore: doc.trendScore },
          $setOnInsert: { _id: doc._id, createdAt: doc.createdAt },
        },
        upsert: true,
      },
    }));
    if (operations.length > 0) await db.collection('hashtags').bulkWrite(operations, { ordered: false });
    progress('hashtags', hashtagDocs.length, hashtagDocs.length);
  }
  await insertAll(db, 'hashtag_uses', uses, progress, 'hashtag uses');
}

/** Seeds `options` into `targets`; resolves with what was written. */
export async function seedDataset(
  targets: SeedTargets,
  partial: Partial<SeedOptions> = {},
  progress: SeedProgress = () => undefined,
): Promise<SeedSummary> {
  const options: SeedOptions = { ...DEFAULT_SEED_OPTIONS, ...partial };
  for (const key of [
    'users',
    'posts',
    'friends',
    'follows',
    'comments',
    'reactions',
    'bcryptCost',
  ] as const) {
    if (!Number.isFinite(options[key]) || options[key] < 0) throw new Error(`--${key} must be a number >= 0`);
  }
  if (options.users < 2) throw new Error('--users must be at least 2');
  if (options.bcryptCost < 4 || options.bcryptCost > 31)
    throw new Error('--bcrypt-cost must be between 4 and 31');
  const started = performance.now();
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  // Dates run up to now; the generator anchors on the start of the day (same data all day).
  const now = new Date(Math.max(today.getTime(), Date.now() - 1000));
  progress('generating', 0, 1);
  const model = generate(options, targets.mediaOrigin.replace(/\/$/, ''), now);
  progress('generating', 1, 1);
  progress('password hash', 0, 1);
  const passwordHash = await bcryptHash(options.password, options.bcryptCost);
  progress('password hash', 1, 1);
  await writeAuth(targets.databaseUrl, model, passwordHash, progress);

  const prefix = targets.mongoDbPrefix ?? '';
  const client = new MongoClient(targets.mongoUrl, { appName: 'seed' });
  await client.connect();
  try {
    const db = (service: string) => client.db(`${prefix}social_${service}`);
    const specs: [Db, CollectionSpec[]][] = [
      [db('profile'), profileCollections()],
      [db('feed'), feedCollections()],
      [db('media'), [mediaFilesCollection]],
      [db('chat'), chatCollections()],
      [db('notification'), notificationCollections()],
    ];
    // The services' own collection definitions (validators, indexes), as they apply them at start.
    for (const [target, list] of specs) await ensureCollections(target, list);
    await ensureCollections(db('chat'), [mediaRefsCollection, ...socialReplicaCollections()]);
    await writeMedia(
      db('media'),
      [db('profile'), db('feed'), db('chat')],
      targets,
      model,
      options.seed,
      progress,
    );
    await writeProfile(db('profile'), model, progress);
    for (const service of ['feed', 'chat', 'notification']) await writeReplica(db(service), model, progress);
    await writeFeed(db('feed'), model, progress);
  } finally {
    await client.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    options,
    users: model.users.map((user) => ({
      id: user.id,
      username: user.username,
      email: user.email,
      displayName: user.displayName,
      avatarUrl: user.avatarUrl,
      profileVisibility: user.profileVisibility,
      createdAt: user.createdAt,
    })),
    friendsOf: model.friendsOf,
    followingOf: model.followingOf,
    blocks: model.blocks,
    posts: model.posts.map((post) => ({
      id: post._id.toHexString(),
      authorId: post.userId,
      visibility: post.visibility,
      createdAt: post.createdAt,
      likesCount: post.likesCount,
      commentsCount: post.commentsCount,
      reactionCounts: post.reactionCounts,
      mediaIds: post.mediaIds,
    })),
    counts: {
      users: model.users.length,
      friendships: model.friendSince.size,
      follows: model.followSince.size,
      blocks: model.blocks.length,
      posts: model.posts.length,
      comments: model.comments.length,
      reactions: model.likes.length,
      media: model.media.length,
    },
    seconds,
  };
}

// -- Progress bar -------------------------------------------------------------------------------

/**
 * A progress reporter on `stream`: on a terminal one line redrawn in place (phase, bar, counts,
 * elapsed); otherwise a plain line per phase end and at most one every five seconds.
 */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): SeedProgress & { end(): void } {
  const started = performance.now();
  const tty = Boolean(stream.isTTY);
  let lastPlain = 0;
  let lastDraw = 0;
  let drawn = false;
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const report = (phase: string, done: number, total: number) => {
    const now = performance.now();
    const finished = done >= total;
    if (tty) {
      if (!finished && now - lastDraw < 100) return;
      lastDraw = now;
      const width = 30;
      const filled = total > 0 ? Math.round((done / total) * width) : width;
      const line = `${phase.padEnd(34)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}  ${elapsed()}`;
      stream.write(`\r\x1b[2K${line}`);
      drawn = true;
      if (finished) {
        stream.write('\n');
        drawn = false;
      }
      return;
    }
    if (finished || now - lastPlain >= 5_000) {
      lastPlain = now;
      stream.write(`${phase}: ${done}/${total} (${elapsed()})\n`);
    }
  };
  return Object.assign(report, {
    end() {
      if (drawn) stream.write('\n');
    },
  });
}

// -- Command line -------------------------------------------------------------------------------

/** The port of the dev stack's running embedded PostgreSQL (its postmaster.pid), if it runs. */
function runningDevPostgresPort(dataDir: string): number | null {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
  } catch {
    return null;
  }
  return Number(port) || null;
}

async function mongoAnswers(url: string): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1_000 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      posts: { type: 'string' },
      friends: { type: 'string' },
      follows: { type: 'string' },
      comments: { type: 'string' },
      reactions: { type: 'string' },
      seed: { type: 'string' },
      password: { type: 'string' },
      'bcrypt-cost': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'npm run seed -- --users N --posts M [--friends K] [--follows F] [--comments C] [--reactions R] [--seed S] [--password P] [--bcrypt-cost B]\n',
    );
    return;
  }
  const number = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0)
      throw new Error(`--${name} must be a number >= 0, got ${value}`);
    return parsed;
  };
  const partial: Partial<SeedOptions> = Object.fromEntries(
    Object.entries({
      users: number('users', values.users),
      posts: number('posts', values.posts),
      friends: number('friends', values.friends),
      follows: number('follows', values.follows),
      comments: number('comments', values.comments),
      reactions: number('reactions', values.reactions),
      seed: number('seed', values.seed),
      bcryptCost: number('bcrypt-cost', values['bcrypt-cost']),
      password: values.password,
    }).filter(([, value]) => value !== undefined),
  );

  const { createLogger } = await import('@social/kit');
  const { ensureDatabase, migrate, startEmbeddedMongo, startEmbeddedPostgres } =
    await import('@social/stack');
  const logger = createLogger({ name: 'seed', level: process.env.LOG_LEVEL ?? 'warn', pretty: true });
  const dataDir = process.env.DATA_DIR ?? join(repoRoot, '.data');
  const stops: (() => Promise<void>)[] = [];
  try {
    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      const running = runningDevPostgresPort(join(dataDir, 'postgres'));
      let serverUrl: string;
      if (running) serverUrl = `postgres://postgres:postgres@127.0.0.1:${running}/postgres`;
      else {
        const postgres = await startEmbeddedPostgres({
          dataDir: join(dataDir, 'postgres'),
          persistent: true,
          logger,
        });
        stops.push(() => postgres.stop());
        serverUrl = postgres.url;
      }
      databaseUrl = await ensureDatabase(serverUrl, 'social_auth');
    }
    await migrate({ databaseUrl, logger });
    let mongoUrl = process.env.MONGO_URL;
    if (!mongoUrl) {
      const port = Number(process.env.MONGO_EMBEDDED_PORT ?? 27017);
      const devUrl = `mongodb://127.0.0.1:${port}/`;
      if (await mongoAnswers(devUrl)) mongoUrl = devUrl;
      else {
        const mongo = await startEmbeddedMongo({ port, dataDir: join(dataDir, 'mongo'), logger });
        stops.push(() => mongo.stop());
        mongoUrl = mongo.uri;
      }
    }
    const bar = progressBar();
    const summary = await seedDataset(
      {
        databaseUrl,
        mongoUrl,
        mongoDbPrefix: process.env.MONGO_DB_PREFIX ?? '',
        mediaStorageDir: process.env.MEDIA_STORAGE_DIR ?? join(dataDir, 'media'),
        mediaOrigin: process.env.MEDIA_PUBLIC_URL ?? 'http://127.0.0.1:4005',
      },
      partial,
      bar,
    );
    bar.end();
    const first = summary.users[0];
    process.stdout.write(
      `Seeded in ${summary.seconds.toFixed(1)} s: ${Object.entries(summary.counts)
        .map(([name, count]) => `${count.toLocaleString('en-US')} ${name}`)
        .join(', ')}.\n` +
        (first
          ? `Log in as ${first.username} (or any seeded user) with password ${summary.options.password}\n`
          : ''),
    );
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`\nseed failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
