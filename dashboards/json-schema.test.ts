import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dashboardJsonSchema, dashboardJsonSchemaText } from './json-schema';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('the committed JSON Schema', () => {
  it('is up to date with the zod schema (run npm run schema if this fails)', () => {
    const committed = readFileSync(path.join(here, 'schema', 'dashboard.schema.json'), 'utf8');
    expect(committed).toBe(dashboardJsonSchemaText());
  });

  it('describes the envelope and the panel kinds', () => {
    const schema = dashboardJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['type', 'schemaVersion', 'id', 'title', 'sources', 'datasets', 'panels', 'layout']));
    expect(JSON.stringify(schema.properties.panels)).toContain('"kpi"');
    expect(JSON.stringify(schema.properties.panels)).toContain('"chart"');
  });
});
