// `npm run schema`: regenerate dashboards/schema/dashboard.schema.json from the zod schema.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboardJsonSchemaText } from '../dashboards/json-schema';

const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dashboards', 'schema', 'dashboard.schema.json');
writeFileSync(target, dashboardJsonSchemaText());
console.log(`wrote ${target}`);
