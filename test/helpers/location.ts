import type { LocationStore } from '../../src/registrar/location.js';

/** Puts a binding of `aor` to `uri` in `store`, as if registered for an hour (a peer that does not register). */
export function bindForAnHour(store: LocationStore, aor: string, uri: string): Promise<void> {
  return store.put({
    aor,
    uri,
    params: '',
    expires: Date.now() + 3600_000,
    q: 1,
    callId: `bind-${aor}`,
    cseq: 1,
    path: [],
  });
}
