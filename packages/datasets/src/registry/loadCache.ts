/**
 * A small cache of parsed files, so that loading `train` and then `dev` of a task whose dev is
 * carved from the train file parses that file once. Bounded (the most recent few entries), keyed
 * by absolute path and read options; a failed load is evicted so that a retry reads again.
 */
const MAX_ENTRIES = 4;
const cache = new Map<string, Promise<unknown>>();

/** Returns the cached value for `key`, or runs `load` once and caches its promise. */
export function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit as Promise<T>;
  }
  const promise = load();
  cache.set(key, promise);
  promise.catch(() => {
    if (cache.get(key) === promise) cache.delete(key);
  });
  while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return promise;
}

/** Drops every cached file (tests, or to free memory after loading a large task). */
export function clearLoadCache(): void {
  cache.clear();
}
