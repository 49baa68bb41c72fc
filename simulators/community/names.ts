import { pick } from '../src/rng.ts';

/** Bilingual names: the hub and the dashboard show both. */
export interface Name {
  zh: string;
  en: string;
}

// The most common Chinese surnames, with their pinyin, so generated staff look like real rosters.
const SURNAMES: readonly [string, string][] = [
  ['王', 'Wang'], ['李', 'Li'], ['张', 'Zhang'], ['刘', 'Liu'], ['陈', 'Chen'], ['杨', 'Yang'], ['黄', 'Huang'],
  ['赵', 'Zhao'], ['吴', 'Wu'], ['周', 'Zhou'], ['徐', 'Xu'], ['孙', 'Sun'], ['马', 'Ma'], ['朱', 'Zhu'],
  ['胡', 'Hu'], ['郭', 'Guo'], ['何', 'He'], ['高', 'Gao'], ['林', 'Lin'], ['罗', 'Luo'], ['郑', 'Zheng'],
  ['梁', 'Liang'], ['谢', 'Xie'], ['宋', 'Song'], ['唐', 'Tang'], ['韩', 'Han'], ['冯', 'Feng'], ['曹', 'Cao'],
];
const GIVEN = [
  '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀英',
  '霞', '平', '刚', '桂英', '建华', '建国', '志强', '海燕', '丹', '玉兰', '红梅', '晓东', '文博', '子涵', '春梅', '国强',
];

export function personName(rng: () => number): string {
  return pick(rng, SURNAMES)[0] + pick(rng, GIVEN);
}

// Mainland mobile prefixes; the numbers are random and fake.
const MOBILE_PREFIXES = ['133', '135', '136', '137', '138', '139', '150', '151', '152', '158', '159', '177', '186', '187', '188', '189'];

export function phoneNumber(rng: () => number): string {
  let rest = '';
  for (let i = 0; i < 8; i++) rest += Math.floor(rng() * 10);
  return pick(rng, MOBILE_PREFIXES) + rest;
}

const COMMUNITY_NAMES: readonly Name[] = [
  { zh: '阳光社区', en: 'Sunshine Community' }, { zh: '幸福社区', en: 'Xingfu Community' },
  { zh: '和平社区', en: 'Heping Community' }, { zh: '锦绣社区', en: 'Jinxiu Community' },
  { zh: '翠湖社区', en: 'Cuihu Community' }, { zh: '金桥社区', en: 'Jinqiao Community' },
  { zh: '春晖社区', en: 'Chunhui Community' }, { zh: '康乐社区', en: 'Kangle Community' },
  { zh: '明珠社区', en: 'Mingzhu Community' }, { zh: '新华社区', en: 'Xinhua Community' },
  { zh: '东湖社区', en: 'Donghu Community' }, { zh: '南苑社区', en: 'Nanyuan Community' },
  { zh: '紫荆社区', en: 'Zijing Community' }, { zh: '丽景社区', en: 'Lijing Community' },
  { zh: '桂花社区', en: 'Guihua Community' }, { zh: '枫林社区', en: 'Fenglin Community' },
  { zh: '滨江社区', en: 'Binjiang Community' }, { zh: '朝阳社区', en: 'Chaoyang Community' },
  { zh: '青松社区', en: 'Qingsong Community' }, { zh: '梧桐社区', en: 'Wutong Community' },
];

/** The n-th community's name (0-based); past the list, names repeat with a number. */
export function communityName(n: number): Name {
  const base = COMMUNITY_NAMES[n % COMMUNITY_NAMES.length]!;
  const round = Math.floor(n / COMMUNITY_NAMES.length);
  return round === 0 ? base : { zh: base.zh.replace('社区', `${round + 1}社区`), en: `${base.en} ${round + 1}` };
}

const ZH_DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/** 1 → 第一网格 ... 10 → 第十网格, beyond that plain digits (第12网格) as rosters write them. */
export function cellName(n: number): Name {
  return { zh: n <= 10 ? `第${ZH_DIGITS[n]}网格` : `第${n}网格`, en: `Grid ${n}` };
}

export function buildingName(n: number): Name {
  return { zh: `${n}号楼`, en: `Building ${n}` };
}

/** One string for device names: the hub's loader takes a string or {zh,en}; a string works on every version. */
export function bilingual(n: Name): string {
  return `${n.zh} · ${n.en}`;
}
