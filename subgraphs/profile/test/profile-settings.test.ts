/**
 * The owner's settings (privacy, notifications, account): validated before anything is stored and
 * announced to the services that keep a copy of them.
 */
import type { EventEnvelope } from '@social/kit';
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import { UPDATE_PRIVACY, fails, firstEvent, ok, recordEvents } from './profile-fixtures.js';

let bed: ProfileTestbed;
let recorder: { events: EventEnvelope[]; stop(): Promise<void> };

beforeAll(async () => {
  bed = await startProfileTestbed({ EVENT_WAIT_MS: '1500' });
  recorder = await recordEvents(bed, 'profile');
});
afterAll(async () => {
  await recorder?.stop();
  await bed?.stop();
});

/** The first event of `type` about `userId` (waiting for it to be relayed). */
const eventFor = (type: string, userId: string, where?: (data: Record<string, unknown>) => boolean) =>
  firstEvent(bed, recorder, type, userId, where);

describe('settings', () => {
  test('privacy settings change and are announced with the full snapshot', async () => {
    const account = await bed.member();
    const { updatePrivacySettings } = await ok<{ updatePrivacySettings: Record<string, unknown> }>(
      bed,
      UPDATE_PRIVACY,
      {
        input: {
          profileVisibility: 'FRIENDS',
          allowMessages: 'FRIENDS',
          showEmail: true,
          showLocation: true,
        },
      },
      account.token,
    );
    expect(updatePrivacySettings).toMatchObject({
      profileVisibility: 'FRIENDS',
      allowMessages: 'FRIENDS',
      showEmail: true,
    });
    const event = await eventFor('PrivacySettingsChanged', account.id);
    expect(event.data).toMatchObject({
      userId: account.id,
      privacySettings: {
        profileVisibility: 'FRIENDS',
        allowMessages: 'FRIENDS',
        showEmail: true,
        allowTagging: 'EVERYONE',
      },
    });
    // showLocation was already on: only real changes are listed.
    expect([...(event.data.changed as string[])].sort()).toEqual([
      'allowMessages',
      'profileVisibility',
      'showEmail',
    ]);
    const nullSetting = await fails(bed, UPDATE_PRIVACY, { input: { showEmail: null } }, account.token);
    expect(nullSetting.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.showEmail' });
  });

  test('notification settings change and are announced', async () => {
    const account = await bed.member();
    const { updateNotificationSettings } = await ok<{ updateNotificationSettings: Record<string, unknown> }>(
      bed,
      `mutation { updateNotificationSettings(input: { likeNotifications: false, emailNotifications: false }) {
        likeNotifications emailNotifications pushNotifications } }`,
      {},
      account.token,
    );
    expect(updateNotificationSettings).toEqual({
      likeNotifications: false,
      emailNotifications: false,
      pushNotifications: true,
    });
    const event = await eventFor('NotificationSettingsChanged', account.id);
    expect(event.data).toMatchObject({
      notificationSettings: {
        likeNotifications: false,
        emailNotifications: false,
        mentionNotifications: true,
      },
    });
    expect([...(event.data.changed as string[])].sort()).toEqual(['emailNotifications', 'likeNotifications']);
  });

  test('account settings accept ISO 639-1 languages and IANA timezones only', async () => {
    const account = await bed.member();
    const UPDATE = `mutation ($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { language timezone dateFormat theme } }`;
    expect(
      await ok(
        bed,
        UPDATE,
        { input: { language: 'fr', timezone: 'europe/paris', dateFormat: 'DD_MM_YYYY', theme: 'DARK' } },
        account.token,
      ),
    ).toEqual({
      updateAccountSettings: {
        language: 'fr',
        timezone: 'Europe/Paris',
        dateFormat: 'DD_MM_YYYY',
        theme: 'DARK',
      },
    });
    for (const [input, field] of [
      [{ language: 'zz' }, 'input.language'],
      [{ language: 'FR' }, 'input.language'],
      [{ language: 'fra' }, 'input.language'],
      [{ timezone: 'Mars/Olympus_Mons' }, 'input.timezone'],
      [{ timezone: '+01:00' }, 'input.timezone'],
      [{ timezone: `Europe/${'x'.repeat(60)}` }, 'input.timezone'],
    ] as const) {
      const error = await fails(bed, UPDATE, { input }, account.token);
      expect({ field: error.extensions?.field, code: error.extensions?.code }).toEqual({
        field,
        code: 'BAD_USER_INPUT',
      });
    }
    const stored = await ok<{ me: { accountSettings: unknown } }>(
      bed,
      '{ me { accountSettings { language timezone } } }',
      {},
      account.token,
    );
    expect(stored.me.accountSettings).toEqual({ language: 'fr', timezone: 'Europe/Paris' });
  });
});
