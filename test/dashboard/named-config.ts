// A community whose config file names everything (cells, buildings, floors, devices, workers with
// phones and a WeCom id): the control-room browser tests read names, not ids, from it.
const room = (id: string, name: string, floor: number) => ({ id, kind: 'smoke', communityId: 'c1', gridCellId: 'c1-g1', buildingId: 'c1-b03', floor, name });
export const NAMED_CONFIG = {
  communities: [
    {
      id: 'c1',
      name: { zh: '幸福里社区', en: 'Xingfuli Community' },
      controlRoom: { lead: 'lead1' },
      cells: [
        {
          id: 'c1-g1',
          name: { zh: '第一网格', en: 'Cell 1' },
          supervisor: 'sup1',
          workers: ['w1'],
          buildings: [
            { id: 'c1-b03', name: { zh: '3号楼', en: 'Building 3' }, floors: 18 },
            { id: 'c1-b05', name: { zh: '5号楼', en: 'Building 5' }, floors: 11 },
          ],
        },
      ],
    },
  ],
  workers: [
    { id: 'w1', name: '王强', phone: '13800000001', role: 'worker', cells: ['c1-g1'], accounts: { wecom: 'wangqiang' } },
    { id: 'sup1', name: '林艳', phone: '13812345678', role: 'supervisor', cells: ['c1-g1'] },
    { id: 'lead1', name: '陈刚', phone: '13800000005', role: 'lead' },
  ],
  devices: [
    room('f1', '1604 厨房烟感', 16),
    room('f2', '1605 客厅烟感', 16),
    room('m1', '1201 走廊烟感', 12),
    room('t1', '0301 楼道烟感', 3),
  ],
  // minor alerts escalate within seconds, so a shift's escalations happen during the test
  escalation: { ackDeadlineS: { minor: 1 } },
  incidents: [{ name: 'fire', types: ['fire_alarm'], scope: 'building', windowS: 600 }],
};
