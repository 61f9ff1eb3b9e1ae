export { Registrar, canonicalAor, type RegistrarOptions } from './registrar.js';
export {
  MemoryLocationStore,
  type LocationStore,
  type Binding,
  type RegisterChange,
  type RegisterOutcome,
} from './location.js';
export { RedisLocationStore, type RedisLocationOptions } from './redis-location.js';
