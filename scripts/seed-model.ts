/**
 * The model `npm run seed` writes (scripts/seed.ts): its options, a seeded PRNG, word lists, and the
 * generation of users, the social graph, posts, comments, reactions and media as plain data,
 * before any store is touched.
 */
import { ObjectId } from 'mongodb';
import {
  type CommentDocument,
  type LikeDocument,
  type PostDocument,
  type ReactionCounts,
  type StoredPostVisibility,
  type StoredReaction,
} from '../subgraphs/feed/src/data/collections.js';
import { newCommentDocument, newPostDocument } from '../subgraphs/feed/src/data/posts.js';
import { extractHashtags, extractMentions } from '../subgraphs/feed/src/text.js';
import { type StoredVisibility } from '../subgraphs/profile/src/data/collections.js';

// -- Options ------------------------------------------------------------------------------------

export interface SeedOptions {
  readonly users: number;
  readonly posts: number;
  /** Average friends per user. */
  readonly friends: number;
  /** Average users each user follows. */
  readonly follows: number;
  /** Average comments per post (replies included). */
  readonly comments: number;
  /** Average reactions per post. */
  readonly reactions: number;
  readonly seed: number;
  readonly password: string;
  readonly bcryptCost: number;
}

export const DEFAULT_SEED_OPTIONS: SeedOptions = {
  users: 1_000,
  posts: 20_000,
  friends: 20,
  follows: 10,
  comments: 2,
  reactions: 5,
  seed: 1,
  password: 'Seed-Passw0rd!',
  bcryptCost: 12,
};

/** Where the data goes. */
export interface SeedTargets {
  /** The auth database (migrated). */
  readonly databaseUrl: string;
  readonly mongoUrl: string;
  /** MONGO_DB_PREFIX of the services (test harnesses), '' for the dev stack. */
  readonly mongoDbPrefix?: string;
  /** media's MEDIA_STORAGE_DIR (local storage). */
  readonly mediaStorageDir: string;
  /** media's public origin (`http://host:port`): the URLs its events would have carried. */
  readonly mediaOrigin: string;
}

/** Progress of one phase: `done` of `total` units. */
export type SeedProgress = (phase: string, done: number, total: number) => void;

// -- The generated data set ---------------------------------------------------------------------

export interface SeededUser {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly displayName: string;
  readonly avatarUrl: string | null;
  readonly profileVisibility: StoredVisibility;
  readonly createdAt: Date;
}

export interface SeededPost {
  readonly id: string;
  readonly authorId: string;
  readonly visibility: StoredPostVisibility;
  readonly createdAt: Date;
  readonly likesCount: number;
  readonly commentsCount: number;
  readonly reactionCounts: ReactionCounts;
  readonly mediaIds: readonly string[];
}

export interface SeedSummary {
  readonly options: SeedOptions;
  readonly users: readonly SeededUser[];
  /** Friends of each user (by index of `users`). */
  readonly friendsOf: readonly (readonly number[])[];
  /** Users each user follows (by index). */
  readonly followingOf: readonly (readonly number[])[];
  /** Blocks as [blocker, blocked] index pairs. */
  readonly blocks: readonly (readonly [number, number])[];
  readonly posts: readonly SeededPost[];
  readonly counts: Readonly<Record<string, number>>;
  readonly seconds: number;
}

// -- Deterministic randomness -------------------------------------------------------------------

/** sfc32 seeded through splitmix32: fast, 2^128 state, the same sequence for the same seed. */
export function createRandom(seed: number): () => number {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

export class Rng {
  constructor(readonly next: () => number) {}
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  /** An exponentially distributed count with this mean (many small, a long tail). */
  count(mean: number): number {
    return mean <= 0 ? 0 : Math.floor(-Math.log(1 - this.next()) * mean);
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 1) out[i] = this.int(256);
    return out;
  }
  uuid(): string {
    const b = this.bytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  /** An ObjectId whose time part is `at` (as the driver makes them), the rest from this generator. */
  objectId(at: Date): ObjectId {
    const b = this.bytes(12);
    b.writeUInt32BE(Math.floor(at.getTime() / 1000), 0);
    return new ObjectId(b);
  }
}

/** Samples indexes in proportion to weights (binary search over the cumulative sums). */
export class Weighted {
  private readonly cumulative: Float64Array;
  constructor(weights: readonly number[]) {
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    weights.forEach((w, i) => {
      sum += w;
      this.cumulative[i] = sum;
    });
  }
  sample(rng: Rng): number {
    const total = this.cumulative[this.cumulative.length - 1] ?? 0;
    const target = rng.next() * total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) <= target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Zipf-like weights over a random order of `n` items: a few heavy ones, a long light tail. */
export function zipfWeights(rng: Rng, n: number, exponent: number): number[] {
  const rank = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i -= 1) {
    const j = rng.int(i + 1);
    [rank[i], rank[j]] = [rank[j] as number, rank[i] as number];
  }
  return rank.map((r) => 1 / Math.pow(r + 5, exponent));
}

// -- Vocabulary ---------------------------------------------------------------------------------

export const FIRST = (
  'ava liam emma noah olivia elijah mia lucas amelia mason harper ethan evelyn logan abigail james ' +
  'ella aiden sofia jacob aria leo chloe mateo zoe henry nora jack lily owen layla wyatt hazel ' +
  'david luna samuel grace daniel ruby julian iris ezra nina kai mila omar sara yuki ines tomas ana ' +
  'ravi priya chen wei hana ola lars freya finn ida jonas elin marco giulia pablo lucia'
).split(' ');
export const LAST = (
  'smith johnson brown garcia miller davis martin lopez wilson anderson thomas moore jackson lee ' +
  'perez white harris clark lewis young walker hall allen king wright scott green baker adams ' +
  'nelson hill campbell mitchell roberts carter phillips evans turner torres parker collins edwards ' +
  'nakamura tanaka kim park singh patel kowalski nowak muller schmidt rossi bianchi dubois moreau ' +
  'silva santos jensen hansen larsen berg lindqvist novak horvat'
).split(' ');
export const CITIES: readonly [string, string][] = [
  ['Lisbon', 'Portugal'],
  ['Berlin', 'Germany'],
  ['Austin', 'United States'],
  ['Toronto', 'Canada'],
  ['Osaka', 'Japan'],
  ['Seoul', 'South Korea'],
  ['Nairobi', 'Kenya'],
  ['Melbourne', 'Australia'],
  ['Bogotá', 'Colombia'],
  ['Oslo', 'Norway'],
  ['Pune', 'India'],
  ['Kraków', 'Poland'],
  ['Lyon', 'France'],
  ['Milan', 'Italy'],
  ['Recife', 'Brazil'],
];
export const TOPICS = (
  'coffee running photography travel cooking music books hiking cycling gaming design coding ' +
  'football basketball yoga gardening movies art science startups climbing surfing baking jazz ' +
  'podcasts chess birds history sunsets food weekend family friends work study'
).split(' ');
export const OPENERS = [
  'Just finished',
  'Can not stop thinking about',
  'Finally tried',
  'Spent the whole day on',
  'Anyone else into',
  'Big news about',
  'Quick thought on',
  'Loving this',
  'Back from',
  'Small win today with',
  'Need recommendations for',
  'Throwback to',
];
export const MIDDLES = [
  'and it was better than expected.',
  'and I have questions.',
  'with the best people.',
  'and the weather was perfect.',
  'after months of planning.',
  'and now I want to do it again.',
  'which took longer than it should have.',
  'on a rainy afternoon.',
  'and learned a lot.',
  'before breakfast, somehow.',
];
export const CLOSERS = [
  'What do you think?',
  'Highly recommend.',
  'More soon.',
  'Ten out of ten.',
  'Would do it again.',
  'Photos below.',
  '',
  '',
];
export const REPLIES = [
  'Love this!',
  'So good.',
  'Congrats!',
  'Where was this?',
  'Same here, honestly.',
  'This made my day.',
  'Need to try this.',
  'Haha, classic.',
  'Agreed.',
  'Tell me more!',
  'Looks amazing.',
  'Wish I was there.',
  'Great point.',
  'Saving this for later.',
];
export const BIOS = [
  'Curious about everything.',
  'Coffee first.',
  'Making things on the internet.',
  'Trail runner and part-time baker.',
  'Reading, writing, rewriting.',
  'Photos of places and people I like.',
  'Here for the conversations.',
  null,
  null,
];
export const TAGS = [
  ...TOPICS,
  ...'tbt nofilter weekendvibes mondaymotivation foodie travelgram photooftheday instagood fitness ootd nature sunset tech ai webdev opensource goals happy love life'.split(
    ' ',
  ),
];
/** Reaction types by popularity (Like most). */
export const REACTION_WEIGHTS: readonly [StoredReaction, number][] = [
  ['Like', 60],
  ['Love', 20],
  ['Haha', 8],
  ['Wow', 5],
  ['Sad', 4],
  ['Angry', 3],
];

// -- Generation ---------------------------------------------------------------------------------

export interface UserModel extends SeededUser {
  readonly firstName: string;
  readonly lastName: string;
  readonly bio: string | null;
  readonly city: [string, string] | null;
  readonly avatarMediaId: string | null;
}

export interface MediaModel {
  readonly id: ObjectId;
  readonly ownerId: string;
  readonly category: 'post' | 'profile';
  readonly palette: number;
  readonly at: Date;
  readonly usedIn: { entityType: 'Post' | 'Profile'; entityId: string; attachedAt: Date }[];
}

export interface Model {
  users: UserModel[];
  friendsOf: number[][];
  friendSince: Map<string, Date>;
  followingOf: number[][];
  followSince: Map<string, Date>;
  blocks: [number, number][];
  blockedPairs: Set<string>;
  media: MediaModel[];
  posts: PostDocument[];
  comments: CommentDocument[];
  likes: LikeDocument[];
}

export const DAY_MS = 24 * 3600 * 1000;
export const PALETTES = 6;
export const pairKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);
export const between = (rng: Rng, from: Date, to: Date) =>
  new Date(from.getTime() + Math.floor(rng.next() * Math.max(0, to.getTime() - from.getTime())));

export function generate(options: SeedOptions, origin: string, now: Date): Model {
  const rng = new Rng(createRandom(options.seed));
  const n = options.users;
  const yearAgo = new Date(now.getTime() - 365 * DAY_MS);
  const media: MediaModel[] = [];
  const newMedia = (ownerId: string, category: MediaModel['category'], at: Date): MediaModel => {
    const file: MediaModel = {
      id: rng.objectId(at),
      ownerId,
      category,
      palette: rng.int(PALETTES),
      at,
      usedIn: [],
    };
    media.push(file);
    return file;
  };

  // Users: verified accounts made over the last year; most profiles public.
  const users: UserModel[] = [];
  for (let i = 0; i < n; i += 1) {
    const firstName = rng.pick(FIRST);
    const lastName = rng.pick(LAST);
    const username = `${firstName}_${lastName}${i}`;
    const id = rng.uuid();
    const createdAt = between(rng, yearAgo, new Date(now.getTime() - 70 * DAY_MS));
    const roll = rng.next();
    const profileVisibility: StoredVisibility = roll < 0.88 ? 'Public' : roll < 0.97 ? 'Friends' : 'Private';
    let avatarMediaId: string | null = null;
    let avatarUrl: string | null = null;
    if (rng.chance(0.4)) {
      const file = newMedia(id, 'profile', new Date(createdAt.getTime() + DAY_MS));
      file.usedIn.push({ entityType: 'Profile', entityId: id, attachedAt: file.at });
      avatarMediaId = file.id.toHexString();
      avatarUrl = `${origin}/media/${avatarMediaId}/web`;
    }
    users.push({
      id,
      username,
      email: `${username}@example.com`,
      firstName: capitalise(firstName),
      lastName: capitalise(lastName),
      displayName: `${capitalise(firstName)} ${capitalise(lastName)}`,
      bio: rng.pick(BIOS),
      city: rng.chance(0.7) ? rng.pick(CITIES) : null,
      avatarMediaId,
      avatarUrl,
      profileVisibility,
      createdAt,
    });
  }

  const byUsername = new Map(users.map((user) => [user.username.toLowerCase(), user]));

  // Friendships: one end uniform, the other by popularity (preferential), so degrees are skewed.
  const popularity = new Weighted(zipfWeights(rng, n, 1.1));
  const friendsOf: number[][] = users.map(() => []);
  const friendSince = new Map<string, Date>();
  const friendTarget = Math.floor((n * options.friends) / 2);
  for (let attempts = 0; friendSince.size < friendTarget && attempts < friendTarget * 4; attempts += 1) {
    const a = rng.int(n);
    const b = popularity.sample(rng);
    const key = pairKey(a, b);
    if (a === b || friendSince.has(key) || friendsOf[b]!.length >= 4_000) continue;
    const later = Math.max(users[a]!.createdAt.getTime(), users[b]!.createdAt.getTime());
    friendSince.set(key, between(rng, new Date(later + DAY_MS), new Date(now.getTime() - 65 * DAY_MS)));
    friendsOf[a]!.push(b);
    friendsOf[b]!.push(a);
  }
  // Follows: celebrities collect followers.
  const followingOf: number[][] = users.map(() => []);
  const followSince = new Map<string, Date>();
  const followTarget = n * options.follows;
  for (let attempts = 0; followSince.size < followTarget && attempts < followTarget * 4; attempts += 1) {
    const follower = rng.int(n);
    const followee = popularity.sample(rng);
    const key = `${follower}>${followee}`;
    if (follower === followee || followSince.has(key)) continue;
    const later = Math.max(users[follower]!.createdAt.getTime(), users[followee]!.createdAt.getTime());
    followSince.set(key, between(rng, new Date(later + DAY_MS), new Date(now.getTime() - 65 * DAY_MS)));
    followingOf[follower]!.push(followee);
  }
  // A few blocks, between users with no other edge.
  const blocks: [number, number][] = [];
  const blockedPairs = new Set<string>();
  const blockTarget = Math.max(1, Math.floor(n / 200));
  for (let attempt = 0; blocks.length < blockTarget && attempt < blockTarget * 20; attempt += 1) {
    const blocker = rng.int(n);
    const blocked = rng.int(n);
    const key = pairKey(blocker, blocked);
    if (
      blocker === blocked ||
      blockedPairs.has(key) ||
      friendSince.has(key) ||
      followSince.has(`${blocker}>${blocked}`) ||
      followSince.has(`${blocked}>${blocker}`)
    )
      continue;
    blockedPairs.add(key);
    blocks.push([blocker, blocked]);
  }

  // Posts over the last 60 days by activity (a few prolific authors), newest last.
  const activity = new Weighted(zipfWeights(rng, n, 0.8));
  const tagWeights = new Weighted(TAGS.map((_, i) => 1 / (i + 3)));
  const reactionWeights = new Weighted(REACTION_WEIGHTS.map(([, w]) => w));
  const posts: PostDocument[] = [];
  const comments: CommentDocument[] = [];
  const likes: LikeDocument[] = [];
  const postsFrom = new Date(now.getTime() - 60 * DAY_MS);
  const recent = (from: Date, spanMs: number) =>
    new Date(Math.min(now.getTime() - 1000, from.getTime() + 60_000 + Math.floor(rng.next() * spanMs)));

  /** Users who may see (and so comment on or react to) a post of `author` with `visibility`. */
  const audienceOf = (author: number, visibility: StoredPostVisibility): number[] | null => {
    if (visibility === 'Private') return [];
    if (visibility === 'Friends') return friendsOf[author]!;
    return null; // Public: friends mostly, anyone else sometimes.
  };
  const visitor = (author: number, visibility: StoredPostVisibility): number | null => {
    const audience = audienceOf(author, visibility);
    const friends = friendsOf[author]!;
    let who: number;
    if (audience) {
      if (audience.length === 0) return null;
      who = rng.pick(audience);
    } else if (friends.length > 0 && rng.chance(0.7)) {
      who = rng.pick(friends);
    } else {
      who = rng.int(n);
    }
    if (who !== author && blockedPairs.has(pairKey(who, author))) return null;
    return who;
  };
  const react = (entityId: ObjectId, entityType: 'Post' | 'Comment', userIndex: number, at: Date) => {
    const reactionType = REACTION_WEIGHTS[reactionWeights.sample(rng)]![0];
    likes.push({
      _id: `${entityId.toHexString()}:${users[userIndex]!.id}`,
      entityId,
      entityType,
      userId: users[userIndex]!.id,
      reactionType,
      createdAt: at,
    });
    return reactionType;
  };

  for (let p = 0; p < options.posts; p += 1) {
    const authorIndex = activity.sample(rng);
    const author = users[authorIndex]!;
    const createdAt = between(rng, postsFrom, new Date(now.getTime() - 60_000));
    const roll = rng.next();
    const visibility: StoredPostVisibility = roll < 0.65 ? 'Public' : roll < 0.95 ? 'Friends' : 'Private';
    // Text: a sentence or two, sometimes tags and a friend's @mention (resolved as feed does).
    const parts = [`${rng.pick(OPENERS)} ${rng.pick(TOPICS)} ${rng.pick(MIDDLES)}`];
    if (rng.chance(0.4)) parts.push(`${rng.pick(OPENERS)} ${rng.pick(TOPICS)}.`);
    const closer = rng.pick(CLOSERS);
    if (closer) parts.push(closer);
    const friends = friendsOf[authorIndex]!;
    if (friends.length > 0 && rng.chance(0.1)) parts.push(`with @${users[rng.pick(friends)]!.username}`);
    if (rng.chance(0.35)) {
      const count = 1 + rng.int(3);
      for (let t = 0; t < count; t += 1) parts.push(`#${TAGS[tagWeights.sample(rng)]}`);
    }
    const content = parts.join(' ');
    const mentions = extractMentions(content).map((name) => {
      const user = byUsername.get(name)!;
      return { userId: user.id, username: user.username, displayName: user.displayName };
    });
    const mediaIds: string[] = [];
    const id = rng.objectId(createdAt);
    if (rng.chance(0.12)) {
      const count = 1 + (rng.chance(0.3) ? rng.int(3) : 0);
      for (let m = 0; m < count; m += 1) {
        const file = newMedia(author.id, 'post', new Date(createdAt.getTime() - 30_000));
        file.usedIn.push({ entityType: 'Post', entityId: id.toHexString(), attachedAt: createdAt });
        mediaIds.push(file.id.toHexString());
      }
    }
    const post: PostDocument = {
      ...newPostDocument(
        {
          userId: author.id,
          content,
          mediaIds,
          postType: mediaIds.length > 0 ? 'Photo' : 'Text',
          visibility,
          audienceUserIds: [],
          location: null,
          hashtags: extractHashtags(content),
          mentions,
          linkPreview: null,
          poll: null,
          originalPostId: null,
          shareCaption: null,
        },
        createdAt,
      ),
      _id: id,
    };
    // Popular authors' posts draw more engagement.
    const boost = Math.min(4, 0.5 + friends.length / Math.max(1, options.friends));
    const reactors = new Set<number>();
    const reactionTarget = rng.count(options.reactions * boost);
    for (let r = 0; r < reactionTarget * 2 && reactors.size < reactionTarget; r += 1) {
      const who = visitor(authorIndex, visibility);
      if (who === null || who === authorIndex) continue;
      if (reactors.has(who)) continue;
      reactors.add(who);
      const type = react(id, 'Post', who, recent(createdAt, 2 * DAY_MS));
      post.reactionCounts[type] = (post.reactionCounts[type] ?? 0) + 1;
      post.likesCount += 1;
    }
    const topLevel: CommentDocument[] = [];
    const commentTarget = rng.count(options.comments * boost);
    for (let c = 0; c < commentTarget; c += 1) {
      const who = rng.chance(0.15) ? authorIndex : visitor(authorIndex, visibility);
      if (who === null) continue;
      const parent = topLevel.length > 0 && rng.chance(0.2) ? rng.pick(topLevel) : null;
      const at = recent(parent ? parent.createdAt : createdAt, 3 * DAY_MS);
      const comment: CommentDocument = {
        ...newCommentDocument(
          {
            postId: id,
            userId: users[who]!.id,
            content: rng.pick(REPLIES),
            mentions: [],
            parentCommentId: parent ? parent._id : null,
          },
          at,
        ),
        _id: rng.objectId(at),
      };
      if (parent) {
        parent.repliesCount += 1;
        parent.updatedAt = new Date(Math.max(parent.updatedAt.getTime(), at.getTime()));
      } else topLevel.push(comment);
      const commentReactors = new Set<number>();
      const commentReactions = rng.count(0.8);
      for (let r = 0; r < commentReactions * 2 && commentReactors.size < commentReactions; r += 1) {
        const reactor = visitor(authorIndex, visibility);
        if (reactor === null || reactor === who || commentReactors.has(reactor)) continue;
        if (blockedPairs.has(pairKey(reactor, who))) continue;
        commentReactors.add(reactor);
        const type = react(comment._id, 'Comment', reactor, recent(at, DAY_MS));
        comment.reactionCounts[type] = (comment.reactionCounts[type] ?? 0) + 1;
        comment.likesCount += 1;
      }
      comments.push(comment);
      post.commentsCount += 1;
      post.updatedAt = new Date(Math.max(post.updatedAt.getTime(), at.getTime()));
    }
    post.engagementScore = post.likesCount + 2 * post.commentsCount + 3 * post.sharesCount;
    posts.push(post);
  }
  posts.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  return {
    users,
    friendsOf,
    friendSince,
    followingOf,
    followSince,
    blocks,
    blockedPairs,
    media,
    posts,
    comments,
    likes,
  };
}

export function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// -- Writing ------------------------------------------------------------------------------------
