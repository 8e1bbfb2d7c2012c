// A small Disposable base shared by every feature class, after VS Code's markdown extension
// (util/dispose.ts). It deliberately does not import `vscode` so it can be unit-tested in Node;
// `vscode.Disposable` is structurally the same interface.

/** Anything with a `dispose()` method (a `vscode.Disposable` qualifies). */
export interface IDisposable {
  dispose(): void;
}

/**
 * Disposes every item, continuing past failures so that one bad listener cannot leak the rest;
 * rethrows the single error, or an AggregateError when several items failed.
 */
export function disposeAll(disposables: Iterable<IDisposable>): void {
  const errors: unknown[] = [];
  for (const d of disposables) {
    try {
      d.dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'Encountered errors while disposing of resources');
}

/** Base class for features: owns the disposables it registers and disposes them once. */
export abstract class Disposable implements IDisposable {
  #isDisposed = false;
  #disposables: IDisposable[] = [];

  dispose(): void {
    if (this.#isDisposed) return;
    this.#isDisposed = true;
    const items = this.#disposables;
    this.#disposables = [];
    disposeAll(items);
  }

  /** Takes ownership of `value`: it is disposed with this object (at once if already disposed). */
  protected _register<T extends IDisposable>(value: T): T {
    if (this.#isDisposed) {
      value.dispose();
    } else {
      this.#disposables.push(value);
    }
    return value;
  }

  /** Listener arrays for the `(fn, this, disposables)` event-subscription form. */
  protected get _disposables(): IDisposable[] {
    return this.#disposables;
  }

  protected get isDisposed(): boolean {
    return this.#isDisposed;
  }
}

/** Wraps a callback as a disposable (for timers and other non-vscode resources). */
export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      fn();
    },
  };
}
