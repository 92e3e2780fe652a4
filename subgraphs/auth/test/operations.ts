/** The auth operations the tests send, as a client would write them. */
export const REGISTER = `mutation Register($input: RegisterInput!) {
  register(input: $input) { user { id username email emailVerified role accountStatus createdAt } verificationCodeExpiresAt }
}`;
export const VERIFY_EMAIL = `mutation Verify($input: VerifyEmailInput!) { verifyEmail(input: $input) }`;
export const RESEND_CODE = `mutation Resend($email: String!) { resendVerificationCode(email: $email) }`;
export const LOGIN = `mutation Login($input: LoginInput!) {
  login(input: $input) {
    accessToken refreshToken expiresAt refreshTokenExpiresAt tokenType
    session { id deviceType deviceInfo ipAddress userAgent isCurrent }
    user { id username email lastLoginAt }
  }
}`;
export const REFRESH = `mutation Refresh($token: String!) {
  refreshToken(token: $token) { accessToken refreshToken session { id } user { id role } }
}`;
export const ME = `{ me { id username email role emailVerified accountStatus } }`;
export const LOGOUT = `mutation Logout($all: Boolean) { logout(allDevices: $all) }`;
export const SESSIONS = `{ sessions { id isCurrent deviceType } }`;

export interface LoginData {
  login: {
    accessToken: string;
    refreshToken: string;
    expiresAt: string;
    refreshTokenExpiresAt: string;
    tokenType: string;
    session: {
      id: string;
      deviceType: string | null;
      deviceInfo: string | null;
      ipAddress: string | null;
      userAgent: string | null;
      isCurrent: boolean;
    };
    user: { id: string; username: string; email: string | null; lastLoginAt: string | null };
  };
}

/** A password that passes the strength check. */
export const GOOD_PASSWORD = 'Quartz-Harbor-93!';

export function registerInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const suffix = Math.random().toString(36).slice(2, 10);
  return {
    username: `u_${suffix}`,
    email: `u_${suffix}@example.com`,
    password: GOOD_PASSWORD,
    firstName: 'Ada',
    lastName: 'Lovelace',
    ...overrides,
  };
}
