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

/** A Hikvision access controller the hub reads over ISAPI (alertStream), reported as one gate device. */
const HikvisionController = Type.Object(
  {
    /** the hub gate device this controller's events are */
    deviceId: Type.String({ pattern: ID_PATTERN }),
    /** the controller, for the alertStream the hub keeps open; unset for a push-only controller */
    url: Type.Optional(Type.String({ pattern: '^https?://' })),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    password: Type.Optional(Type.String({ maxLength: 200 })),
    passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
    /** push mode: the controller POSTs its events to /api/ingest/isapi/{deviceId}?token= (Hikvision) */
    pushToken: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })),
    pushTokenEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
    /**
     * Hikvision: major/minor codes → gate event type (or `door:open` / `door:closed`); Dahua: event
     * `code` (with `status` for AccessControl) → the same. Added to or overriding the defaults.
     */
    events: Type.Optional(
      Type.Array(
        Type.Object(
          {
            major: Type.Optional(Type.Integer()),
            minor: Type.Optional(Type.Integer()),
            code: Type.Optional(Type.String({ pattern: '^[A-Za-z]{1,64}$' })),
            status: Type.Optional(Type.Integer()),
            type: Type.String({ minLength: 1, maxLength: 64 }),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

export const Platforms = Type.Object(
  {
    ctwing: Type.Optional(Type.Array(Product)),
    onenet: Type.Optional(Type.Array(Product)),
    hikvision: Type.Optional(Type.Array(HikvisionController)),
    /** Dahua access controllers (eventManager.cgi?action=attach), the same fields */
    dahua: Type.Optional(Type.Array(HikvisionController)),
  },
  { additionalProperties: false },
);
export type Platforms = Static<typeof Platforms>;
export type PlatformName = 'ctwing' | 'onenet';
export type ProductConfig = Static<typeof Product>;

export interface AccessController extends Static<typeof HikvisionController> {
  vendor: 'hikvision' | 'dahua';
  password: string;
  pushToken?: string;
}

/** `platforms:` as the hub uses it: secrets resolved; `hikvision` holds both vendors' controllers. */
export type ResolvedPlatforms = Record<PlatformName, Product[]> & { hikvision: AccessController[] };

/** A product as the adapters use it: its secrets resolved. */
export interface Product extends ProductConfig {
  token: string;
}

/** Resolves `tokenEnv` / `aesKeyEnv` from the environment config.ts hands down; every problem names its product. */
export function resolvePlatforms(p: Platforms | undefined, env: Record<string, string | undefined>): ResolvedPlatforms {
  const out: ResolvedPlatforms = { ctwing: [], onenet: [], hikvision: [] };
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
  for (const vendor of ['hikvision', 'dahua'] as const) {
    for (const [i, c] of (p?.[vendor] ?? []).entries()) {
      const where = `platforms.${vendor}[${i}] (${c.deviceId})`;
      const password = c.password ?? (c.passwordEnv ? env[c.passwordEnv] : undefined);
      const pushToken = c.pushToken ?? (c.pushTokenEnv ? env[c.pushTokenEnv] : undefined);
      if (c.url && (!c.username || password === undefined)) throw new Error(`${where}: the alertStream needs username and password or passwordEnv${c.passwordEnv ? ` (${c.passwordEnv} is not set)` : ''}`);
      // digest-header splits `user:password` at every colon.
      if (password?.includes(':') || c.username?.includes(':')) throw new Error(`${where}: the username and password may not contain ':' (HTTP Digest through digest-header)`);
      if (!c.url && !pushToken) throw new Error(`${where}: needs url (the hub reads its stream) or pushToken (it pushes to the hub)${c.pushTokenEnv ? ` (${c.pushTokenEnv} is not set)` : ''}`);
      if (!c.url && vendor === 'dahua') throw new Error(`${where}: needs url`);
      out.hikvision.push({ ...c, vendor, password: password ?? '', ...(pushToken ? { pushToken } : {}) });
    }
  }
  return out;
}
