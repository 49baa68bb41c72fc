import { ALERT_TYPES } from '#devices';
import type { AddressedChange } from '../alerts/changes.ts';

const SEVERITY_ZH = { critical: '紧急', major: '重要', minor: '一般', info: '提示' } as const;
const REASON_ZH = { opened: '新告警', reminded: '提醒：仍未确认', escalated: '升级' } as const;

function lines(n: AddressedChange): string[] {
  const { alert } = n;
  const label = ALERT_TYPES[alert.type].label;
  return [
    `【${SEVERITY_ZH[alert.severity]}·${REASON_ZH[n.type]}】${label.zh} ${label.en}`,
    `设备 Device: ${alert.deviceId}`,
    `位置 Where: ${[alert.communityId, alert.gridCellId, alert.buildingId, alert.floor != null ? `${alert.floor}F` : null].filter(Boolean).join(' / ')}`,
    `时间 Opened: ${new Date(alert.openedAt).toISOString()}`,
    ...(alert.escalationLevel > 0 ? [`升级级别 Escalation level: ${alert.escalationLevel}`] : []),
    `编号 Alert: ${alert.id}`,
  ];
}

/** A WeCom (企业微信) group robot message; phones of the recipients are @-mentioned. */
export function wecomMessage(n: AddressedChange): unknown {
  return {
    msgtype: 'text',
    text: { content: lines(n).join('\n'), mentioned_mobile_list: n.recipients.map((p) => p.phone).filter(Boolean) },
  };
}

/** A DingTalk (钉钉) group robot message in markdown, @-mentioning the recipients' phones. */
export function dingtalkMessage(n: AddressedChange): unknown {
  const { alert } = n;
  const phones = n.recipients.map((p) => p.phone).filter((p): p is string => Boolean(p));
  const label = ALERT_TYPES[alert.type].label;
  return {
    msgtype: 'markdown',
    markdown: { title: `${label.zh} ${label.en}`, text: [...lines(n), phones.map((p) => `@${p}`).join(' ')].join('\n\n') },
    at: { atMobiles: phones, isAtAll: false },
  };
}
