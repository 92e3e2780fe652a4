import type { Supergraph } from '@social/testing';
import type { Document } from 'mongodb';
import type { FuzzWorld } from './fixtures.js';
import { MONGO_SUBGRAPHS, type Stores } from './stores.js';

const base = (url: string) => url.replace(/\/graphql$/, '');

/** Problems with the stack after the run: a service not answering, or a real query failing. */
export async function checkHealth(sg: Supergraph, world: FuzzWorld): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, url] of [['gateway', sg.gatewayUrl], ...Object.entries(sg.subgraphUrls)] as Array<
    [string, string]
  >) {
    const response = await fetch(`${base(url)}/health`).catch((error: Error) => error);
    if (response instanceof Error || response.status !== 200) {
      problems.push(`${name} /health: ${response instanceof Error ? response.message : response.status}`);
    }
  }
  // One query touching all six subgraphs, as the fuzz user.
  const everything = await sg.query(
    `{ me { id username } feed(first: 2) { edges { cursor } } conversations(first: 2) { edges { cursor } }
       myMedia(first: 2) { edges { cursor } } notifications(first: 2) { edges { cursor } }
       searchUsers(query: "Fuzz", first: 2) { edges { cursor } } }`,
    {},
    { token: world.viewers.user.token },
  );
  if (everything.errors?.length)
    problems.push(`query across all subgraphs: ${JSON.stringify(everything.errors)}`);
  if (everything.data?.me && (everything.data.me as { id: string }).id !== world.viewers.user.id)
    problems.push('me is not the fuzz user');
  return problems;
}

const COUNTER = /count$/i;

/** Counters below zero or not whole, and keys MongoDB would read as operators or paths. */
function scanDocument(where: string, value: unknown, problems: string[], key = ''): void {
  if (problems.length > 50) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => scanDocument(where, item, problems, `${key}[${i}]`));
    return;
  }
  if (value === null || typeof value !== 'object' || value instanceof Date) return;
  if (value.constructor?.name === 'ObjectId' || value.constructor?.name === 'Binary') return;
  for (const [name, child] of Object.entries(value as Record<string, unknown>)) {
    const path = key ? `${key}.${name}` : name;
    if (name.startsWith('$') || name.includes('.') || name === '__proto__')
      problems.push(`${where}: stored key ${JSON.stringify(path)}`);
    if (COUNTER.test(name) && typeof child === 'number' && (child < 0 || !Number.isInteger(child))) {
      problems.push(`${where}: counter ${path} = ${child}`);
    }
    if (name === 'reactionCounts' && child && typeof child === 'object') {
      for (const [kind, n] of Object.entries(child as Record<string, unknown>)) {
        if (typeof n === 'number' && n < 0) problems.push(`${where}: ${path}.${kind} = ${n}`);
      }
    }
    scanDocument(where, child, problems, path);
  }
}

/**
 * Store invariants after the run: every document still matches its collection's validator, no
 * counter is negative, no operator key was stored, and the feed's counters equal what they count.
 */
export async function checkInvariants(stores: Stores, world: FuzzWorld): Promise<string[]> {
  const problems: string[] = [];
  for (const subgraph of MONGO_SUBGRAPHS) {
    const db = stores.db(subgraph);
    for (const info of await db.listCollections().toArray()) {
      if (info.type !== 'collection' || info.name.startsWith('system.')) continue;
      const collection = db.collection(info.name);
      const validator = (info as { options?: { validator?: Document } }).options?.validator;
      if (validator) {
        const invalid = await collection
          .find({ $nor: [validator] })
          .limit(3)
          .toArray();
        for (const doc of invalid)
          problems.push(`${subgraph}.${info.name}: ${JSON.stringify(doc._id)} does not match the validator`);
      }
      for (const doc of await collection.find({}).toArray())
        scanDocument(`${subgraph}.${info.name}/${JSON.stringify(doc._id)}`, doc, problems);
    }
  }

  // Feed counters of the fuzz users' posts and comments equal the rows they count.
  const feed = stores.db('feed');
  const authors = Object.values(world.viewers).map((v) => v.id);
  const posts = await feed
    .collection('posts')
    .find({ userId: { $in: authors }, isDeleted: false, authorHidden: { $ne: true } })
    .toArray();
  for (const post of posts) {
    const [comments, likes] = await Promise.all([
      feed
        .collection('comments')
        .countDocuments({ postId: post._id, isDeleted: false, authorHidden: { $ne: true } }),
      feed
        .collection('likes')
        .countDocuments({ entityId: post._id, entityType: 'Post', userHidden: { $ne: true } }),
    ]);
    const reactions = Object.values((post.reactionCounts ?? {}) as Record<string, number>).reduce(
      (a, b) => a + b,
      0,
    );
    if (post.commentsCount !== comments)
      problems.push(`post ${String(post._id)}: commentsCount ${post.commentsCount}, ${comments} comments`);
    if (post.likesCount !== likes)
      problems.push(`post ${String(post._id)}: likesCount ${post.likesCount}, ${likes} reactions`);
    if (reactions !== likes)
      problems.push(`post ${String(post._id)}: reactionCounts sum ${reactions}, ${likes} reactions`);
  }
  const comments = await feed
    .collection('comments')
    .find({ userId: { $in: authors }, isDeleted: false })
    .toArray();
  for (const comment of comments) {
    const [likes, replies] = await Promise.all([
      feed
        .collection('likes')
        .countDocuments({ entityId: comment._id, entityType: 'Comment', userHidden: { $ne: true } }),
      feed
        .collection('comments')
        .countDocuments({ parentCommentId: comment._id, isDeleted: false, authorHidden: { $ne: true } }),
    ]);
    if (comment.likesCount !== likes)
      problems.push(`comment ${String(comment._id)}: likesCount ${comment.likesCount}, ${likes} reactions`);
    if (comment.repliesCount !== replies)
      problems.push(
        `comment ${String(comment._id)}: repliesCount ${comment.repliesCount}, ${replies} replies`,
      );
  }
  return problems;
}
