// The DingTalk work notification: an action card whose one button is the message's one-tap
// acknowledgement link. DingTalk drops a notification identical to one the same person got
// today, so every card says when it was sent.
import { ACK_LABEL, markdownText, titleText } from '../message-text.ts';
import type { PersonMessage } from '../transport.ts';

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
