/**
 * The rows of the authorization matrix: one (or more) per Query, Mutation and Subscription field,
 * each aimed at the owner's data. A row gives the field's arguments (`sig`: variable definitions,
 * passed to the field under the same names), how to make them for one cell (fresh targets for
 * destructive mutations), what the owner reads back to prove a refused mutation changed nothing,
 * and where the outcome differs from what the field's classification implies.
 */
import type { TestAccount } from '@social/testing';
import type { AccessLevel } from './authorization-schema.js';
import type { Fixtures } from './authorization-fixtures.js';
import type { Outcome, Viewer } from './authorization-selection.js';
import { mutationRows } from './authorization-mutations.js';

type Vars = Record<string, unknown>;

export interface Row {
  /** `Query.post`, `Mutation.editPost`, ... */
  readonly field: string;
  /** A variant's name when a field has several rows (e.g. a post of each visibility). */
  readonly label?: string;
  /** Variable definitions, e.g. `id: ID!, first: Int`; each is passed as the same-named argument. */
  readonly sig?: string;
  /** The cell's variables; `account` is the account the cell runs as (undefined: anonymous). */
  vars?(fx: Fixtures, viewer: Viewer, account: TestAccount | undefined): Promise<Vars> | Vars;
  /** Overrides the classification's access level for this row's target. */
  readonly access?: AccessLevel;
  /** Per-viewer outcomes differing from what `access` implies. */
  readonly expect?: Partial<Record<Viewer, Outcome>>;
  /** The owner's view of the target: must be equal before and after every refused cell. */
  readback?(fx: Fixtures, vars: Vars): Promise<unknown>;
  /** Viewers who may run the mutation but must not change the owner's readback (e.g. a view count). */
  readonly unchangedFor?: readonly Viewer[];
  /** Run as a fresh account of the viewer's kind (its own data is destroyed by the mutation). */
  readonly freshAccount?: boolean;
  /** A filtered list: an empty page (or list) means the viewer was refused. */
  readonly emptyMeansDeny?: boolean;
  /** Selection depth of the result (default 3 for queries, 1 for mutations). */
  readonly depth?: number;
  /** Restores the fixtures after a cell that legitimately changed shared state. */
  after?(fx: Fixtures, viewer: Viewer): Promise<void>;
}

const markerOf = (fx: Fixtures, what: string) =>
  fx.markers.find((marker) => marker.what === what)?.value ?? '';

/** Every row: the reads here, the mutations in authorization-mutations.ts. */
export function rows(): Row[] {
  return [...queryRows(), ...mutationRows()];
}

function queryRows(): Row[] {
  return [
    // -- Query ---------------------------------------------------------------------------------
    { field: 'Query.me', expect: { anonymous: 'deny' } },
    { field: 'Query.user', sig: 'id: ID!', vars: (fx) => ({ id: fx.accounts.owner.id }) },
    {
      field: 'Query.userByUsername',
      sig: 'username: String!',
      vars: (fx) => ({ username: fx.accounts.owner.username }),
    },
    { field: 'Query.sessions' },
    { field: 'Query.users', sig: 'first: Int', vars: () => ({ first: 50 }), depth: 2 },
    { field: 'Query.jwks' },
    { field: 'Query.conversations' },
    { field: 'Query.conversation', sig: 'id: ID!', vars: (fx) => ({ id: fx.ids.direct }) },
    {
      field: 'Query.messages',
      sig: 'conversationId: ID!',
      vars: (fx) => ({ conversationId: fx.ids.direct }),
    },
    { field: 'Query.message', sig: 'id: ID!', vars: (fx) => ({ id: fx.ids.message }) },
    {
      field: 'Query.searchMessages',
      sig: 'query: String!',
      vars: (fx) => ({ query: markerOf(fx, 'direct message') }),
    },
    { field: 'Query.totalUnreadCount' },
    { field: 'Query.feed' },
    { field: 'Query.explore' },
    {
      field: 'Query.post',
      label: 'FRIENDS post',
      sig: 'id: ID!',
      vars: (fx) => ({ id: fx.ids.friendsPost }),
    },
    {
      field: 'Query.post',
      label: 'PRIVATE post',
      access: 'owner',
      sig: 'id: ID!',
      vars: (fx) => ({ id: fx.ids.privatePost }),
    },
    {
      field: 'Query.post',
      label: 'CUSTOM post shared with the friend',
      sig: 'id: ID!',
      vars: (fx) => ({ id: fx.ids.customPost }),
    },
    {
      field: 'Query.post',
      label: 'PUBLIC post',
      access: 'public',
      expect: { anonymous: 'deny', blocked: 'deny' },
      sig: 'id: ID!',
      vars: (fx) => ({ id: fx.ids.publicPost }),
    },
    { field: 'Query.comment', sig: 'id: ID!', vars: (fx) => ({ id: fx.ids.friendsComment }) },
    { field: 'Query.userPosts', sig: 'userId: ID!', vars: (fx) => ({ userId: fx.accounts.owner.id }) },
    { field: 'Query.archivedPosts' },
    { field: 'Query.postsByHashtag', sig: 'tag: String!', vars: (fx) => ({ tag: fx.ids.publicTag }) },
    {
      field: 'Query.searchPosts',
      sig: 'query: String!',
      vars: (fx) => ({ query: markerOf(fx, 'friends-only post') }),
    },
    { field: 'Query.hashtag', sig: 'tag: String!', vars: (fx) => ({ tag: fx.ids.publicTag }) },
    { field: 'Query.trendingHashtags' },
    { field: 'Query.media', sig: 'id: ID!', vars: (fx) => ({ id: fx.ids.privateMedia }) },
    { field: 'Query.myMedia' },
    {
      field: 'Query.searchMedia',
      sig: 'query: String!',
      vars: (fx) => ({ query: markerOf(fx, 'private file description') }),
    },
    { field: 'Query.notifications' },
    { field: 'Query.notification', sig: 'id: ID!', vars: (fx) => ({ id: fx.ids.notification }) },
    { field: 'Query.unreadNotificationCount' },
    {
      field: 'Query.profile',
      sig: 'username: String!',
      vars: (fx) => ({ username: fx.accounts.owner.username }),
    },
    {
      field: 'Query.searchUsers',
      sig: 'query: String!',
      vars: (fx) => ({ query: fx.accounts.owner.username }),
    },
    {
      field: 'Query.friendRequests',
      sig: 'direction: FriendRequestDirection!',
      vars: () => ({ direction: 'INCOMING' }),
    },
    { field: 'Query.friendSuggestions' },
    {
      field: 'Query.activities',
      sig: 'userId: ID',
      vars: (fx) => ({ userId: fx.accounts.owner.id }),
      emptyMeansDeny: true,
      expect: { admin: 'allow' },
    },
    { field: 'Query.blockedUsers' },
  ];
}

/** Subscriptions: each viewer subscribes to the owner's streams; events are then triggered. */
export interface SubscriptionRow {
  readonly field: string;
  readonly sig?: string;
  vars?(fx: Fixtures): Vars;
  readonly depth?: number;
}

export function subscriptionRows(): SubscriptionRow[] {
  return [
    {
      field: 'Subscription.conversationEvents',
      sig: 'conversationId: ID!',
      vars: (fx) => ({ conversationId: fx.ids.direct }),
    },
    { field: 'Subscription.myConversationsUpdated' },
    {
      field: 'Subscription.typing',
      sig: 'conversationId: ID!',
      vars: (fx) => ({ conversationId: fx.ids.direct }),
    },
    {
      field: 'Subscription.presenceChanged',
      sig: 'userIds: [ID!]!',
      vars: (fx) => ({ userIds: [fx.accounts.owner.id] }),
    },
    { field: 'Subscription.notificationAdded' },
    { field: 'Subscription.unreadNotificationCountChanged' },
  ];
}
