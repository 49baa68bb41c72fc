// The WeCom application messages: a button_interaction template card whose one button
// acknowledges, and the plain text a storm of non-critical messages is merged into.
import { createHash } from 'node:crypto';
import { ACK_LABEL, ACKED_LABEL, BRAND, detailLines, mergedText, titleText } from '../message-text.ts';
import { caseLines, caseTitle, OPEN_CASE_LABEL } from '../case-text.ts';
import type { CaseMessage, PersonMessage } from '../transport.ts';

const ACK_KEY_PREFIX = 'ack|';

/** The button's key carries the alert id back in the template_card_event callback. */
export function ackKey(alertId: string): string {
  return `${ACK_KEY_PREFIX}${alertId}`;
}

export function alertIdOfKey(key: string): string | undefined {
  if (!key.startsWith(ACK_KEY_PREFIX)) return undefined;
  const id = key.slice(ACK_KEY_PREFIX.length);
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : undefined;
}

/** task_id must be unique within the app and only [A-Za-z0-9_-@], ≤128 bytes: one per message key. */
export function taskId(key: string): string {
  return `alert_${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

export function templateCardMessage(m: PersonMessage, userid: string): Record<string, unknown> {
  const zh = detailLines('zh', m);
  return {
    touser: userid,
    msgtype: 'template_card',
    template_card: {
      card_type: 'button_interaction',
      source: { desc: `${BRAND.zh} ${BRAND.en}`, desc_color: m.alert.severity === 'critical' ? 2 : 0 },
      main_title: { title: titleText('zh', m), desc: titleText('en', m) },
      horizontal_content_list: [
        ...zh.map((l) => ({ keyname: l.key, value: l.value })),
        { keyname: 'Where', value: m.place.en || m.place.zh },
      ].slice(0, 6),
      // Tapping the card (not the button) opens the one-tap acknowledgement page.
      card_action: { type: 1, url: m.ackUrl },
      task_id: taskId(m.key),
      button_list: [{ text: `${ACK_LABEL.zh} ${ACK_LABEL.en}`, style: 1, key: ackKey(m.alert.id) }],
    },
    enable_duplicate_check: 1,
    duplicate_check_interval: 1800,
  };
}

/** After the acknowledgement: the button turns into a greyed "已确认 Acknowledged" (with who, when known). */
export function acknowledgedCardUpdate(userid: string, responseCode: string, by?: string): Record<string, unknown> {
  const label = by ? `${by} ${ACKED_LABEL.zh} ${ACKED_LABEL.en}` : `${ACKED_LABEL.zh} ${ACKED_LABEL.en}`;
  return { userids: [userid], response_code: responseCode, button: { replace_name: label.slice(0, 20) } };
}

/** "另有 3 条告警：3号楼" plus one line per merged alert with its acknowledgement link. */
export function mergedTextMessage(merged: readonly PersonMessage[], userid: string): Record<string, unknown> {
  const lines = [`${mergedText('zh', merged)} / ${mergedText('en', merged)}`];
  for (const m of merged) lines.push(`${titleText('zh', m)} ${m.place.zh} ${ACK_LABEL.zh}: ${m.ackUrl}`);
  let content = lines.join('\n');
  // WeCom cuts text at 2048 bytes; keep whole lines.
  while (Buffer.byteLength(content) > 2000 && lines.length > 1) {
    lines.pop();
    content = `${lines.join('\n')}\n…`;
  }
  return { touser: userid, msgtype: 'text', text: { content } };
}

/** A case: a text_notice card (nothing to acknowledge) that opens the case on /worker. */
export function caseCardMessage(m: CaseMessage, userid: string): Record<string, unknown> {
  const late = m.change === 'overdue' || m.change === 'escalated';
  return {
    touser: userid,
    msgtype: 'template_card',
    template_card: {
      card_type: 'text_notice',
      source: { desc: `${BRAND.zh} ${BRAND.en}`, desc_color: late ? 2 : 0 },
      main_title: { title: caseTitle('zh', m), desc: caseTitle('en', m) },
      horizontal_content_list: caseLines('zh', m).map((l) => ({ keyname: l.key, value: l.value })).slice(0, 6),
      jump_list: [{ type: 1, title: `${OPEN_CASE_LABEL.zh} ${OPEN_CASE_LABEL.en}`, url: m.openUrl }],
      card_action: { type: 1, url: m.openUrl },
      task_id: taskId(m.key),
    },
    enable_duplicate_check: 1,
    duplicate_check_interval: 1800,
  };
}
