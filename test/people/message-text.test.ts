import { describe, expect, it } from 'vitest';
import { detailLines, markdownText, mergedText, smsText, titleText, voiceText } from '../../server/src/notify/people/message-text.ts';
import { personMessage } from './messages.ts';

describe('message texts', () => {
  it('titles by severity and change in both languages, places by name', () => {
    const m = { ...personMessage({ severity: 'major', type: 'smoke_fault' }), change: 'escalated' as const, level: 2 };
    expect(titleText('zh', m)).toBe('【重要·已升级】烟感故障');
    expect(titleText('en', m)).toBe('[Major · Escalated] Smoke sensor fault');
    expect(detailLines('en', m).map((l) => l.key)).toEqual(['Where', 'Opened', 'Escalation level']);
    expect(detailLines('zh', m)[0]!.value).toBe(m.place.zh);
    expect(markdownText(m)).toContain(m.place.en);
    expect(markdownText(m)).not.toContain(m.alert.deviceId);
  });

  it('SMS and voice texts', () => {
    const m = personMessage({ place: { zh: '3号楼2单元', en: 'Building 3 unit 2' } });
    expect(smsText(m)).toBe(`【社区安全】3号楼2单元 火灾报警，请确认：${m.ackUrl}`);
    expect(voiceText(m)).toContain('3号楼2单元，火灾报警');
  });

  it('merged summaries name up to three places', () => {
    const at = (zh: string, en: string) => personMessage({ place: { zh, en } });
    expect(mergedText('zh', [at('3号楼', 'Building 3')])).toBe('另有 1 条告警：3号楼');
    expect(mergedText('en', [at('3号楼', 'Building 3')])).toBe('1 more alert in Building 3');
    const many = [at('1号楼', 'B1'), at('2号楼', 'B2'), at('3号楼', 'B3'), at('4号楼', 'B4'), at('1号楼', 'B1')];
    expect(mergedText('zh', many)).toBe('另有 5 条告警：1号楼、2号楼、3号楼等');
    expect(mergedText('en', many)).toBe('5 more alerts in B1, B2, B3 and more');
  });
});
