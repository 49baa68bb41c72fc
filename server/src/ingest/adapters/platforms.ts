import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN, KINDS } from '#devices';
import { PlatformMapping } from './mapping.ts';

/**
 * The config file's `platforms:` section: products on the carriers' IoT platforms (CTWing,
 * OneNET) whose devices reach the hub by HTTP push. Each product has its own endpoint
 * (/api/ingest/{platform}/{id}), its secret, its device kind and its field mapping.
 */
const Product = Type.Object(
  {
    /** In the endpoint's path; usually the platform's product id. */
    id: Type.String({ pattern: ID_PATTERN }),
    kind: Type.Union(KINDS.map((k) => Type.Literal(k))),
    /** CTWing: the shared secret the callback URL carries; OneNET: the push's token (signatures). */
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    tokenEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
    /** OneNET secure mode: the EncodingAESKey (43 characters) shown on the push configuration page. */
    aesKey: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{43}$' })),
    aesKeyEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
    /** platform device key (IMEI, CTWing deviceId, OneNET dev_id) → hub device id; by default the same id */
    devices: Type.Optional(Type.Record(Type.String(), Type.String({ pattern: ID_PATTERN }))),
    map: PlatformMapping,
  },
  { additionalProperties: false },
);

export const Platforms = Type.Object(
  {
    ctwing: Type.Optional(Type.Array(Product)),
    onenet: Type.Optional(Type.Array(Product)),
  },
  { additionalProperties: false },
);
export type Platforms = Static<typeof Platforms>;
export type PlatformName = keyof Platforms;
export type ProductConfig = Static<typeof Product>;

/** A product as the adapters use it: its secrets resolved. */
export interface Product extends ProductConfig {
  token: string;
}

/** Resolves `tokenEnv` / `aesKeyEnv` from the environment config.ts hands down; every problem names its product. */
export function resolvePlatforms(p: Platforms | undefined, env: Record<string, string | undefined>): Record<PlatformName, Product[]> {
  const out: Record<PlatformName, Product[]> = { ctwing: [], onenet: [] };
  for (const name of ['ctwing', 'onenet'] as const) {
    const seen = new Set<string>();
    for (const [i, product] of (p?.[name] ?? []).entries()) {
      const where = `platforms.${name}[${i}] (${product.id})`;
      if (seen.has(product.id)) throw new Error(`${where}: the id is used twice`);
      seen.add(product.id);
      const token = product.token ?? (product.tokenEnv ? env[product.tokenEnv] : undefined);
      if (!token) throw new Error(`${where}: needs token or tokenEnv${product.tokenEnv ? ` (${product.tokenEnv} is not set)` : ''}`);
      const aesKey = product.aesKey ?? (product.aesKeyEnv ? env[product.aesKeyEnv] : undefined);
      if (product.aesKeyEnv && !aesKey) throw new Error(`${where}: ${product.aesKeyEnv} is not set`);
      if (aesKey !== undefined && !/^[A-Za-z0-9+/]{43}$/.test(aesKey)) throw new Error(`${where}: aesKey must be the 43-character EncodingAESKey`);
      if (name === 'ctwing' && aesKey) throw new Error(`${where}: aesKey is for OneNET products`);
      out[name].push({ ...product, token, ...(aesKey ? { aesKey } : {}) });
    }
  }
  return out;
}
