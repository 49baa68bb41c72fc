import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { buildManscdp, listOf, parseManscdp, textOf, XmlBodyError } from '../../server/src/gb28181/xml.ts';

const reason = (bytes: Buffer, ct?: string) => {
  try {
    parseManscdp(bytes, ct);
    return 'parsed';
  } catch (err) {
    return (err as XmlBodyError).reason;
  }
};

describe('MANSCDP XML bodies', () => {
  it('reads a GB2312 body with Chinese text and keeps 20-digit ids as text', () => {
    const xml = '<?xml version="1.0" encoding="GB2312"?>\n<Notify><CmdType>Alarm</CmdType><SN>17</SN><DeviceID>34020000001340000001</DeviceID><AlarmDescription>东门视频丢失</AlarmDescription></Notify>';
    const m = parseManscdp(iconv.encode(xml, 'gb2312'));
    expect(m).toMatchObject({ root: 'Notify', cmdType: 'Alarm', sn: '17', deviceId: '34020000001340000001' });
    expect(textOf(m.body, 'AlarmDescription')).toBe('东门视频丢失');
  });
  it('reads UTF-8 when declared, or from the Content-Type charset', () => {
    const body = '<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>1</DeviceID><SumNum>2</SumNum><DeviceList Num="2"><Item><DeviceID>a</DeviceID><Name>北门</Name></Item><Item><DeviceID>b</DeviceID></Item></DeviceList></Response>';
    const m = parseManscdp(Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>${body}`));
    expect(listOf(m.body, 'DeviceList', 'Item').map((i) => textOf(i, 'Name') ?? textOf(i, 'DeviceID'))).toEqual(['北门', 'b']);
    expect(textOf(parseManscdp(Buffer.from(body), 'Application/MANSCDP+xml; charset=UTF-8').body, 'SumNum')).toBe('2');
  });
  it('round-trips what it builds, in both charsets', () => {
    for (const cs of ['GB2312', 'UTF-8'] as const) {
      const bytes = buildManscdp('Query', [['CmdType', 'Catalog'], ['SN', 5], ['DeviceID', '34020000001320000001'], ['Info', [['Name', '东门 & <1>']]]], cs);
      const m = parseManscdp(bytes);
      expect(m.cmdType).toBe('Catalog');
      expect(textOf(m.body.Info as never, 'Name')).toBe('东门 & <1>');
    }
  });
  it('refuses malformed, oversized, oddly encoded and incomplete bodies by reason', () => {
    expect(reason(Buffer.from('<Notify><CmdType>Alarm</CmdType><SN>1</SN>'))).toBe('xml_malformed');
    expect(reason(Buffer.from('<Notify><CmdType>Alarm</CmdType></Notfy>'))).toBe('xml_malformed');
    expect(reason(Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Notify><CmdType>&a;</CmdType></Notify>'))).toBe('xml_malformed');
    expect(reason(Buffer.from(`<Notify>${'<a>'.repeat(40)}${'</a>'.repeat(40)}</Notify>`, 'utf8'), 'charset=utf-8')).toBe('xml_malformed');
    expect(reason(Buffer.from(`<Notify><CmdType>${'x'.repeat(40_000)}</CmdType></Notify>`))).toBe('xml_oversized');
    expect(reason(Buffer.from('<?xml version="1.0" encoding="UTF-8"?><Notify><CmdType>\xff\xfe</CmdType></Notify>', 'latin1'))).toBe('xml_encoding');
    expect(reason(Buffer.from('<?xml version="1.0" encoding="EBCDIC"?><Notify/>'))).toBe('xml_encoding');
    expect(reason(Buffer.from('<Notify><SN>1</SN><DeviceID>1</DeviceID></Notify>'))).toBe('xml_schema');
    expect(reason(Buffer.from('<Notify><CmdType>Alarm</CmdType><SN>x</SN><DeviceID>1</DeviceID></Notify>'))).toBe('xml_schema');
    expect(reason(Buffer.from('<Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>1</DeviceID></Notify>'))).toBe('parsed');
  });
});
