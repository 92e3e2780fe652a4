/**
 * Shared set-up of the federated subscription tests: the chat testbed (real accounts that chat's
 * replica knows, chat operations through the gateway) and subscriptions through the gateway only.
 */
import type { SubscriptionHandle, TestAccount } from '@social/testing';
import { startChatTestbed, type ChatTestbed } from '../../subgraphs/chat/test/helpers.js';
import { makePng, processed, upload } from '../../subgraphs/media/test/helpers.js';

export type { ChatTestbed } from '../../subgraphs/chat/test/helpers.js';
export { chatClient } from '../../subgraphs/chat/test/operations.js';

export function startSubscriptionTestbed(env: Record<string, string> = {}): Promise<ChatTestbed> {
  return startChatTestbed({ env: { EVENT_WAIT_MS: '5000', ...env } });
}

/** New messages of a conversation with their sender's profile fields (owned by profile). */
export const MESSAGES_WITH_SENDERS = `subscription Watch($id: ID!) {
  conversationEvents(conversationId: $id) {
    ... on MessageAddedEvent { message { content sender { displayName avatarUrl } } }
  }
}`;

export interface MessageEvent {
  conversationEvents: {
    message?: { content: string; sender: { displayName: string | null; avatarUrl: string | null } };
  };
}

/** The chat channel a conversation's subscribers listen on. */
export const conversationChannel = (conversationId: string) => `chat:conversation:${conversationId}`;

/**
 * Subscribes through the gateway and resolves once chat listens for it (`count` listeners on the
 * conversation in all), so what is sent next is delivered.
 */
export async function watch<T>(
  bed: ChatTestbed,
  query: string,
  variables: Record<string, unknown>,
  as: TestAccount | undefined,
  listeners: { channel: string; count: number },
): Promise<SubscriptionHandle<T>> {
  const subscription = bed.supergraph.subscribe<T>(query, variables, as ? { token: as.token } : {});
  await subscription.connected;
  await bed.listening(listeners.channel, listeners.count);
  return subscription;
}

/** The next event's data; its errors fail the test. */
export async function nextData<T>(subscription: SubscriptionHandle<T>, timeoutMs = 10_000): Promise<T> {
  const event = await subscription.next(timeoutMs);
  if (event.errors?.length || !event.data) throw new Error(`event failed: ${JSON.stringify(event)}`);
  return event.data;
}

/** Renames an account (profile's updateProfile through the gateway). */
export async function rename(bed: ChatTestbed, account: TestAccount, displayName: string): Promise<void> {
  await bed.run(
    'mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { displayName } }',
    { input: { displayName } },
    account,
  );
}

/** Gives an account a real avatar (a PNG uploaded to media, processed, set in profile); its URL. */
export async function setAvatar(bed: ChatTestbed, account: TestAccount): Promise<string> {
  const png = await makePng(32, 32);
  const ticket = await upload(
    bed.supergraph,
    account.token,
    { fileName: 'me.png', mimeType: 'image/png', category: 'PROFILE', isPublic: true },
    png,
  );
  await processed(bed.supergraph, ticket.mediaId, account.token);
  const data = await bed.run<{ updateProfile: { avatarUrl: string | null } }>(
    'mutation ($id: ID) { updateProfile(input: { avatarMediaId: $id }) { avatarUrl } }',
    { id: ticket.mediaId },
    account,
  );
  if (!data.updateProfile.avatarUrl) throw new Error('the avatar was not set');
  return data.updateProfile.avatarUrl;
}
