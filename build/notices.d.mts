// Types of build/notices.mjs for the TypeScript tests that import it.
export declare const ROOT: string;
export declare const NOTICES_FILE: string;
export declare const NOT_SHIPPED: string[];
export declare function buildNotices(root?: string): Promise<string>;
