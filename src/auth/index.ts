export {
  DigestClient,
  DigestServer,
  computeDigestResponse,
  ha1Of,
  loadUsersFile,
  parseUsers,
  type Credentials,
  type DigestServerOptions,
  type UserSecret,
  type VerifyResult,
  type DigestAlgorithm,
} from './digest.js';
export { MemoryNonceState, RedisNonceState, type NonceState } from './nonce-state.js';
