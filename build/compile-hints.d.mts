// Types of build/compile-hints.mjs for renderer/vite.config.ts and the tests.
import type { Plugin } from 'vite';

export declare const COMPILE_HINT: string;
export declare function eagerChunk(modules: Record<string, { renderedLength: number }>): boolean;
export declare function compileHints(): Plugin;
