import { badUserInput, requiredText } from '@social/kit';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import { z } from 'zod';

/** One schema per input type, with the seed's limits (STYLE 9); checked before anything is stored. */

/** The seed's validate_email_format regex: the database trigger enforces the same. */
export const EMAIL_PATTERN = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
const USERNAME_PATTERN = /^[A-Za-z0-9_]+$/;
const PHONE_PATTERN = /^\+[1-9][0-9]{6,14}$/;

export const username = z
  .string()
  .min(3, 'must be at least 3 characters')
  .max(50, 'must be at most 50 characters')
  .regex(USERNAME_PATTERN, 'may contain only letters, digits and underscores');
export const email = z
  .string()
  .trim()
  .max(255, 'must be at most 255 characters')
  .regex(EMAIL_PATTERN, 'must be a valid email address');
/** PostgreSQL text cannot hold NUL (0x00): refused here rather than failing the query. */
const withoutNul = (value: string) => !value.includes('\u0000');
const NUL_MESSAGE = 'must not contain NUL characters';
const personName = requiredText(100).refine(withoutNul, NUL_MESSAGE);
const phoneNumber = z
  .string()
  .trim()
  .max(20, 'must be at most 20 characters')
  .regex(PHONE_PATTERN, 'must be + and 7-15 digits');
/** bcrypt reads at most 72 bytes; longer passwords would be silently truncated, so refuse them. */
const passwordBytes = z
  .string()
  .refine((value) => Buffer.byteLength(value, 'utf8') <= 72, 'must be at most 72 bytes');

export const registerInput = z.object({
  username,
  email,
  password: passwordBytes,
  firstName: personName,
  lastName: personName,
  phoneNumber: phoneNumber.nullish(),
});

export const loginInput = z.object({
  identifier: requiredText(255).refine(withoutNul, NUL_MESSAGE),
  password: passwordBytes,
  deviceType: z.enum(['Web', 'Mobile', 'Desktop']).nullish(),
  deviceInfo: z.string().max(500, 'must be at most 500 characters').refine(withoutNul, NUL_MESSAGE).nullish(),
});

export const verifyEmailInput = z.object({
  email,
  code: z
    .string()
    .trim()
    .regex(/^[0-9]{6}$/, 'must be the 6-digit code'),
});

export const updateAccountInput = z.object({
  username: username.nullish(),
  firstName: personName.nullish(),
  lastName: personName.nullish(),
  // An empty string removes the phone number.
  phoneNumber: z.union([z.literal(''), phoneNumber]).nullish(),
});

export const changeEmailInput = z.object({ newEmail: email, currentPassword: passwordBytes });
export const resetToken = z.string().min(1, 'must not be empty').max(200, 'is not a valid reset token');
export { passwordBytes as password };

/** Inputs are parsed with the kit's parseInput (BAD_USER_INPUT naming the first bad field). */
export { parseInput } from '@social/kit';

const zxcvbn = new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });

/**
 * The strength check of a new password: at least 10 characters, three of four character classes,
 * not built from the account's own username/email/names, and not guessable (zxcvbn score ≥ 3,
 * which also rejects common passwords).
 */
export function assertStrongPassword(
  password: string,
  field: string,
  personal: readonly (string | null | undefined)[],
): void {
  const fail = (reason: string) => {
    throw badUserInput(`${field} ${reason}`, field);
  };
  if (password.length < 10) fail('must be at least 10 characters');
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(password));
  if (classes.length < 3) fail('must mix at least three of lowercase, uppercase, digits and symbols');
  const inputs = personal
    .flatMap((value) => (value ? [value, ...value.split('@')] : []))
    .map((value) => value.toLowerCase())
    .filter((value) => value.length >= 3);
  const lowered = password.toLowerCase();
  if (inputs.some((value) => lowered.includes(value))) fail('must not contain your username, email or name');
  if (zxcvbn.check(password, inputs).score < 3) fail('is too easy to guess');
}
