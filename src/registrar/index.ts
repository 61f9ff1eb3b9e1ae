export { Registrar, canonicalAor, type RegistrarOptions } from './registrar.js';
export { MemoryLocationStore, type LocationStore, type Binding } from './location.js';
