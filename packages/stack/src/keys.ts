import { generateSigningKeys, type SigningKeyPair } from '@social/kit';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Development signing keys, generated once into `dir` and reused so tokens survive restarts of
 * `npm run dev`. Production keys come from configuration, never from here.
 */
export async function loadOrCreateDevKeys(dir: string): Promise<SigningKeyPair> {
  const publicPath = join(dir, 'jwt-public.pem');
  const privatePath = join(dir, 'jwt-private.pem');
  if (existsSync(publicPath) && existsSync(privatePath)) {
    return {
      publicKeyPem: readFileSync(publicPath, 'utf8'),
      privateKeyPem: readFileSync(privatePath, 'utf8'),
    };
  }
  const keys = await generateSigningKeys();
  mkdirSync(dir, { recursive: true });
  writeFileSync(privatePath, keys.privateKeyPem, { mode: 0o600 });
  writeFileSync(publicPath, keys.publicKeyPem);
  return keys;
}
