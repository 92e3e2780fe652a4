import { requireRole, requireViewer } from '@social/kit';
import {
  changeEmail,
  deleteAccount,
  setAccountStatus,
  setUserRole,
  updateAccount,
} from '../accounts/account.js';
import { changePassword, requestPasswordReset, resetPassword } from '../accounts/passwords.js';
import { register, resendVerificationCode, verifyEmail } from '../accounts/registration.js';
import { login, logout, refresh, revokeSession } from '../accounts/sessions.js';
import type { AuthContext } from '../subgraph.js';

type Args<T> = { input: T };

export const Mutation = {
  register: (_root: unknown, { input }: Args<unknown>, context: AuthContext) =>
    register(context.auth, input, context.caller),
  verifyEmail: (_root: unknown, { input }: Args<unknown>, context: AuthContext) =>
    verifyEmail(context.auth, input, context.caller),
  resendVerificationCode: (_root: unknown, args: { email: string }, context: AuthContext) =>
    resendVerificationCode(context.auth, args.email, context.caller),
  login: (_root: unknown, { input }: Args<unknown>, context: AuthContext) =>
    login(context.auth, input, context.caller),
  refreshToken: (_root: unknown, args: { token: string }, context: AuthContext) =>
    refresh(context.auth, args.token),
  logout: (_root: unknown, args: { allDevices?: boolean | null }, context: AuthContext) =>
    logout(context.auth, requireViewer(context), args.allDevices ?? false),
  revokeSession: (_root: unknown, args: { id: string }, context: AuthContext) =>
    revokeSession(context.auth, requireViewer(context), args.id),
  requestPasswordReset: (_root: unknown, args: { email: string }, context: AuthContext) =>
    requestPasswordReset(context.auth, args.email, context.caller),
  resetPassword: (_root: unknown, { input }: Args<unknown>, context: AuthContext) =>
    resetPassword(context.auth, input, context.caller),
  changePassword: (_root: unknown, { input }: Args<unknown>, context: AuthContext) =>
    changePassword(context.auth, requireViewer(context), input),
  changeEmail: (_root: unknown, { input }: Args<unknown>, context: AuthContext) =>
    changeEmail(context.auth, requireViewer(context), input),
  updateAccount: (_root: unknown, { input }: Args<unknown>, context: AuthContext) =>
    updateAccount(context.auth, requireViewer(context), input),
  deleteAccount: (_root: unknown, args: { password: string }, context: AuthContext) =>
    deleteAccount(context.auth, requireViewer(context), args.password),
  setAccountStatus: (_root: unknown, args: { userId: string; status: string }, context: AuthContext) =>
    setAccountStatus(context.auth, requireRole(context, 'ADMIN', 'MODERATOR'), args.userId, args.status),
  setUserRole: (_root: unknown, args: { userId: string; role: string }, context: AuthContext) =>
    setUserRole(context.auth, requireRole(context, 'ADMIN'), args.userId, args.role),
};
