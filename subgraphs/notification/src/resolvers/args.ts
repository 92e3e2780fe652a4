import { badUserInput, decodeListCursor, OBJECT_ID_PATTERN } from '@social/kit';
import { ObjectId } from 'mongodb';
import { LIMITS } from '../config.js';
import type { NotificationDocument } from '../data/collections.js';
import type { InboxPosition } from '../data/inbox.js';

/** Argument checks shared by the resolvers: ids, cursors, the actors count. */

/** A notification id argument: BAD_USER_INPUT naming `field` unless it is an ObjectId. */
export function notificationIdArg(value: string, field = 'id'): ObjectId {
  if (!OBJECT_ID_PATTERN.test(value)) throw badUserInput(`${field} is not a valid notification id`, field);
  return new ObjectId(value.toLowerCase());
}

/** Cursors name their list, so a cursor of another list is BAD_USER_INPUT, not a wrong page. */
export const INBOX_LIST = 'notifications';

export const inboxCursor = (doc: NotificationDocument) => [
  INBOX_LIST,
  doc.lastEventAt.getTime(),
  doc._id.toHexString(),
];

export function inboxPosition(cursor: string, argName = 'after'): InboxPosition {
  const [time, id] = decodeListCursor(INBOX_LIST, cursor, 2, argName);
  if (
    typeof time !== 'number' ||
    !Number.isInteger(time) ||
    Math.abs(time) > 8.64e15 ||
    typeof id !== 'string' ||
    !OBJECT_ID_PATTERN.test(id)
  ) {
    throw badUserInput(`${argName} is not a valid cursor`, argName);
  }
  return { lastEventAt: new Date(time), id: new ObjectId(id) };
}

export const ACTORS_DEFAULT = 3;
export const ACTORS_MAX = LIMITS.actorsMax;

export function actorsCount(first: number | null | undefined): number {
  if (first === null || first === undefined) return ACTORS_DEFAULT;
  if (!Number.isInteger(first) || first < 1 || first > ACTORS_MAX) {
    throw badUserInput(`first must be between 1 and ${ACTORS_MAX}`, 'first');
  }
  return first;
}
