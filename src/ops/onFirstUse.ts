/**
 * Packages that only some processes need, loaded the first time one is used rather than at start-up: the HTTP
 * client for TwiML, `<Play>` files and gateways (undici), the PostgreSQL driver (pg) and Fastify's JSON-schema
 * compilers (Ajv) together were about a sixth of a process's start-up CPU, and a sandbox process on its embedded
 * database may never use any of them. Loading is synchronous (all are CommonJS), so the code that uses them stays
 * as it was.
 *
 * @example
 *   const agent = new (undiciPackage().Agent)({ keepAliveTimeout: 10_000 });
 */
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

const require = createRequire(import.meta.url);

/** `make()`, called once, when first asked for. */
function onFirstUse<T>(make: () => T): () => T {
  let made: { value: T } | null = null;
  return () => (made ??= { value: make() }).value;
}

export const undiciPackage = onFirstUse(() => require('undici') as typeof import('undici'));
export const pgPackage = onFirstUse(() => require('pg') as typeof import('pg'));

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type Compiler = (...args: unknown[]) => unknown;
/** Fastify's own compilers, found where Fastify itself finds them; each package exports a maker of the factory. */
const fromFastify = (name: string) => onFirstUse(() => (createRequire(require.resolve('fastify'))(name) as () => Compiler)());
const validatorFactory = fromFastify('@fastify/ajv-compiler');
const serializerFactory = fromFastify('@fastify/fast-json-stringify-compiler');

/** Fastify's schema compilers, loaded the first time a route with a JSON schema is compiled (no route has one). */
export const schemaCompilersOnFirstUse: CompilersFactory = {
  buildValidator: ((...args: unknown[]) => validatorFactory()(...args)) as CompilersFactory['buildValidator'],
  buildSerializer: ((...args: unknown[]) => serializerFactory()(...args)) as CompilersFactory['buildSerializer'],
};
