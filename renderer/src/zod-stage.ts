// A boot stage (main.tsx) that only evaluates zod's modules, the parts of them the schemas use: a
// task of its own, before the schemas' stages build their zod schemas. A touch of one function
// keeps the bundler from dropping the import, and does not keep the rest of the package (an import
// of its namespace would, 280 KB more).
import { z } from 'zod';

export const zodLoaded = typeof z.object === 'function';
