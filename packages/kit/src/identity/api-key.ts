import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Lower-case alphanumerics only, so the id never contains the `_` that separates the key's parts.
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 12;
const KEY_PATTERN = /^bk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** A freshly minted key: its public id, the full key (shown once) and the hash to store. */
export type MintedKey = { id: string; key: string; prefix: string; secretHash: Buffer };

function randomId(): string {
  // 36^12 ids; 252 is the largest multiple of 36 below 256, so rejecting bytes above it keeps the draw uniform.
  let id = '';
  while (id.length < ID_LENGTH) {
    for (const byte of randomBytes(ID_LENGTH * 2)) {
      if (byte < 252 && id.length < ID_LENGTH) id += ID_ALPHABET[byte % 36];
    }
  }
  return id;
}

/** SHA-256 of the secret part: the secret has 256 bits of entropy, so a slow password hash buys nothing. */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Mints `bk_<12-char id>_<43-char base64url secret>`; the prefix `bk_<id>` identifies it in listings. */
export function mintKey(): MintedKey {
  const id = randomId();
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `bk_${id}_${secret}`, prefix: `bk_${id}`, secretHash: hashSecret(secret) };
}

/** Splits a presented key into id and secret; null when it is not shaped like one of ours. */
export function parseKey(raw: string): { id: string; secret: string } | null {
  const match = KEY_PATTERN.exec(raw);
  if (!match?.[1] || !match[2]) return null;
  return { id: match[1], secret: match[2] };
}

/** Constant-time check of a presented secret against the stored hash. */
export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const presented = hashSecret(secret);
  return presented.length === storedHash.length && timingSafeEqual(presented, storedHash);
}
