// The DingTalk work notification: an action card whose one button is the message's one-tap
// acknowledgement link. DingTalk drops a notification identical to one the same person got
// today, so every card says when it was sent.
import { ACK_LABEL, markdownText, mergedText, titleText } from '../message-text.ts';
import { caseMarkdown, caseTitle, OPEN_CASE_LABEL } from '../case-text.ts';
import type { CaseMessage, PersonMessage } from '../transport.ts';

export function actionCardMessage(m: PersonMessage, sentAt: number, timeZone = 'Asia/Shanghai'): Record<string, unknown> {
  const at = new Date(sentAt).toLocaleTimeString('zh-CN', { timeZone, hour12: false });
  return {
    msgtype: 'action_card',
    action_card: {
      title: titleText('zh', m),
      markdown: `${markdownText(m)}\n\n> ${at}`,
      btn_orientation: '1',
      btn_json_list: [{ title: `${ACK_LABEL.zh} ${ACK_LABEL.en}`, action_url: m.ackUrl }],
    },
  };
}

/** "另有 3 条告警：3号楼 / 3 more alerts in Building 3": one numbered line and one button per merged alert (first five). */
export function mergedActionCard(merged: readonly PersonMessage[], sentAt: number, timeZone = 'Asia/Shanghai'): Record<string, unknown> {
  const at = new Date(sentAt).toLocaleTimeString('zh-CN', { timeZone, hour12: false });
  const shown = merged.slice(0, 5);
  const lines = merged.map((m, i) => `${i + 1}. ${titleText('zh', m)} ${m.place.zh} · [${ACK_LABEL.zh} ${ACK_LABEL.en}](${m.ackUrl})`);
  return {
    msgtype: 'action_card',
    action_card: {
      title: mergedText('zh', merged),
      markdown: [`### ${mergedText('zh', merged)}`, `### ${mergedText('en', merged)}`, ...lines, `> ${at}`].join('\n\n'),
      btn_orientation: '1',
      btn_json_list: shown.map((m, i) => ({ title: `${ACK_LABEL.zh} ${i + 1} · ${ACK_LABEL.en} ${i + 1}`, action_url: m.ackUrl })),
    },
  };
}

/** A case: an action card whose one button opens the case on /worker. */
export function caseActionCard(m: CaseMessage, sentAt: number, timeZone = 'Asia/Shanghai'): Record<string, unknown> {
  const at = new Date(sentAt).toLocaleTimeString('zh-CN', { timeZone, hour12: false });
  return {
    msgtype: 'action_card',
    action_card: {
      title: caseTitle('zh', m),
      markdown: `${caseMarkdown(m)}\n\n> ${at}`,
      btn_orientation: '1',
      btn_json_list: [{ title: `${OPEN_CASE_LABEL.zh} ${OPEN_CASE_LABEL.en}`, action_url: m.openUrl }],
    },
  };
}
