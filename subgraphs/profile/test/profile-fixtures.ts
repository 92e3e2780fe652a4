import type { EventEnvelope } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { randomUUID } from 'node:crypto';
import { ObjectId } from 'mongodb';
import type { ProfileTestbed } from './helpers.js';

/** Operations and set-ups the profile-* tests share, written as a client would. */

export interface GraphQLErrorShape {
  readonly message: string;
  readonly extensions?: Record<string, unknown>;
}

/** Runs an operation and returns its data, failing the test on any error. */
export async function ok<T = Record<string, unknown>>(
  bed: ProfileTestbed,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const response = await bed.supergraph.query<T>(query, variables, token ? { token } : {});
  if (response.errors?.length || !response.data) {
    throw new Error(`operation failed: ${JSON.stringify(response.errors ?? response)}`);
  }
  return response.data;
}

/** Runs an operation expected to fail and returns its first error. */
export async function fails(
  bed: ProfileTestbed,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLErrorShape> {
  const response = await bed.supergraph.query(query, variables, token ? { token } : {});
  const error = response.errors?.[0];
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(response.data)}`);
  return error;
}

export const UPDATE_PROFILE = `mutation ($input: UpdateProfileInput!) {
  updateProfile(input: $input) { id displayName bio tagline avatarUrl avatar { id } coverImageUrl coverImage { id }
    dateOfBirth gender website interests location { city state country coordinates { latitude longitude } }
    socialLinks { linkedin twitter github instagram facebook } }
}`;

export const UPDATE_PRIVACY = `mutation ($input: UpdatePrivacySettingsInput!) {
  updatePrivacySettings(input: $input) {
    profileVisibility showEmail showPhoneNumber showDateOfBirth showLocation showOnlineStatus showLastSeen
    allowFriendRequests allowMessages showEducation showExperience showConnections allowTagging allowMentions
  }
}`;

export async function updateProfile(
  bed: ProfileTestbed,
  account: TestAccount,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const data = await ok<{ updateProfile: Record<string, unknown> }>(
    bed,
    UPDATE_PROFILE,
    { input },
    account.token,
  );
  return data.updateProfile;
}

export async function setPrivacy(
  bed: ProfileTestbed,
  account: TestAccount,
  input: Record<string, unknown>,
): Promise<void> {
  await ok(bed, UPDATE_PRIVACY, { input }, account.token);
}

/** Makes two accounts friends the way users do: a request and its acceptance. */
export async function befriend(bed: ProfileTestbed, a: TestAccount, b: TestAccount): Promise<void> {
  const sent = await ok<{ sendFriendRequest: { id: string } }>(
    bed,
    'mutation ($id: ID!) { sendFriendRequest(userId: $id) { id } }',
    { id: b.id },
    a.token,
  );
  await ok(
    bed,
    'mutation ($id: ID!) { respondToFriendRequest(requestId: $id, accept: true) { status } }',
    { id: sent.sendFriendRequest.id },
    b.token,
  );
}

export async function block(bed: ProfileTestbed, blocker: TestAccount, blocked: TestAccount): Promise<void> {
  await ok(bed, 'mutation ($id: ID!) { block(userId: $id) { id } }', { id: blocked.id }, blocker.token);
}

/** A letters-only word unlikely to appear anywhere else (text search tokens split on digits). */
export function uniqueWord(prefix = 'q'): string {
  const letters = randomUUID()
    .replace(/[^a-f]/g, '')
    .slice(0, 8)
    .replace(/./g, (c) => String.fromCharCode(c.charCodeAt(0) + 10));
  return `${prefix}${letters}zk`;
}

/** Collects the events of one producer's stream from now on (a consumer group of the test's own). */
export async function recordEvents(
  bed: ProfileTestbed,
  producer: string,
): Promise<{ events: EventEnvelope[]; stop(): Promise<void> }> {
  const events: EventEnvelope[] = [];
  const subscription = await bed.supergraph.stack.resources.events.subscribe(
    producer,
    `test-${randomUUID().slice(0, 8)}`,
    async (event) => {
      events.push(event);
    },
    { blockMs: 100 },
  );
  return { events, stop: () => subscription.stop() };
}

/** A media file id as media makes them (an ObjectId in hex). */
export const newMediaId = () => new ObjectId().toHexString();

/** Media's events about an image `ownerId` uploaded and media processed (as media publishes them). */
export async function publishImage(
  bed: ProfileTestbed,
  ownerId: string,
  options: { isPublic?: boolean; fileType?: string; processed?: boolean; category?: string } = {},
): Promise<{ mediaId: string; webUrl: string }> {
  const mediaId = newMediaId();
  const events = bed.supergraph.stack.resources.events;
  const common = {
    mediaId,
    ownerId,
    fileType: options.fileType ?? 'IMAGE',
    mimeType: options.fileType === 'VIDEO' ? 'video/mp4' : 'image/png',
    category: options.category ?? 'PROFILE',
    isPublic: options.isPublic ?? true,
  };
  const webUrl = `https://cdn.example.com/${mediaId}/web.webp`;
  await events.publish('media', 'MediaUploaded', {
    ...common,
    fileSize: 1234,
    uploadedAt: new Date().toISOString(),
  });
  if (options.processed ?? true) {
    await events.publish('media', 'MediaProcessed', {
      ...common,
      status: 'COMPLETED',
      url: `https://cdn.example.com/${mediaId}/original.png`,
      webUrl,
      thumbnailUrl: `https://cdn.example.com/${mediaId}/thumb.webp`,
      width: 800,
      height: 600,
      duration: null,
      processingError: null,
    });
  }
  return { mediaId, webUrl };
}

/** Resolves once the profile service has recorded media's events about `mediaId`. */
export async function mediaKnown(bed: ProfileTestbed, mediaId: string, status = 'COMPLETED'): Promise<void> {
  await bed.eventually(
    () => bed.db.collection('media_refs').findOne({ _id: mediaId as never }),
    (ref) => ref?.status === status,
  );
}

/** The first recorded event of `type` about `userId` (waiting for the outbox to relay it). */
export function firstEvent(
  bed: ProfileTestbed,
  recorder: { events: EventEnvelope[] },
  type: string,
  userId: string,
  where: (data: Record<string, unknown>) => boolean = () => true,
): Promise<EventEnvelope<Record<string, unknown>>> {
  return bed.eventually(
    async () =>
      recorder.events.find(
        (e) =>
          e.type === type &&
          (e.data as { userId: string }).userId === userId &&
          where(e.data as Record<string, unknown>),
      ),
    (event) => event !== undefined,
  ) as Promise<EventEnvelope<Record<string, unknown>>>;
}
