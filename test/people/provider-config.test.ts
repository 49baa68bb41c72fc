import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHubConfigFile } from '../../server/src/grid/config-file.ts';
import { StartupError } from '../../server/src/startup-error.ts';

const key = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

function load(yaml: string, env: Record<string, string> = {}) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'providers-')), 'hub.yaml');
  fs.writeFileSync(file, yaml);
  return loadHubConfigFile(file, env);
}

describe('providers: section of the config file', () => {
  it('resolves secrets inline or from the environment and fills in the documented base URLs', () => {
    const cfg = load(
      `providers:\n  wecom:\n    corpId: ww1\n    agentId: 1000002\n    corpSecretEnv: WECOM_SECRET\n    callbackToken: tok\n    encodingAesKey: ${key}\n` +
        `  dingtalk:\n    appKey: ding1\n    appSecret: s\n    agentId: 42\n` +
        `  sms:\n    provider: aliyun\n    accessKeyId: AK\n    accessKeySecretEnv: ALI_SECRET\n    signName: 社区安全\n    templateCode: SMS_1\n`,
      { WECOM_SECRET: 'from-env', ALI_SECRET: 'ali' },
    );
    expect(cfg.providerConfig?.wecom).toEqual({ corpId: 'ww1', agentId: 1000002, corpSecret: 'from-env', callback: { token: 'tok', encodingAesKey: key }, baseUrl: 'https://qyapi.weixin.qq.com', perMemberPerMinute: 30 });
    expect(cfg.providerConfig?.dingtalk).toMatchObject({ apiBaseUrl: 'https://api.dingtalk.com', oapiBaseUrl: 'https://oapi.dingtalk.com', stream: false });
    expect(cfg.providerConfig?.sms).toMatchObject({ accessKeySecret: 'ali', protocol: 'https', regionId: 'cn-hangzhou', templateCode: 'SMS_1' });
    expect(load('workers: []\n').providerConfig).toEqual({});
  });

  it('refuses a missing secret, a short EncodingAESKey, an unset variable and unknown fields, naming the place', () => {
    const bad = (yaml: string, env: Record<string, string> = {}) => {
      try {
        load(yaml, env);
      } catch (err) {
        expect(err).toBeInstanceOf(StartupError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('providers:\n  wecom:\n    corpId: ww1\n    agentId: 1\n')).toMatch(/providers\.wecom: corpSecret \(or corpSecretEnv\) is required/);
    expect(bad('providers:\n  wecom:\n    corpId: ww1\n    agentId: 1\n    corpSecret: s\n    callbackToken: t\n    encodingAesKey: short\n')).toMatch(/encodingAesKey: must be 43/);
    expect(bad('providers:\n  wecom:\n    corpId: ww1\n    agentId: 1\n    corpSecretEnv: NOPE\n')).toMatch(/NOPE is not set/);
    expect(bad('providers:\n  dingtalk:\n    appKey: k\n    appSecret: s\n    agentId: 1\n    oapiBaseUrl: ftp://x\n')).toMatch(/providers\/dingtalk\/oapiBaseUrl/);
    expect(bad('providers:\n  telegram: {}\n')).toMatch(/providers/);
  });
});
