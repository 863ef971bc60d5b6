// A module the UI loads on first use instead of with the UI bundle, so opening a dashboard
// evaluates less code in one go (every task over 50 ms is a moment the window does not answer).
// Not React.lazy: a lazy component suspends on its first render even when its module is already
// loaded, and React holds a suspended component's fallback for a while (hundreds of ms on a busy
// machine) before showing it.
import { useEffect, useState } from 'react';

export interface LazyModule<M> {
  /** Start the load (once; again after a failure); resolves with the module. */
  preload(): Promise<M>;
  /** The module if it has arrived. */
  loaded(): M | null;
}

export function lazyModule<M>(load: () => Promise<M>): LazyModule<M> {
  let module: M | null = null;
  let loading: Promise<M> | null = null;
  return {
    preload() {
      loading ??= load().then(
        (m) => (module = m),
        (err: unknown) => {
          // A failed chunk load (an update replaced the files) may succeed on the next try.
          loading = null;
          throw err;
        },
      );
      return loading;
    },
    loaded: () => module,
  };
}

/** The module once it has arrived (null until then), or why it could not be loaded. */
export function useLazyModule<M>(lazy: LazyModule<M>): { module: M | null; failed: string | null } {
  const [module, setModule] = useState<M | null>(lazy.loaded);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    if (module) return;
    let live = true;
    lazy.preload().then(
      (m) => live && setModule(() => m),
      (err: unknown) => live && setFailed(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [lazy, module]);
  return { module, failed };
}
