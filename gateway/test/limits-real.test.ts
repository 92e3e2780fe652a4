import { ApolloGateway } from '@apollo/gateway';
import { MAX_PAGE_SIZE } from '@social/kit';
import { Kind, parse, print, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import { DEFAULT_OPERATION_LIMITS, measureOperation, operationLimitErrors } from '../src/limits.js';
import { repoOperations } from './operation-corpus.js';

/**
 * The default limits admit the operations this repo's clients send: every operation of the
 * subgraph, end-to-end and benchmark tests (with every Int variable at the largest page size), and
 * the screens a client app shows. limits.ts justifies the numbers from what is measured here.
 */

let schema: GraphQLSchema;
let loader: ApolloGateway;

beforeAll(async () => {
  loader = new ApolloGateway({
    supergraphSdl: readFileSync(new URL('../../supergraph.graphql', import.meta.url), 'utf8'),
  });
  ({ schema } = await loader.load());
});
afterAll(async () => {
  await loader.stop();
});

/** Each operation of a document, with its Int variables at the largest page size (the worst case). */
function worstCases(document: DocumentNode) {
  return document.definitions.flatMap((definition) => {
    if (definition.kind !== Kind.OPERATION_DEFINITION) return [];
    const variables = Object.fromEntries(
      (definition.variableDefinitions ?? [])
        .filter((v) => print(v.type).replace('!', '') === 'Int')
        .map((v) => [v.variable.name.value, MAX_PAGE_SIZE]),
    );
    return [{ name: definition.name?.value, variables }];
  });
}

test('every operation the repo sends passes the default limits, even at the largest page size', () => {
  const operations = repoOperations(schema);
  // Hundreds of operations are read from the sources; a broken extractor would find few.
  expect(operations.length).toBeGreaterThan(200);
  const refused = operations.flatMap(({ file, source, document }) =>
    worstCases(document).flatMap(({ name, variables }) => {
      parse(source, { maxTokens: DEFAULT_OPERATION_LIMITS.maxTokens });
      const errors = operationLimitErrors(schema, document, name, DEFAULT_OPERATION_LIMITS, variables);
      return errors.map((error) => `${file}: ${error.message}\n${source}`);
    }),
  );
  expect(refused).toEqual([]);
});

/** What a client app's screens ask for, written the way a client would. */
const SCREENS = {
  homeFeed: `query HomeFeed($first: Int = 20, $after: String) {
    feed(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...PostCard
        originalPost { ...PostCard }
        topComments(first: 2) { id content createdAt likesCount viewerReaction
          author { id username displayName avatar { thumbnailUrl } }
          reactionsSummary { reaction count } }
      } }
    }
  }
  fragment PostCard on Post {
    id content postType visibility createdAt isEdited likesCount commentsCount sharesCount viewerReaction
    author { id username displayName isVerified avatar { thumbnailUrl } }
    media { id fileType thumbnailUrl url dimensions { width height } }
    reactionsSummary { reaction count }
    poll { question isClosed votersCount viewerVoteOptionIds options { id text votesCount viewerHasVoted } }
    linkPreview { url title imageUrl domain }
    mentions { id username }
  }`,
  chatConversation: `query ChatConversation($id: ID!, $last: Int = 30, $before: String) {
    conversation(id: $id) {
      id type name unreadCount isMuted
      participants { role isActive user { id displayName avatarUrl isOnline lastSeenAt } }
      typingUsers { id displayName }
      messages(last: $last, before: $before) {
        pageInfo { hasPreviousPage startCursor }
        edges { node {
          id sequence content messageType status isEdited isDeleted createdAt viewerReaction
          sender { id displayName avatar { thumbnailUrl } }
          media { id fileType thumbnailUrl }
          replyTo { id content sender { displayName avatar { thumbnailUrl } } }
          reactions { emoji count viewerReacted users { id displayName } }
          readBy { at user { id avatarUrl } }
        } }
      }
    }
  }`,
  profile: `query Profile($username: String!) {
    userByUsername(username: $username) {
      id username displayName bio tagline avatarUrl coverImageUrl website isVerified isOnline
      friendsCount followersCount followingCount mutualFriendsCount friendshipStatus isFollowedByViewer
      location { city country }
      experience { position company current }
      friends(first: 12) { totalCount edges { friendsSince node {
        id username displayName avatar { thumbnailUrl } mutualFriendsCount friendshipStatus } } }
      posts(first: 10) { edges { node { id content createdAt likesCount commentsCount
        media { id thumbnailUrl } author { id displayName } } } }
    }
  }`,
  notifications: `query Notifications($first: Int = 20) {
    unreadNotificationCount
    notifications(first: $first) { pageInfo { hasNextPage endCursor } edges { node {
      id type title message isRead createdAt actionUrl groupCount
      actor { id displayName avatar { thumbnailUrl } }
      actors(first: 3) { id displayName avatarUrl } } } }
  }`,
  appShell: `query AppShell {
    me { id username displayName avatarUrl emailVerified notificationSettings { emailNotifications pushNotifications } }
    totalUnreadCount
    unreadNotificationCount
    conversations(first: 20) { edges { node { id name unreadCount
      otherParticipant { id displayName avatarUrl isOnline }
      lastMessage { id content createdAt sender { id displayName } } } } }
  }`,
};

test.each(Object.entries(SCREENS))('the %s screen passes the default limits', (_name, source) => {
  const document = parse(source, { maxTokens: DEFAULT_OPERATION_LIMITS.maxTokens });
  expect(validate(schema, document)).toEqual([]);
  for (const { name, variables } of worstCases(document)) {
    expect(operationLimitErrors(schema, document, name, DEFAULT_OPERATION_LIMITS, variables)).toEqual([]);
  }
});

test('the deepest real operations are what limits.ts says they are', () => {
  const depthOf = (source: string) => measureOperation(schema, parse(source), undefined)?.depth;
  expect(depthOf(SCREENS.chatConversation)).toBe(8);
  expect(depthOf(SCREENS.homeFeed)).toBe(7);
  const deepest = Math.max(
    ...repoOperations(schema).flatMap(({ document }) =>
      worstCases(document).map(({ name }) => measureOperation(schema, document, name)?.depth ?? 0),
    ),
  );
  expect(deepest).toBe(11);
});
