/**
 * One heavy resource (a pipeline, a detector) kept loaded in the service between requests and
 * replaced when the request asks for a different one (another model, provider or device).
 */
export class KeyedResource<T> {
  readonly #dispose: (value: T) => unknown;
  #current: { key: string; value: Promise<T> } | undefined;

  constructor(dispose: (value: T) => unknown) {
    this.#dispose = dispose;
  }

  #loadedKey(): string | undefined {
    return this.#current?.key;
  }

  /** The resource for `key`, created with `create` unless it is the one already loaded. */
  async get(key: string, create: () => Promise<T>): Promise<T> {
    if (this.#current?.key !== key) {
      // Free the old one (GPU or WASM memory) before loading its replacement.
      await this.clear();
      // Another request may have started the same load while we waited.
      if (this.#loadedKey() !== key) {
        const value = create();
        const entry = { key, value };
        this.#current = entry;
        // A failed load (missing model) is retried on the next request, after the user fixed it.
        value.catch(() => {
          if (this.#current === entry) this.#current = undefined;
        });
      }
    }
    return this.#current!.value;
  }

  /** Frees the loaded resource, if any. */
  async clear(): Promise<void> {
    const old = this.#current;
    if (!old) return;
    this.#current = undefined;
    const value = await old.value.catch(() => undefined);
    if (value !== undefined) await this.#dispose(value);
  }
}
