import type { StoredConversationType, StoredMessageType, StoredRole } from './data/collections.js';
import type { ConversationTypeName, MessageTypeName, ParticipantRoleName } from './events.js';

/**
 * GraphQL enum names → the seed's stored values: resolvers return stored documents unchanged and
 * receive stored values in arguments (e.g. `messageType: TEXT` arrives as 'Text'); events carry
 * the GraphQL names.
 */
export const CONVERSATION_TYPE = {
  ONE_ON_ONE: 'OneOnOne',
  GROUP: 'Group',
} as const satisfies Record<ConversationTypeName, StoredConversationType>;

export const PARTICIPANT_ROLE = {
  ADMIN: 'Admin',
  MEMBER: 'Member',
} as const satisfies Record<ParticipantRoleName, StoredRole>;

export const MESSAGE_TYPE = {
  TEXT: 'Text',
  MEDIA: 'Media',
  FILE: 'File',
  VOICE: 'Voice',
  LOCATION: 'Location',
  CONTACT: 'Contact',
  SYSTEM: 'System',
} as const satisfies Record<MessageTypeName, StoredMessageType>;

/** Stored value → GraphQL name, for event payloads. */
export function graphqlName<T extends Record<string, string>>(
  values: T,
  stored: T[keyof T],
): keyof T & string {
  const entry = Object.entries(values).find(([, value]) => value === stored);
  if (!entry) throw new Error(`Unknown stored value ${stored}`);
  return entry[0] as keyof T & string;
}

export const enumResolvers = {
  ConversationType: CONVERSATION_TYPE,
  ConversationParticipantRole: PARTICIPANT_ROLE,
  MessageType: MESSAGE_TYPE,
};
