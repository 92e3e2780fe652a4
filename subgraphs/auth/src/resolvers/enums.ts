import {
  ACCOUNT_STATUS_VALUES,
  DEVICE_TYPE_VALUES,
  LOGIN_STATUS_VALUES,
  ROLE_VALUES,
} from '../accounts/mappers.js';

/**
 * GraphQL enum names → the seed's stored values: resolvers return stored rows unchanged and
 * receive stored values in arguments.
 */
export const UserRole = ROLE_VALUES;
export const AccountStatus = ACCOUNT_STATUS_VALUES;
export const LoginStatus = LOGIN_STATUS_VALUES;
export const SessionDeviceType = DEVICE_TYPE_VALUES;
