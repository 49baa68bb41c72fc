import { describe, expect, it } from 'vitest';
import { localName, placeText } from '../../devices/src/place.ts';

describe('placeText', () => {
  const p = { community: { zh: '阳光花园', en: 'Sunshine Garden' }, cell: '一网格', building: { zh: '3号楼', en: 'Building 3' }, floor: 3, device: { zh: '306 厨房烟感', en: '306 kitchen smoke' } };

  it('reads building, floor and device by name in both languages', () => {
    expect(placeText('zh', p)).toBe('3号楼 3层 · 306 厨房烟感');
    expect(placeText('en', p)).toBe('Building 3, floor 3 · 306 kitchen smoke');
  });

  it('adds community and cell for wide views, and names basements', () => {
    expect(placeText('zh', { ...p, floor: -1 }, { wide: true })).toBe('阳光花园 一网格 3号楼 地下1层 · 306 厨房烟感');
    expect(placeText('en', { building: 'B3', floor: -2 })).toBe('B3, basement 2');
  });

  it('leaves out what is not known', () => {
    expect(placeText('zh', {})).toBe('');
    expect(placeText('en', { device: 'Gate 1' })).toBe('Gate 1');
    expect(localName('en', { zh: '门', en: '' })).toBe('门');
  });
});
