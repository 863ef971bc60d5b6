import { z } from 'zod';
import { DashboardFile } from './schema';

/** The JSON Schema of dashboard files, generated from the zod schema (the single source of truth). */
export function dashboardJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(DashboardFile, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}

/** The committed schema file's text: the generated schema, deterministically serialized. */
export function dashboardJsonSchemaText(): string {
  return `${JSON.stringify(dashboardJsonSchema(), null, 2)}\n`;
}
