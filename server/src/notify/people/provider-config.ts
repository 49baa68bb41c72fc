// The config file's `providers:` section: credentials and endpoints for WeCom, DingTalk, SMS and
// voice. Checked with the rest of the file (grid/config-file.ts); secrets may be given inline or
// named by an environment variable (`…Env`), resolved from the env config.ts hands down.
import { Type, type Static, type TOptional, type TString } from '@sinclair/typebox';

const Url = Type.String({ pattern: '^https?://[^\\s]+$' });
const Str = (max = 256) => Type.String({ minLength: 1, maxLength: max });
/** `name` inline, or `nameEnv`: the environment variable holding it. */
const secret = <K extends string>(name: K) =>
  ({ [name]: Type.Optional(Str(512)), [`${name}Env`]: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })) }) as unknown as Record<K | `${K}Env`, TOptional<TString>>;

const WeComSection = Type.Object(
  {
    corpId: Str(64),
    agentId: Type.Integer({ minimum: 0 }),
    ...secret('corpSecret'),
    /** the app's callback URL settings (接收消息): token and 43-character EncodingAESKey */
    ...secret('callbackToken'),
    ...secret('encodingAesKey'),
    baseUrl: Type.Optional(Url),
    /** WeCom allows about 30 app messages a minute to one member */
    perMemberPerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);

const DingTalkSection = Type.Object(
  {
    appKey: Str(64),
    ...secret('appSecret'),
    agentId: Type.Integer({ minimum: 0 }),
    /** api.dingtalk.com (OAuth2 token, Stream gateway) */
    apiBaseUrl: Type.Optional(Url),
    /** oapi.dingtalk.com (work notifications) */
    oapiBaseUrl: Type.Optional(Url),
    /** open a Stream-mode connection for callbacks (no public callback URL needed) */
    stream: Type.Optional(Type.Boolean()),
    /** the hub's own budget per member (DingTalk caps an app at 500 notifications a day per person) */
    perMemberPerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);

const AliyunCommon = {
  provider: Type.Literal('aliyun'),
  accessKeyId: Str(128),
  ...secret('accessKeySecret'),
  /** host[:port] of the API, e.g. dysmsapi.aliyuncs.com (tests point it at a local server) */
  endpoint: Type.Optional(Str(200)),
  protocol: Type.Optional(Type.Union([Type.Literal('https'), Type.Literal('http')])),
  regionId: Type.Optional(Str(64)),
};

const SmsSection = Type.Object(
  {
    ...AliyunCommon,
    signName: Str(64),
    /** a template with the variables ${place}, ${alert} and ${link} */
    templateCode: Str(64),
  },
  { additionalProperties: false },
);

const VoiceSection = Type.Object(
  {
    ...AliyunCommon,
    /** the number shown to the callee (号显) */
    calledShowNumber: Str(32),
    /** a TTS template with the variables ${place} and ${alert} */
    ttsCode: Str(64),
    playTimes: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 })),
  },
  { additionalProperties: false },
);

export const ProvidersSection = Type.Object(
  {
    wecom: Type.Optional(WeComSection),
    dingtalk: Type.Optional(DingTalkSection),
    sms: Type.Optional(SmsSection),
    voice: Type.Optional(VoiceSection),
  },
  { additionalProperties: false },
);
export type ProvidersSection = Static<typeof ProvidersSection>;

export interface WeComConfig {
  corpId: string;
  agentId: number;
  corpSecret: string;
  callback?: { token: string; encodingAesKey: string };
  baseUrl: string;
  perMemberPerMinute: number;
}
export interface DingTalkConfig {
  appKey: string;
  appSecret: string;
  agentId: number;
  apiBaseUrl: string;
  oapiBaseUrl: string;
  stream: boolean;
  perMemberPerMinute: number;
}
export interface AliyunConfig {
  accessKeyId: string;
  accessKeySecret: string;
  endpoint?: string;
  protocol: 'https' | 'http';
  regionId: string;
}
export interface SmsConfig extends AliyunConfig {
  signName: string;
  templateCode: string;
}
export interface VoiceConfig extends AliyunConfig {
  calledShowNumber: string;
  ttsCode: string;
  playTimes: number;
}
export interface ProvidersConfig {
  wecom?: WeComConfig;
  dingtalk?: DingTalkConfig;
  sms?: SmsConfig;
  voice?: VoiceConfig;
}

export class ProviderConfigError extends Error {}

type Env = Record<string, string | undefined>;

function resolveSecret(section: Record<string, unknown>, name: string, where: string, env: Env, required: true): string;
function resolveSecret(section: Record<string, unknown>, name: string, where: string, env: Env, required: false): string | undefined;
function resolveSecret(section: Record<string, unknown>, name: string, where: string, env: Env, required: boolean): string | undefined {
  const inline = section[name] as string | undefined;
  const envName = section[`${name}Env`] as string | undefined;
  if (inline !== undefined && envName !== undefined) throw new ProviderConfigError(`${where}: give ${name} or ${name}Env, not both`);
  if (envName !== undefined) {
    const v = env[envName];
    if (!v) throw new ProviderConfigError(`${where}.${name}Env: environment variable ${envName} is not set`);
    return v;
  }
  if (inline === undefined && required) throw new ProviderConfigError(`${where}: ${name} (or ${name}Env) is required`);
  return inline;
}

/** The checked `providers:` section with defaults filled in and secrets resolved. Throws ProviderConfigError. */
export function resolveProviders(section: ProvidersSection | undefined, env: Env = {}): ProvidersConfig {
  const out: ProvidersConfig = {};
  if (!section) return out;
  const { wecom, dingtalk, sms, voice } = section;
  if (wecom) {
    const token = resolveSecret(wecom, 'callbackToken', 'providers.wecom', env, false);
    const aesKey = resolveSecret(wecom, 'encodingAesKey', 'providers.wecom', env, false);
    if ((token === undefined) !== (aesKey === undefined)) throw new ProviderConfigError('providers.wecom: callbackToken and encodingAesKey go together');
    if (aesKey !== undefined && !/^[A-Za-z0-9]{43}$/.test(aesKey)) throw new ProviderConfigError('providers.wecom.encodingAesKey: must be 43 letters and digits');
    out.wecom = {
      corpId: wecom.corpId,
      agentId: wecom.agentId,
      corpSecret: resolveSecret(wecom, 'corpSecret', 'providers.wecom', env, true),
      ...(token !== undefined && aesKey !== undefined ? { callback: { token, encodingAesKey: aesKey } } : {}),
      baseUrl: trimSlash(wecom.baseUrl ?? 'https://qyapi.weixin.qq.com'),
      perMemberPerMinute: wecom.perMemberPerMinute ?? 30,
    };
  }
  if (dingtalk) {
    out.dingtalk = {
      appKey: dingtalk.appKey,
      appSecret: resolveSecret(dingtalk, 'appSecret', 'providers.dingtalk', env, true),
      agentId: dingtalk.agentId,
      apiBaseUrl: trimSlash(dingtalk.apiBaseUrl ?? 'https://api.dingtalk.com'),
      oapiBaseUrl: trimSlash(dingtalk.oapiBaseUrl ?? 'https://oapi.dingtalk.com'),
      stream: dingtalk.stream ?? false,
      perMemberPerMinute: dingtalk.perMemberPerMinute ?? 20,
    };
  }
  if (sms) out.sms = { ...aliyun(sms, 'providers.sms', env), signName: sms.signName, templateCode: sms.templateCode };
  if (voice) {
    out.voice = { ...aliyun(voice, 'providers.voice', env), calledShowNumber: voice.calledShowNumber, ttsCode: voice.ttsCode, playTimes: voice.playTimes ?? 2 };
  }
  return out;
}

function aliyun(s: Static<typeof SmsSection> | Static<typeof VoiceSection>, where: string, env: Env): AliyunConfig {
  return {
    accessKeyId: s.accessKeyId,
    accessKeySecret: resolveSecret(s, 'accessKeySecret', where, env, true),
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    protocol: s.protocol ?? 'https',
    regionId: s.regionId ?? 'cn-hangzhou',
  };
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}
