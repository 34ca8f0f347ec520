/**
 * How responses become JSON. Each route's zod response schema is turned into JSON Schema once, when
 * the route is registered, and compiled by fast-json-stringify, fastify's own serializer. Like zod's
 * encode it writes only the fields the schema names, so nothing a schema leaves out reaches a
 * client; unlike it, it does not re-validate the value, which the handlers' types already guarantee,
 * and so costs a fifth as much: a job view is serialized on every poll.
 */

import fastJson, { type Schema } from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { type ZodType, z } from 'zod';

/** Compiled once per schema: many routes answer with the same one (JobResource). */
const compiled = new WeakMap<ZodType, (value: unknown) => string>();

export function compileSerializer(schema: ZodType): (value: unknown) => string {
  let serialize = compiled.get(schema);
  if (!serialize) {
    const jsonSchema = z.toJSONSchema(schema, { io: 'output', target: 'draft-7', unrepresentable: 'any' });
    serialize = fastJson(jsonSchema as Schema);
    compiled.set(schema, serialize);
  }
  return serialize;
}

export const serializerCompiler: FastifySerializerCompiler<unknown> = ({ schema, method, url }) => {
  if (!(schema instanceof z.ZodType))
    throw new Error(`${method} ${url}: a response schema is not a zod schema`);
  return compileSerializer(schema);
};
