import type { NotificationSettings, PrivacySettings, ProfileDocument } from './data/collections.js';
import type { NotificationSettingsSnapshot, PrivacySnapshot, ProfileIdentity } from './events.js';
import { graphqlName, PROFILE_AUDIENCE, PROFILE_VISIBILITY } from './resolvers/enums.js';

/** Event payload parts built from stored documents (GraphQL enum names, ISO dates). */
export function identityOf(profile: ProfileDocument): ProfileIdentity {
  return {
    userId: profile.userId,
    username: profile.username,
    displayName: profile.displayName,
    avatarUrl: profile.avatarUrl,
  };
}

export function privacySnapshot(settings: PrivacySettings): PrivacySnapshot {
  return {
    ...settings,
    profileVisibility: graphqlName(PROFILE_VISIBILITY, settings.profileVisibility),
    allowMessages: graphqlName(PROFILE_AUDIENCE, settings.allowMessages),
    allowTagging: graphqlName(PROFILE_AUDIENCE, settings.allowTagging),
    allowMentions: graphqlName(PROFILE_AUDIENCE, settings.allowMentions),
  };
}

export function notificationSnapshot(settings: NotificationSettings): NotificationSettingsSnapshot {
  return { ...settings };
}
