import type { Role } from '@social/kit';
import type { AccountStatusName, RoleName } from '../events.js';

/**
 * GraphQL enum names ↔ the seed's stored values. The schema's enum resolvers (resolvers/enums.ts)
 * use the same tables, so resolvers pass stored values straight through.
 */
export const ROLE_VALUES = { USER: 'User', ADMIN: 'Admin', MODERATOR: 'Moderator' } as const satisfies Record<
  RoleName,
  string
>;
export const ACCOUNT_STATUS_VALUES = {
  ACTIVE: 'Active',
  INACTIVE: 'Inactive',
  SUSPENDED: 'Suspended',
  DELETED: 'Deleted',
} as const satisfies Record<AccountStatusName, string>;
export const LOGIN_STATUS_VALUES = {
  SUCCESS: 'Success',
  FAILED: 'Failed',
  LOCKED: 'Locked',
  UNVERIFIED: 'Unverified',
} as const;
export const DEVICE_TYPE_VALUES = { WEB: 'Web', MOBILE: 'Mobile', DESKTOP: 'Desktop' } as const;

function inverse<K extends string, V extends string>(table: Record<K, V>): (value: string) => K {
  const map = new Map(Object.entries(table).map(([name, value]) => [value as string, name as K]));
  return (value) => {
    const name = map.get(value);
    if (name === undefined) throw new Error(`Unknown stored enum value ${JSON.stringify(value)}`);
    return name;
  };
}

/** Stored role ('Admin') → GraphQL/token role ('ADMIN'). */
export const roleName: (stored: string) => RoleName & Role = inverse(ROLE_VALUES);
export const statusName: (stored: string) => AccountStatusName = inverse(ACCOUNT_STATUS_VALUES);

/**
 * Marks the user of a login/refresh payload: the caller just proved to be this account, though
 * the request itself carried no token, so it may read the account's private fields.
 */
export const AUTHENTICATED_AS = Symbol('authenticated as this user');
