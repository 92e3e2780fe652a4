/**
 * The Mutation rows of the authorization matrix (see authorization-cells.ts for what a row is).
 * Destructive mutations get a fresh target per cell; the owner's cell runs last, so every refused
 * cell meets the owner's data intact and the owner reads it back unchanged.
 */
import { randomUUID } from 'node:crypto';
import type { Fixtures } from './authorization-fixtures.js';
import type { Row } from './authorization-cells.js';

type Vars = Record<string, unknown>;

const id = () => randomUUID().replaceAll('-', '').slice(0, 10);
const read =
  (query: string, pick: (data: Record<string, unknown>) => unknown = (data) => data) =>
  async (fx: Fixtures, vars: Vars) =>
    pick(await fx.run(query, vars));

/** Reads a post as the owner. */
const postState = (fx: Fixtures, postId: unknown) =>
  fx.run(
    'query ($id: ID!) { post(id: $id) { content visibility isPinned isArchived likesCount commentsCount sharesCount viewsCount poll { votersCount } } }',
    { id: postId },
  );
const groupState = read(
  'query ($conversationId: ID!) { conversation(id: $conversationId) { name description participantsCount messagesCount lastSequence isMuted isArchived participants { role user { id } } } }',
);
const ownerProfile = read(
  '{ me { id education { id school } experience { id company } certifications { id name } skills { name } languages { language } } }',
);

export function mutationRows(): Row[] {
  return [
    // -- Mutation: accounts (auth) ----------------------------------------------------------------
    {
      field: 'Mutation.register',
      sig: 'input: RegisterInput!',
      vars: () => {
        const name = `reg_${id()}`;
        return {
          input: {
            username: name,
            email: `${name}@example.com`,
            password: `Sturdy-${id()}-Pass!`,
            firstName: 'A',
            lastName: 'B',
          },
        };
      },
    },
    {
      field: 'Mutation.verifyEmail',
      sig: 'input: VerifyEmailInput!',
      async vars(fx) {
        const account = await fx.sg.user({ verify: false });
        const mail = await fx.sg.latestMail(account.email, 'email-verification');
        return { input: { email: account.email, code: mail?.data?.code } };
      },
    },
    {
      field: 'Mutation.resendVerificationCode',
      sig: 'email: String!',
      vars: () => ({ email: `nobody_${id()}@example.com` }),
    },
    {
      field: 'Mutation.login',
      sig: 'input: LoginInput!',
      async vars(fx) {
        const account = await fx.sg.user({ verify: false });
        await fx.run('mutation ($input: VerifyEmailInput!) { verifyEmail(input: $input) }', {
          input: {
            email: account.email,
            code: (await fx.sg.latestMail(account.email, 'email-verification'))?.data?.code,
          },
        });
        return { input: { identifier: account.username, password: account.password } };
      },
    },
    {
      field: 'Mutation.refreshToken',
      sig: 'token: String!',
      async vars(fx) {
        const tokens = await fx.sg.login(fx.accounts.confidant.username, fx.accounts.confidant.password);
        return { token: tokens.refreshToken };
      },
    },
    { field: 'Mutation.logout', freshAccount: true },
    {
      field: 'Mutation.revokeSession',
      sig: 'id: ID!',
      async vars(fx) {
        return { id: (await fx.sg.login(fx.accounts.owner.username, fx.accounts.owner.password)).sessionId };
      },
      readback: read('{ sessions { id } }', (data) => (data.sessions as unknown[]).length),
    },
    {
      field: 'Mutation.requestPasswordReset',
      sig: 'email: String!',
      vars: (fx) => ({ email: fx.accounts.owner.email }),
    },
    {
      field: 'Mutation.resetPassword',
      label: 'with a made-up token',
      sig: 'input: ResetPasswordInput!',
      vars: () => ({ input: { token: `bogus-${id()}`, newPassword: `Another-${id()}-Pass!` } }),
      expect: {
        anonymous: 'reject',
        stranger: 'reject',
        friend: 'reject',
        owner: 'reject',
        blocked: 'reject',
        admin: 'reject',
      },
    },
    {
      field: 'Mutation.changePassword',
      sig: 'input: ChangePasswordInput!',
      freshAccount: true,
      vars: (_fx, _viewer, account) => ({
        input: {
          currentPassword: account?.password ?? 'whatever-Pass1!',
          newPassword: `Changed-${id()}-Pass!`,
        },
      }),
    },
    {
      field: 'Mutation.changeEmail',
      sig: 'input: ChangeEmailInput!',
      freshAccount: true,
      vars: (_fx, _viewer, account) => ({
        input: {
          newEmail: `changed_${id()}@example.com`,
          currentPassword: account?.password ?? 'whatever-Pass1!',
        },
      }),
    },
    {
      field: 'Mutation.updateAccount',
      sig: 'input: UpdateAccountInput!',
      vars: () => ({ input: { lastName: 'Renamed' } }),
    },
    {
      field: 'Mutation.deleteAccount',
      sig: 'password: String!',
      freshAccount: true,
      vars: (_fx, _viewer, account) => ({ password: account?.password ?? 'whatever-Pass1!' }),
    },
    ...(['setAccountStatus', 'setUserRole'] as const).map((name): Row => ({
      field: `Mutation.${name}`,
      sig:
        name === 'setAccountStatus' ? 'userId: ID!, status: AccountStatus!' : 'userId: ID!, role: UserRole!',
      async vars(fx) {
        const target = await fx.sg.user();
        return name === 'setAccountStatus'
          ? { userId: target.id, status: 'INACTIVE' }
          : { userId: target.id, role: 'MODERATOR' };
      },
      readback: read('query ($userId: ID!) { user(id: $userId) { role accountStatus } }'),
    })),

    // -- Mutation: chat -----------------------------------------------------------------------------
    {
      field: 'Mutation.startDirectConversation',
      sig: 'userId: ID!',
      vars: (fx) => ({ userId: fx.accounts.owner.id }),
      // The owner takes messages from friends only (allowMessages FRIENDS), never across a block.
      access: 'friend-visible',
      expect: { owner: 'reject' },
    },
    {
      field: 'Mutation.createGroup',
      sig: 'input: CreateGroupInput!',
      vars: (fx) => ({ input: { name: `group ${id()}`, participantIds: [fx.accounts.owner.id] } }),
      // Adding the owner to a group is messaging the owner: friends only, as above.
      access: 'friend-visible',
      expect: { owner: 'reject' },
    },
    {
      field: 'Mutation.updateGroup',
      sig: 'input: UpdateGroupInput!',
      vars: (fx) => ({ input: { conversationId: fx.ids.group, description: `changed ${id()}` } }),
      readback: (fx) => groupState(fx, { conversationId: fx.ids.group }),
    },
    ...(['addParticipants', 'removeParticipant', 'leaveConversation', 'setParticipantRole'] as const).map(
      (name): Row => ({
        field: `Mutation.${name}`,
        sig: {
          addParticipants: 'conversationId: ID!, userIds: [ID!]!',
          removeParticipant: 'conversationId: ID!, userId: ID!',
          leaveConversation: 'conversationId: ID!',
          setParticipantRole: 'input: SetParticipantRoleInput!',
        }[name],
        async vars(fx) {
          const conversationId = await fx.group();
          const { confidant, friend } = fx.accounts;
          return {
            addParticipants: { conversationId, userIds: [friend.id] },
            removeParticipant: { conversationId, userId: confidant.id },
            leaveConversation: { conversationId },
            setParticipantRole: { input: { conversationId, userId: confidant.id, role: 'ADMIN' } },
          }[name];
        },
        readback: (fx, vars) =>
          groupState(fx, { conversationId: vars.conversationId ?? (vars.input as Vars).conversationId }),
      }),
    ),
    ...(['muteConversation', 'archiveConversation'] as const).map((name): Row => ({
      field: `Mutation.${name}`,
      sig: `conversationId: ID!, ${name === 'muteConversation' ? 'muted' : 'archived'}: Boolean!`,
      vars: (fx) => ({ conversationId: fx.ids.direct, muted: true, archived: false }),
      readback: (fx) => groupState(fx, { conversationId: fx.ids.direct }),
    })),
    {
      field: 'Mutation.sendMessage',
      sig: 'input: SendMessageInput!',
      vars: (fx) => ({
        input: { conversationId: fx.ids.group, clientMessageId: id(), messageType: 'TEXT', content: 'hi' },
      }),
      readback: (fx) => groupState(fx, { conversationId: fx.ids.group }),
    },
    ...(['editMessage', 'deleteMessage'] as const).map((name): Row => ({
      field: `Mutation.${name}`,
      sig:
        name === 'editMessage' ? 'messageId: ID!, content: String!' : 'messageId: ID!, forEveryone: Boolean!',
      async vars(fx) {
        return { messageId: await fx.message('to change'), content: 'changed', forEveryone: true };
      },
      readback: read('query ($messageId: ID!) { message(id: $messageId) { content isDeleted isEdited } }'),
    })),
    ...(['reactToMessage', 'unreactToMessage'] as const).map((name): Row => ({
      field: `Mutation.${name}`,
      sig: name === 'reactToMessage' ? 'messageId: ID!, emoji: String!' : 'messageId: ID!',
      async vars(fx) {
        const messageId = await fx.message('react to me');
        // The owner's own reaction, for the owner to take back.
        if (name === 'unreactToMessage') {
          await fx.run(
            'mutation ($messageId: ID!) { reactToMessage(messageId: $messageId, emoji: "🎉") { id } }',
            {
              messageId,
            },
          );
        }
        return { messageId, emoji: '👍' };
      },
      readback: read('query ($messageId: ID!) { message(id: $messageId) { reactions { emoji count } } }'),
    })),
    ...(['markRead', 'markDelivered', 'setTyping'] as const).map((name): Row => ({
      field: `Mutation.${name}`,
      sig: {
        markRead: 'conversationId: ID!',
        markDelivered: 'conversationId: ID!, upToMessageId: ID!',
        setTyping: 'conversationId: ID!, isTyping: Boolean!',
      }[name],
      vars: (fx) => ({ conversationId: fx.ids.group, upToMessageId: fx.ids.groupMessage, isTyping: true }),
      readback: (fx) => groupState(fx, { conversationId: fx.ids.group }),
    })),

    // -- Mutation: feed -----------------------------------------------------------------------------
    {
      field: 'Mutation.createPost',
      sig: 'input: CreatePostInput!',
      vars: () => ({ input: { postType: 'TEXT', visibility: 'PUBLIC', content: 'my own post' } }),
    },
    ...(['editPost', 'deletePost', 'pinPost', 'archivePost'] as const).map((name): Row => ({
      field: `Mutation.${name}`,
      sig: {
        editPost: 'input: EditPostInput!',
        deletePost: 'id: ID!',
        pinPost: 'id: ID!, pinned: Boolean!',
        archivePost: 'id: ID!, archived: Boolean!',
      }[name],
      async vars(fx) {
        const postId = await fx.post('PUBLIC', 'public, to be changed');
        return name === 'editPost'
          ? { input: { postId, content: 'changed', visibility: 'PUBLIC' } }
          : { id: postId, pinned: true, archived: true };
      },
      readback: (fx, vars) => postState(fx, vars.id ?? (vars.input as Vars).postId),
    })),
    {
      field: 'Mutation.markPostsViewed',
      sig: 'ids: [ID!]!',
      vars: (fx) => ({ ids: [fx.ids.privatePost] }),
      // Views of a post one may not see are not counted.
      unchangedFor: ['stranger', 'friend', 'blocked', 'admin'],
      readback: (fx) => postState(fx, fx.ids.privatePost),
    },
    ...(['react', 'unreact'] as const).map((name): Row => ({
      field: `Mutation.${name}`,
      sig: name === 'react' ? 'input: ReactInput!' : 'entityId: ID!, entityType: FeedReactionTargetType!',
      async vars(fx, _viewer, account) {
        const postId = await fx.post('FRIENDS', 'react to me');
        // The viewer's reaction, if the viewer could make one, for the viewer to take back.
        if (name === 'unreact' && account) {
          await fx.ops
            .run(
              'mutation ($input: ReactInput!) { react(input: $input) { __typename } }',
              {
                input: { entityId: postId, entityType: 'POST', reaction: 'LOVE' },
              },
              account,
            )
            .catch(() => undefined);
        }
        return {
          input: { entityId: postId, entityType: 'POST', reaction: 'LIKE' },
          entityId: postId,
          entityType: 'POST',
          postId,
        };
      },
      readback: (fx, vars) => postState(fx, vars.postId),
    })),
    {
      field: 'Mutation.addComment',
      sig: 'input: AddCommentInput!',
      vars: (fx) => ({ input: { postId: fx.ids.friendsPost, content: 'a comment' } }),
      readback: (fx) => postState(fx, fx.ids.friendsPost),
    },
    ...(['editComment', 'deleteComment'] as const).map((name): Row => ({
      field: `Mutation.${name}`,
      sig: name === 'editComment' ? 'id: ID!, content: String!' : 'id: ID!',
      async vars(fx) {
        const made = await fx.run<{ addComment: { id: string } }>(
          'mutation ($input: AddCommentInput!) { addComment(input: $input) { id } }',
          { input: { postId: fx.ids.publicPost, content: 'to be changed' } },
        );
        return { id: made.addComment.id, content: 'changed' };
      },
      readback: read('query ($id: ID!) { comment(id: $id) { content isDeleted } }'),
    })),
    {
      field: 'Mutation.likeComment',
      sig: 'id: ID!',
      vars: (fx) => ({ id: fx.ids.friendsComment }),
      readback: read('query ($id: ID!) { comment(id: $id) { likesCount } }'),
    },
    {
      field: 'Mutation.sharePost',
      sig: 'input: SharePostInput!',
      vars: (fx) => ({ input: { postId: fx.ids.publicPost, visibility: 'PUBLIC' } }),
      access: 'authenticated',
      expect: { blocked: 'deny' },
      readback: (fx) => postState(fx, fx.ids.publicPost),
    },
    {
      field: 'Mutation.votePoll',
      sig: 'postId: ID!, optionIds: [ID!]!',
      vars: (fx) => ({ postId: fx.ids.pollPost, optionIds: [fx.ids.pollOption] }),
      readback: (fx) => postState(fx, fx.ids.pollPost),
    },

    // -- Mutation: media ------------------------------------------------------------------------------
    {
      field: 'Mutation.requestUpload',
      sig: 'input: RequestUploadInput!',
      vars: () => ({
        input: { fileName: 'mine.png', mimeType: 'image/png', fileSize: 100, category: 'POST' },
      }),
    },
    ...(['updateMedia', 'deleteMedia', 'attachMedia', 'detachMedia'] as const).map((name): Row => ({
      field: `Mutation.${name}`,
      sig: {
        updateMedia: 'id: ID!, input: UpdateMediaInput!',
        deleteMedia: 'id: ID!',
        attachMedia: 'input: MediaUsageInput!',
        detachMedia: 'input: MediaUsageInput!',
      }[name],
      async vars(fx) {
        const mediaId = await fx.media();
        const usage = { mediaIds: [mediaId], entityType: 'POST', entityId: fx.ids.privatePost };
        if (name === 'detachMedia') {
          await fx.run('mutation ($input: MediaUsageInput!) { attachMedia(input: $input) { id } }', {
            input: usage,
          });
        }
        return {
          id: mediaId,
          input: name === 'updateMedia' ? { description: 'changed', isPublic: true } : usage,
        };
      },
      // Staff may delete any file (moderation: media's ownFile with moderatorsToo).
      ...(name === 'deleteMedia' ? { expect: { admin: 'allow' as const } } : {}),
      readback: (fx, vars) =>
        read('query ($id: ID!) { media(id: $id) { description isPublic usageCount usedIn { entityId } } }')(
          fx,
          {
            id: vars.id,
          },
        ),
    })),

    // -- Mutation: notifications ------------------------------------------------------------------------
    {
      field: 'Mutation.markNotificationRead',
      sig: 'id: ID!',
      vars: (fx) => ({ id: fx.ids.notification }),
      readback: read('query ($id: ID!) { notification(id: $id) { isRead } }'),
    },
    { field: 'Mutation.markAllNotificationsRead' },
    {
      field: 'Mutation.deleteNotification',
      sig: 'id: ID!',
      // Deny cells run before the owner's (which deletes it): each reads back the notification.
      vars: (fx) => ({ id: fx.ids.notification }),
      readback: read('query ($id: ID!) { notification(id: $id) { id } }'),
    },

    // -- Mutation: profile --------------------------------------------------------------------------
    {
      field: 'Mutation.updateProfile',
      sig: 'input: UpdateProfileInput!',
      vars: () => ({ input: { tagline: 'hello' } }),
    },
    ...(['Education', 'Experience', 'Certification'] as const).flatMap((kind): Row[] => {
      const add = {
        Education: { school: 'Some School' },
        Experience: { company: 'Some Co', position: 'Dev' },
        Certification: { name: 'Some Cert' },
      }[kind];
      const create = async (fx: Fixtures) =>
        (
          await fx.run<Record<string, { id: string }>>(
            `mutation ($input: AddProfile${kind}Input!) { add${kind}(input: $input) { id } }`,
            { input: add },
          )
        )[`add${kind}`]?.id;
      return [
        { field: `Mutation.add${kind}`, sig: `input: AddProfile${kind}Input!`, vars: () => ({ input: add }) },
        {
          field: `Mutation.update${kind}`,
          sig: `input: UpdateProfile${kind}Input!`,
          vars: async (fx) => ({
            input: {
              id: await create(fx),
              ...{ Education: { school: 'X' }, Experience: { position: 'X' }, Certification: { name: 'X' } }[
                kind
              ],
            },
          }),
          readback: (fx) => ownerProfile(fx, {}),
        },
        {
          field: `Mutation.remove${kind}`,
          sig: 'id: ID!',
          vars: async (fx) => ({ id: await create(fx) }),
          readback: (fx) => ownerProfile(fx, {}),
        },
      ];
    }),
    {
      field: 'Mutation.addSkill',
      sig: 'input: AddProfileSkillInput!',
      vars: () => ({ input: { name: `skill${id()}` } }),
    },
    ...(['updateSkill', 'removeSkill', 'updateLanguage', 'removeLanguage'] as const).map((name): Row => ({
      field: `Mutation.${name}`,
      sig: {
        updateSkill: 'input: UpdateProfileSkillInput!',
        removeSkill: 'name: String!',
        updateLanguage: 'input: ProfileLanguageInput!',
        removeLanguage: 'language: String!',
      }[name],
      // By name on the viewer's own profile: the viewer adds it first.
      async vars(fx, _viewer, account) {
        const skill = `skill${id()}`;
        const language = `Lang${id()}`;
        if (account) {
          await fx.run(
            name.endsWith('Skill')
              ? 'mutation ($input: AddProfileSkillInput!) { addSkill(input: $input) { name } }'
              : 'mutation ($input: ProfileLanguageInput!) { addLanguage(input: $input) { language } }',
            { input: name.endsWith('Skill') ? { name: skill } : { language } },
            account,
          );
        }
        return {
          updateSkill: { input: { name: skill, level: 'EXPERT' } },
          removeSkill: { name: skill },
          updateLanguage: { input: { language, proficiency: 'NATIVE' } },
          removeLanguage: { language },
        }[name];
      },
      readback: (fx) => ownerProfile(fx, {}),
    })),
    {
      field: 'Mutation.addLanguage',
      sig: 'input: ProfileLanguageInput!',
      vars: () => ({ input: { language: `L${id()}` } }),
    },
    {
      field: 'Mutation.updatePrivacySettings',
      sig: 'input: UpdatePrivacySettingsInput!',
      // The owner re-applies its own settings; everyone else changes only their own.
      vars: () => ({ input: { profileVisibility: 'FRIENDS', showEmail: false } }),
    },
    {
      field: 'Mutation.updateNotificationSettings',
      sig: 'input: UpdateNotificationSettingsInput!',
      vars: () => ({ input: { emailNotifications: true } }),
    },
    {
      field: 'Mutation.updateAccountSettings',
      sig: 'input: UpdateAccountSettingsInput!',
      vars: () => ({ input: { theme: 'DARK' } }),
    },
    {
      field: 'Mutation.sendFriendRequest',
      sig: 'userId: ID!',
      vars: (fx) => ({ userId: fx.accounts.owner.id }),
      expect: { friend: 'reject', owner: 'reject', blocked: 'deny' },
    },
    ...(['respondToFriendRequest', 'cancelFriendRequest'] as const).map((name): Row => ({
      field: `Mutation.${name}`,
      sig: name === 'respondToFriendRequest' ? 'requestId: ID!, accept: Boolean!' : 'requestId: ID!',
      async vars(fx) {
        const other = await fx.sg.user();
        const [from, to] =
          name === 'respondToFriendRequest' ? [other, fx.accounts.owner] : [fx.accounts.owner, other];
        const sent = await fx.run<{ sendFriendRequest: { id: string } }>(
          'mutation ($id: ID!) { sendFriendRequest(userId: $id) { id } }',
          { id: to.id },
          from,
        );
        return { requestId: sent.sendFriendRequest.id, accept: true };
      },
      readback: read(
        '{ a: friendRequests(direction: INCOMING) { edges { node { id status } } } b: friendRequests(direction: OUTGOING) { edges { node { id status } } } }',
      ),
    })),
    {
      field: 'Mutation.follow',
      sig: 'userId: ID!',
      vars: (fx) => ({ userId: fx.accounts.owner.id }),
      expect: { owner: 'reject', blocked: 'deny' },
    },
    // Unfollowing or unblocking oneself is a harmless no-op.
    { field: 'Mutation.unfollow', sig: 'userId: ID!', vars: (fx) => ({ userId: fx.accounts.owner.id }) },
    { field: 'Mutation.setPresence', sig: 'online: Boolean!', vars: () => ({ online: true }) },
    // Last: these change the social graph around the owner; `after` puts it back.
    {
      field: 'Mutation.removeFriend',
      sig: 'userId: ID!',
      vars: (fx) => ({ userId: fx.accounts.owner.id }),
      expect: { owner: 'reject', stranger: 'reject', blocked: 'reject', admin: 'reject' },
      async after(fx, viewer) {
        if (viewer === 'friend') await fx.social.befriend(fx.accounts.owner, fx.accounts.friend);
      },
    },
    {
      field: 'Mutation.unblock',
      sig: 'userId: ID!',
      vars: (fx) => ({ userId: fx.accounts.owner.id }),
      // Everyone unblocks only in their own list: the owner's block of `blocked` stays.
      unchangedFor: ['stranger', 'friend', 'blocked', 'admin', 'owner'],
      readback: read('{ blockedUsers { edges { node { id } } } }'),
    },
    {
      field: 'Mutation.block',
      sig: 'userId: ID!',
      vars: (fx) => ({ userId: fx.accounts.owner.id }),
      expect: { owner: 'reject' },
      async after(fx, viewer) {
        const account = fx.as(viewer);
        if (!account || viewer === 'owner') return;
        await fx.social.unblock(account, fx.accounts.owner).catch(() => undefined);
        if (viewer === 'friend') await fx.social.befriend(fx.accounts.owner, fx.accounts.friend);
      },
    },
  ];
}
