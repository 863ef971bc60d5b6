// Types of build/assemble-app.mjs for the TypeScript tests that import it.
export declare const ROOT: string;
export declare const DEFAULT_STAGING_DIR: string;

export interface AssembleOptions {
  root?: string;
  stagingDir?: string;
  rendererDir?: string;
}

export interface AssembledApp {
  stagingDir: string;
  /** The production `dependencies` written into the staged package.json. */
  dependencies: Record<string, string>;
  /** Every package copied into node_modules, by name (nested ones once per copy). */
  packages: string[];
  /** Every file staged, relative, "/" separators, sorted. */
  files: string[];
}

export interface LockEntry {
  dev?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export declare function assembleApp(opts?: AssembleOptions): Promise<AssembledApp>;
export declare function runtimePackages(mainSource: string): string[];
export declare function dependencyClosure(lock: { packages?: Record<string, LockEntry> }, names: string[]): string[];
