// Every UI string of the dashboard, in zh-CN and English. Components never hold literal text:
// they call t('key') (see locale.svelte.ts). Device kind names come from the shared device model.
import { localName as sharedLocalName } from '#devices/place.ts';
import { kindSpecs, isDeviceKind } from '#devices/kinds/index.ts';
import { ALERT_TYPES, isAlertType } from '#devices/alerts.ts';
import type { LocalizedName, User } from './types.ts';

type UserRole = User['role'];

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';
export const LOCALE_STORAGE_KEY = 'hub.locale';

type Entry = { zh: string; en: string };

export const messages = {
  'app.title': { zh: '社区安全中枢', en: 'Community safety hub' },
  'app.controlRoom': { zh: '综治中心', en: 'Control room' },
  'app.worker': { zh: '网格员', en: 'Grid worker' },
  'app.language': { zh: 'English', en: '中文' },
  'app.languageLabel': { zh: '切换语言', en: 'Switch language' },
  'app.loading': { zh: '加载中…', en: 'Loading…' },
  'app.retry': { zh: '重试', en: 'Retry' },
  'app.close': { zh: '关闭', en: 'Close' },
  'app.logout': { zh: '退出', en: 'Log out' },
  'app.mute': { zh: '静音', en: 'Mute' },
  'app.unmute': { zh: '取消静音', en: 'Unmute' },
  'app.notAvailable': { zh: '暂不可用', en: 'Not available yet' },
  'app.error': { zh: '出错：{message}', en: 'Error: {message}' },
  // ---- admin pages (/admin) and first-run hint: dashboard/src/AdminView.svelte, admin/*
  'admin.title': { zh: '系统管理', en: 'Administration' },
  'admin.denied': { zh: '此页面仅限管理员。请用管理员账号登录。', en: 'This page is for administrators only. Log in with an admin account.' },
  'admin.tab.users': { zh: '用户与角色', en: 'Users and roles' },
  'admin.tab.devices': { zh: '设备接入', en: 'Device provisioning' },
  'admin.tab.mqtt': { zh: '网关与 MQTT', en: 'Gateways and MQTT' },
  'admin.tab.displays': { zh: '值班大屏', en: 'Wall screens' },
  'admin.tab.audit': { zh: '审计日志', en: 'Audit log' },
  'admin.actions': { zh: '操作', en: 'Actions' },
  'admin.all': { zh: '全部', en: 'All' },
  'admin.saved': { zh: '已保存', en: 'Saved' },
  'admin.delete': { zh: '删除', en: 'Delete' },
  'admin.revoke': { zh: '吊销', en: 'Revoke' },
  'admin.created': { zh: '创建', en: 'Created' },
  'admin.users.name': { zh: '姓名', en: 'Name' },
  'admin.users.username': { zh: '账号', en: 'Username' },
  'admin.users.role': { zh: '角色', en: 'Role' },
  'admin.users.scope': { zh: '范围', en: 'Scope' },
  'admin.users.status': { zh: '状态', en: 'Status' },
  'admin.users.everything': { zh: '全部（管理员）', en: 'Everything (admin)' },
  'admin.users.active': { zh: '启用', en: 'Active' },
  'admin.users.disabled': { zh: '已停用', en: 'Disabled' },
  'admin.users.enable': { zh: '启用', en: 'Enable' },
  'admin.users.disable': { zh: '停用', en: 'Disable' },
  'admin.users.new': { zh: '新建账号', en: 'New account' },
  'admin.users.create': { zh: '创建账号', en: 'Create account' },
  'admin.users.created': { zh: '已创建账号：{name}', en: 'Account created: {name}' },
  'admin.users.deleted': { zh: '已删除账号：{name}', en: 'Account deleted: {name}' },
  'admin.users.confirmDelete': { zh: '删除账号 {name}？其登录会话立即失效。', en: 'Delete the account {name}? Its sessions end at once.' },
  'admin.users.worker': { zh: '网格员（配置文件）', en: 'Grid worker (config file)' },
  'admin.users.pickWorker': { zh: '选择网格员…', en: 'Pick a worker…' },
  'admin.users.hasAccount': { zh: '已有账号', en: 'has an account' },
  'admin.users.communities': { zh: '社区', en: 'Communities' },
  'admin.secret.once': { zh: '请立即复制密码：它只显示这一次，中枢不保存明文。', en: 'Copy the password now: it is shown only this once; the hub keeps no plain copy.' },
  'admin.secret.username': { zh: 'MQTT 用户名', en: 'MQTT username' },
  'admin.secret.password': { zh: 'MQTT 密码', en: 'MQTT password' },
  'admin.secret.copy': { zh: '复制密码', en: 'Copy password' },
  'admin.secret.copied': { zh: '已复制', en: 'Copied' },
  'admin.secret.done': { zh: '已保存，关闭', en: 'Saved it, close' },
  'admin.devices.id': { zh: '设备编号', en: 'Device id' },
  'admin.devices.kind': { zh: '类型', en: 'Kind' },
  'admin.devices.community': { zh: '社区', en: 'Community' },
  'admin.devices.cell': { zh: '网格', en: 'Grid cell' },
  'admin.devices.building': { zh: '楼栋', en: 'Building' },
  'admin.devices.floor': { zh: '楼层', en: 'Floor' },
  'admin.devices.nameZh': { zh: '名称（中文）', en: 'Name (Chinese)' },
  'admin.devices.nameEn': { zh: '名称（英文）', en: 'Name (English)' },
  'admin.devices.provision': { zh: '接入并生成凭据', en: 'Provision and issue credential' },
  'admin.devices.rotate': { zh: '更换设备凭据', en: 'Rotate a device credential' },
  'admin.devices.rotateSubmit': { zh: '生成新密码', en: 'Issue a new password' },
  'admin.mqtt.newGateway': { zh: '新建网关', en: 'New gateway' },
  'admin.mqtt.gatewayId': { zh: '网关编号', en: 'Gateway id' },
  'admin.mqtt.createGateway': { zh: '创建网关凭据', en: 'Create gateway credential' },
  'admin.mqtt.files': { zh: 'Mosquitto 密码与 ACL 文件', en: 'Mosquitto password and ACL files' },
  'admin.mqtt.filesHint': { zh: '按当前凭据重新生成，下载后放到 Mosquitto 的 password_file 与 acl_file 位置并重载（或在服务器上运行 npm run admin -- mosquitto-files --out <目录>）。', en: 'Regenerated from the current credentials: download, put them where Mosquitto reads password_file and acl_file, and reload it (or run npm run admin -- mosquitto-files --out <dir> on the server).' },
  'admin.mqtt.regenerate': { zh: '重新生成文件', en: 'Regenerate the files' },
  'admin.mqtt.entries': { zh: '{n} 行', en: '{n} lines' },
  'admin.mqtt.credentials': { zh: 'MQTT 账号', en: 'MQTT accounts' },
  'admin.mqtt.type': { zh: '类型', en: 'Type' },
  'admin.mqtt.type.gateway': { zh: '网关', en: 'Gateway' },
  'admin.mqtt.type.device': { zh: '设备', en: 'Device' },
  'admin.mqtt.type.hub': { zh: '中枢', en: 'Hub' },
  'admin.mqtt.type.other': { zh: '其他', en: 'Other' },
  'admin.mqtt.confirmRevoke': { zh: '吊销 {name} 的 MQTT 凭据？', en: 'Revoke the MQTT credential of {name}?' },
  'admin.audit.at': { zh: '时间', en: 'Time' },
  'admin.audit.actor': { zh: '操作人', en: 'Who' },
  'admin.audit.action': { zh: '动作', en: 'Action' },
  'admin.audit.target': { zh: '对象', en: 'Target' },
  'admin.audit.result': { zh: '结果', en: 'Result' },
  'admin.audit.detail': { zh: '详情', en: 'Detail' },
  'admin.audit.ok': { zh: '成功', en: 'Done' },
  'admin.audit.refused': { zh: '被拒', en: 'Refused' },
  'admin.audit.filter': { zh: '筛选', en: 'Filter' },
  'admin.audit.more': { zh: '更早的记录', en: 'Older entries' },
  'admin.displays.hint': { zh: '值班大屏只需配对一次：获得长期有效、可随时吊销的大屏凭据，可查看所辖社区并确认告警，不能派单、处置或管理。', en: 'Pair a wall screen once: it gets a long-lived, revocable display credential that shows its communities and may acknowledge alerts there; it cannot assign, resolve or administer.' },
  'admin.displays.name': { zh: '大屏名称', en: 'Screen name' },
  'admin.displays.create': { zh: '生成配对码', en: 'Create pairing code' },
  'admin.displays.pairOnce': { zh: '在大屏上打开下面的链接（15 分钟内有效，仅可使用一次）：', en: 'Open this link on the screen (valid 15 minutes, works once):' },
  'admin.displays.list': { zh: '已配对的大屏', en: 'Paired screens' },
  'admin.displays.paired': { zh: '已配对', en: 'Paired' },
  'admin.displays.waiting': { zh: '等待配对', en: 'Waiting to pair' },
  'admin.displays.lastSeen': { zh: '最近在线', en: 'Last seen' },
  'admin.displays.none': { zh: '还没有大屏', en: 'No screens yet' },
  'admin.displays.confirmRevoke': { zh: '吊销大屏「{name}」？它将立即退出。', en: 'Revoke the screen "{name}"? It is logged out at once.' },
  'admin.displays.pairing': { zh: '正在配对大屏…', en: 'Pairing this screen…' },
  'admin.displays.pairFailed': { zh: '配对失败：链接已用过或已过期。请管理员重新生成配对码。', en: 'Pairing failed: the link was used or has expired. Ask an admin for a new pairing code.' },
  'admin.audit.none': { zh: '没有符合条件的记录', en: 'No matching entries' },
  'admin.audit.what': { zh: '经过', en: 'What happened' },
  'audit.line': { zh: '{time} {sentence}', en: '{sentence} at {time}' },
  'audit.bootstrap': { zh: '初始化', en: 'Setup' },
  'audit.refusedSentence': { zh: '{sentence}（被拒绝）', en: '{sentence} (refused)' },
  'audit.s.alert.ack': { zh: '{actor} 确认了 {alert}', en: '{actor} acknowledged {alert}' },
  'audit.s.alert.assign': { zh: '{actor} 将 {alert} 指派给 {assignee}', en: '{actor} assigned {alert} to {assignee}' },
  'audit.s.alert.resolve': { zh: '{actor} 处置完成 {alert}：{note}', en: '{actor} resolved {alert}: {note}' },
  'audit.s.alert.resolveNoNote': { zh: '{actor} 处置完成 {alert}', en: '{actor} resolved {alert}' },
  'audit.s.alert.export': { zh: '{actor} 导出了告警 CSV', en: '{actor} exported alerts as CSV' },
  'audit.s.auth.login': { zh: '{actor} 登录', en: '{actor} signed in' },
  'audit.s.auth.logout': { zh: '{actor} 退出登录', en: '{actor} signed out' },
  'audit.s.auth.login_failed': { zh: '以 {actor} 登录失败（用户名或密码错误）', en: 'A sign-in as {actor} failed (wrong name or password)' },
  'audit.s.auth.login_throttled': { zh: '以 {actor} 登录的尝试过多，需等待 {wait} 秒', en: 'Too many sign-ins as {actor}: wait {wait} s' },
  'audit.s.user.create': { zh: '{actor} 创建了账号 {target}（{role}）', en: '{actor} created the account {target} ({role})' },
  'audit.s.user.createNoRole': { zh: '{actor} 创建了账号 {target}', en: '{actor} created the account {target}' },
  'audit.s.user.update': { zh: '{actor} 修改了账号 {target}：{changes}', en: '{actor} changed the account {target}: {changes}' },
  'audit.s.user.updateNothing': { zh: '{actor} 修改了账号 {target}', en: '{actor} changed the account {target}' },
  'audit.s.user.delete': { zh: '{actor} 删除了账号 {target}', en: '{actor} deleted the account {target}' },
  'audit.s.user.password': { zh: '{actor} 修改了自己的密码', en: '{actor} changed their own password' },
  'audit.change.disabled': { zh: '停用', en: 'disabled' },
  'audit.change.enabled': { zh: '启用', en: 'enabled' },
  'audit.change.password': { zh: '重设密码', en: 'password reset' },
  'audit.change.role': { zh: '角色改为{role}', en: 'role now {role}' },
  'audit.change.communities': { zh: '社区改为 {list}', en: 'communities now {list}' },
  'audit.change.cells': { zh: '网格已修改', en: 'cells changed' },
  'audit.change.worker': { zh: '对应网格员 {name}', en: 'linked to grid worker {name}' },
  'audit.change.displayName': { zh: '姓名已修改', en: 'name changed' },
  'audit.change.unlock': { zh: '解除登录锁定', en: 'sign-in lock cleared' },
  'audit.s.device.provision': { zh: '{actor} 登记了设备 {device}', en: '{actor} provisioned the device {device}' },
  'audit.s.device.credential_rotate': { zh: '{actor} 重新生成了 {device} 的 MQTT 凭据', en: '{actor} issued a new MQTT credential for {device}' },
  'audit.s.gateway.create': { zh: '{actor} 创建了网关 {target}（{community}）', en: '{actor} created the gateway {target} ({community})' },
  'audit.s.mqtt.credential_revoke': { zh: '{actor} 吊销了 MQTT 凭据 {target}', en: '{actor} revoked the MQTT credential {target}' },
  'audit.s.mqtt.config_export': { zh: '{actor} 导出了 Mosquitto 密码与 ACL 文件', en: '{actor} exported the Mosquitto password and ACL files' },
  'audit.s.display.create': { zh: '{actor} 为值班大屏「{target}」生成了配对码', en: '{actor} created a pairing code for the wall screen "{target}"' },
  'audit.s.display.pair': { zh: '一块值班大屏完成了配对', en: 'A wall screen was paired' },
  'audit.s.display.revoke': { zh: '{actor} 吊销了值班大屏「{target}」', en: '{actor} revoked the wall screen "{target}"' },
  'audit.s.case.create': { zh: '{actor} 新建了事件', en: '{actor} opened a case' },
  'audit.s.case.action': { zh: '{actor} 处理了事件 {target}', en: '{actor} acted on case {target}' },
  'audit.s.case.resident_report': { zh: '居民上报了事件', en: 'A resident reported a case' },
  'audit.s.push.subscribe': { zh: '{actor} 开启了手机推送', en: '{actor} turned on phone push' },
  'audit.s.push.unsubscribe': { zh: '{actor} 关闭了手机推送', en: '{actor} turned off phone push' },
  'login.firstRun': { zh: '首次使用？在服务器上运行 npm run admin -- create-admin admin 创建第一个管理员，或使用中枢启动日志里的一次性 setup token（POST /api/auth/setup）。', en: 'First run? Create the first admin on the server with npm run admin -- create-admin admin, or use the one-time setup token in the hub\'s start-up log (POST /api/auth/setup).' },

  'conn.live': { zh: '实时', en: 'Live' },
  'conn.connecting': { zh: '连接中', en: 'Connecting' },
  'conn.unreachable': {
    zh: '无法连接中枢，{seconds} 秒后重试。显示的数据可能已过时。',
    en: 'Hub unreachable — retrying in {seconds} s. What you see may be out of date.',
  },
  'conn.resynced': { zh: '已重新连接并同步', en: 'Reconnected and resynchronised' },

  'login.title': { zh: '登录', en: 'Sign in' },
  'login.username': { zh: '用户名', en: 'Username' },
  'login.password': { zh: '密码', en: 'Password' },
  'login.submit': { zh: '登录', en: 'Sign in' },
  'login.failed': { zh: '用户名或密码错误', en: 'Wrong username or password' },
  'login.throttled': { zh: '尝试次数过多，请稍后再试', en: 'Too many attempts, try again later' },
  'login.signedInAs': { zh: '{user}（{role}）', en: '{user} ({role})' },

  'role.admin': { zh: '管理员', en: 'Admin' },
  'role.operator': { zh: '值班员', en: 'Operator' },
  'role.worker': { zh: '网格员', en: 'Grid worker' },
  'role.viewer': { zh: '只读', en: 'Viewer' },
  'role.display': { zh: '值班大屏', en: 'Wall screen' },

  'tab.plan': { zh: '平面图', en: 'Plan' },
  'tab.devices': { zh: '设备', en: 'Devices' },
  'tab.figures': { zh: '关键指标', en: 'Key figures' },

  'severity.critical': { zh: '紧急', en: 'Critical' },
  'severity.major': { zh: '重要', en: 'Major' },
  'severity.minor': { zh: '次要', en: 'Minor' },
  'severity.info': { zh: '提示', en: 'Info' },
  'state.open': { zh: '未确认', en: 'Open' },
  'state.acknowledged': { zh: '已确认', en: 'Acknowledged' },
  'state.resolved': { zh: '已处置', en: 'Resolved' },
  'state.cleared': { zh: '已消除', en: 'Cleared' },

  'queue.title': { zh: '告警队列', en: 'Alert queue' },
  'queue.unacked': { zh: '未确认', en: 'Unacknowledged' },
  'queue.empty': { zh: '当前没有告警', en: 'No alerts right now' },
  'queue.onlyOpen': { zh: '只看未确认', en: 'Unacknowledged only' },
  'queue.newestFirst': { zh: '最新在前', en: 'Newest first' },
  'queue.oldestFirst': { zh: '最早在前', en: 'Oldest first' },
  'queue.count': { zh: '×{count}', en: '×{count}' },
  'queue.escalated': { zh: '已升级 {level} 级', en: 'Escalated ×{level}' },
  'queue.incident': { zh: '事件 {id}', en: 'Incident {id}' },
  'queue.fold': { zh: '按事件合并', en: 'Group by incident' },
  'queue.related': { zh: '同一事件另有 {count} 条', en: '+{count} in this incident' },
  'alert.related': { zh: '同一事件的其他告警', en: 'Other alerts of this incident' },
  'queue.total': { zh: '共 {count} 条', en: '{count} alerts' },
  'queue.totalOne': { zh: '共 1 条', en: '1 alert' },

  'time.ago.s': { zh: '{n} 秒', en: '{n}s' },
  'time.ago.m': { zh: '{m} 分 {s} 秒', en: '{m}m {s}s' },
  'time.ago.h': { zh: '{h} 小时 {m} 分', en: '{h}h {m}m' },
  'time.ago.d': { zh: '{d} 天 {h} 小时', en: '{d}d {h}h' },

  'alert.device': { zh: '设备', en: 'Device' },
  'alert.kind': { zh: '类型', en: 'Kind' },
  'alert.type': { zh: '告警类型', en: 'Alert type' },
  'alert.cell': { zh: '网格', en: 'Grid cell' },
  'alert.community': { zh: '社区', en: 'Community' },
  'alert.building': { zh: '楼栋', en: 'Building' },
  'alert.floorValue': { zh: '{floor} 层', en: 'floor {floor}' },
  'alert.lastSeenAt': { zh: '最近一次', en: 'Last seen' },
  'alert.acknowledgedBy': { zh: '确认人', en: 'Acknowledged by' },
  'alert.resolvedBy': { zh: '处置人', en: 'Resolved by' },
  'alert.assignee': { zh: '指派给', en: 'Assignee' },
  'alert.unassigned': { zh: '未指派', en: 'Unassigned' },
  'alert.escalatesIn': { zh: '{time} 后升级', en: 'Escalates in {time}' },
  'alert.overdue': { zh: '已超时 {time}', en: 'Overdue by {time}' },
  'alert.sinceOpened': { zh: '已持续', en: 'Open for' },
  'alert.history': { zh: '处置记录', en: 'History' },
  'alert.historyEmpty': { zh: '暂无记录', en: 'No history yet' },
  'alert.snapshots': { zh: '抓拍', en: 'Snapshots' },
  'alert.latest': { zh: '最新读数', en: 'Latest readings' },
  'alert.deviceFacts': { zh: '设备信息', en: 'Device facts' },
  'alert.ack': { zh: '确认', en: 'Acknowledge' },
  'alert.assign': { zh: '指派', en: 'Assign' },
  'alert.assignPlaceholder': { zh: '网格员用户名', en: 'Worker username' },
  'alert.resolve': { zh: '处置完成', en: 'Resolve' },
  'alert.note': { zh: '处置说明', en: 'Resolution note' },
  'alert.notePlaceholder': { zh: '现场情况、处置结果（必填）', en: 'What happened, what was done (required)' },
  'alert.noteRequired': { zh: '请填写处置说明', en: 'A note is required' },
  'alert.failed': { zh: '操作失败：{message}', en: 'Action failed: {message}' },

  'plan.title': { zh: '社区平面图', en: 'Community plan' },
  'plan.community': { zh: '社区', en: 'Community' },
  'plan.empty': { zh: '暂无网格与楼栋信息', en: 'No grid or building data yet' },
  'plan.generated': { zh: '未配置坐标，使用自动布局', en: 'No coordinates configured; generated layout' },
  'plan.legend.normal': { zh: '正常', en: 'Normal' },
  'plan.legend.alert': { zh: '告警中', en: 'In alert' },
  'plan.legend.offline': { zh: '离线', en: 'Offline' },
  'plan.aggregated': {
    zh: '设备较多：仅标出告警设备和离线设备（最多 {n} 个），其余按楼栋汇总',
    en: 'Many devices: only devices in alert, then offline ones, are marked (at most {n}); buildings sum up the rest',
  },
  'plan.hiddenOffline': { zh: '另有 {count} 台离线设备未逐一标出', en: '{count} more offline devices not marked one by one' },
  'plan.noCell': { zh: '未分网格', en: 'No grid cell' },
  'plan.unplaced': { zh: '未定位设备', en: 'Unplaced devices' },

  'device.title': { zh: '设备 {id}', en: 'Device {id}' },
  'device.online': { zh: '在线', en: 'Online' },
  'device.offline': { zh: '离线', en: 'Offline' },
  'device.inAlert': { zh: '告警中', en: 'In alert' },
  'device.lastSeen': { zh: '最后上报', en: 'Last seen' },
  'device.provisioned': { zh: '已注册凭据', en: 'Provisioned' },
  'device.name': { zh: '名称', en: 'Name' },
  'device.id': { zh: '编号', en: 'ID' },
  'device.state': { zh: '状态', en: 'State' },
  'device.lastHour': { zh: '最近 1 小时', en: 'Last hour' },
  'device.lastDay': { zh: '最近 24 小时', en: 'Last day' },
  'device.noData': { zh: '暂无数据', en: 'No data' },
  'device.events': { zh: '最近事件', en: 'Recent events' },
  'device.noEvents': { zh: '暂无事件', en: 'No events' },
  'device.yes': { zh: '是', en: 'yes' },
  'device.no': { zh: '否', en: 'no' },

  'table.filterKind': { zh: '类型', en: 'Kind' },
  'table.filterState': { zh: '状态', en: 'State' },
  'table.filterCell': { zh: '网格', en: 'Cell' },
  'table.all': { zh: '全部', en: 'All' },
  'table.search': { zh: '搜索编号或名称', en: 'Search id or name' },
  'table.shown': { zh: '显示 {shown} / {total}', en: '{shown} of {total} shown' },
  'table.empty': { zh: '没有符合条件的设备', en: 'No device matches' },
  'table.noDevices': { zh: '尚未登记设备', en: 'No devices registered yet' },
  'table.onlineOffline': { zh: '在线 {online} · 离线 {offline}', en: '{online} online · {offline} offline' },

  'figures.onlinePct': { zh: '设备在线率', en: 'Devices online' },
  'figures.openBySeverity': { zh: '未处置告警', en: 'Open alerts' },
  'figures.mtta': { zh: '今日平均确认用时', en: 'Mean time to acknowledge today' },
  'figures.perCell': { zh: '各网格告警数', en: 'Alerts per cell' },
  'figures.none': { zh: '—', en: '—' },

  'worker.title': { zh: '我的告警', en: 'My alerts' },
  'worker.empty': { zh: '你负责的网格暂无告警', en: 'No open alerts in your cells' },
  'worker.cells': { zh: '负责网格：{cells}', en: 'My cells: {cells}' },
  'worker.allCells': { zh: '全部网格', en: 'all cells' },
  'worker.goTo': { zh: '前往', en: 'Go to' },
  'worker.enableAlerts': { zh: '开启提醒（通知、振动、声音）', en: 'Enable alerts (notification, vibration, sound)' },
  'worker.newAlert': { zh: '新告警：{title}', en: 'New alert: {title}' },
  'worker.controlRoom': { zh: '综治中心大屏', en: 'Control room screen' },
  // the grid worker's phone: my cases, patrol reports and the offline outbox (WorkerCases, PatrolReport, lib/offline-queue.ts)
  'phone.tab.alerts': { zh: '告警', en: 'Alerts' },
  'phone.tab.cases': { zh: '我的事件', en: 'My cases' },
  'phone.tab.report': { zh: '巡查上报', en: 'Patrol report' },
  'phone.cases.empty': { zh: '暂无派给你的事件', en: 'No cases dispatched to you' },
  'phone.cases.due': { zh: '处置期限 {at}', en: 'Dispose by {at}' },
  'phone.cases.overdue': { zh: '已超时', en: 'Overdue' },
  'phone.cases.receive': { zh: '签收', en: 'Accept' },
  'phone.cases.received': { zh: '已签收', en: 'Accepted' },
  'phone.cases.dispose': { zh: '提交处置', en: 'Submit disposal' },
  'phone.cases.notePlaceholder': { zh: '处置情况（必填）', en: 'What was done (required)' },
  'phone.cases.waitingCheck': { zh: '已提交，待核查', en: 'Submitted, waiting for the check' },
  'phone.cases.rework': { zh: '核查未通过，请返工：{note}', en: 'Check failed, please redo: {note}' },
  'phone.photo': { zh: '拍照', en: 'Photo' },
  'phone.photoCount': { zh: '{n} 张照片', en: '{n} photo(s)' },
  'phone.report.category': { zh: '类别', en: 'Category' },
  'phone.report.cell': { zh: '网格', en: 'Cell' },
  'phone.report.place': { zh: '具体位置', en: 'Exact place' },
  'phone.report.description': { zh: '发现的问题', en: 'What is wrong' },
  'phone.report.submit': { zh: '上报', en: 'Report' },
  'phone.report.done': { zh: '已记录，将尽快上报', en: 'Saved; it will be sent' },
  'phone.noteRequired': { zh: '请填写处置情况', en: 'Say what was done' },
  'phone.descriptionRequired': { zh: '请描述发现的问题', en: 'Say what is wrong' },
  'phone.outbox.waiting': { zh: '{n} 项待发送（网络恢复后自动发送）', en: '{n} waiting to send (sent when the network returns)' },
  'phone.outbox.refused': { zh: '未被受理：{label}（{why}）', en: 'Not accepted: {label} ({why})' },
  'phone.outbox.dismiss': { zh: '知道了', en: 'OK' },
  'phone.outbox.sendNow': { zh: '立即发送', en: 'Send now' },
  'phone.outbox.report': { zh: '巡查上报：{title}', en: 'Patrol report: {title}' },
  'phone.outbox.dispose': { zh: '处置 {code}', en: 'Disposal of {code}' },
  'phone.outbox.receive': { zh: '签收 {code}', en: 'Accepting {code}' },

  // history as sentences (history-text.ts)
  'history.opened': { zh: '产生告警', en: 'Alert raised' },
  'history.repeated': { zh: '设备再次报告（第 {count} 次）', en: 'Reported again (×{count})' },
  'history.recurred': { zh: '消除后再次发生（第 {count} 次）', en: 'Came back after clearing (×{count})' },
  'history.cleared': { zh: '设备报告条件已消除', en: 'The device reports the condition cleared' },
  'history.grouped': { zh: '并入同一事件', en: 'Grouped into an incident' },
  'history.notified': { zh: '通知 {to}', en: 'Notified {to}' },
  'history.notifiedRoom': { zh: '通知综治中心', en: 'Notified the control room' },
  'history.escalated': { zh: '升级至{level}：通知 {to}', en: 'Escalated to {level}: notified {to}' },
  'history.escalatedNobody': { zh: '升级至{level}：{missing}', en: 'Escalated to {level}: {missing}' },
  'history.noSupervisor': { zh: '该网格未配置网格长', en: 'no supervisor configured for the cell' },
  'history.noLead': { zh: '未配置综治中心负责人', en: 'no control-room lead configured' },
  'history.reminded': { zh: '仍未确认，再次提醒 {to}', en: 'Still unacknowledged: reminded {to}' },
  'history.acknowledged': { zh: '{by} 确认', en: 'Acknowledged by {by}' },
  'history.assigned': { zh: '{by} 指派给 {to}', en: '{by} assigned it to {to}' },
  'history.resolved': { zh: '{by} 处置完成', en: 'Resolved by {by}' },
  'history.webhookDelivered': { zh: '已推送到{target}', en: 'Pushed to {target}' },
  'history.webhookFailed': { zh: '推送到{target}失败（{why}），重试中', en: 'Push to {target} failed ({why}), retrying' },
  'history.webhookFailedFinal': { zh: '推送到{target}失败（{why}）', en: 'Push to {target} failed ({why})' },
  'history.snapshot': { zh: '摄像头 {camera} 抓拍', en: 'Snapshot from camera {camera}' },
  'history.other': { zh: '{action}', en: '{action}' },
  'history.system': { zh: '系统', en: 'the system' },
  'history.person': { zh: '{name}（{role}，{phone}）', en: '{name} ({role}, {phone})' },
  'history.personNoPhone': { zh: '{name}（{role}）', en: '{name} ({role})' },
  'history.listSep': { zh: '、', en: ', ' },
  'level.n': { zh: '{n}级', en: 'level {n}' },
  'person.worker': { zh: '网格员', en: 'grid worker' },
  'person.supervisor': { zh: '网格长', en: 'cell supervisor' },
  'person.lead': { zh: '综治中心负责人', en: 'control-room lead' },
  'channel.wecom': { zh: '企业微信', en: 'WeCom' },
  'channel.dingtalk': { zh: '钉钉', en: 'DingTalk' },
  'channel.webpush': { zh: '手机推送', en: 'phone push' },
  'channel.sms': { zh: '短信', en: 'SMS' },
  'channel.voice': { zh: '语音电话', en: 'voice call' },
  'history.deliveryQueued': { zh: '待发送：{list}', en: 'Queued: {list}' },
  'history.deliveryQueuedItem': { zh: '{channel} {to}', en: '{channel} to {to}' },
  'history.deliverySent': { zh: '已通过{channel}发送给 {to}', en: 'Sent via {channel} to {to}' },
  'history.deliveryFailed': { zh: '通过{channel}发送给 {to} 失败（{why}），重试中', en: 'Sending via {channel} to {to} failed ({why}), retrying' },
  'history.deliveryFailedFinal': { zh: '通过{channel}发送给 {to} 失败（{why}）', en: 'Sending via {channel} to {to} failed ({why})' },
  'history.ackedVia': { zh: '{by} 通过{channel}确认', en: 'Acknowledged by {by} on {channel}' },
  'history.andMore': { zh: '{names} 等 {count} 人', en: '{names} and others ({count})' },

  // queue badges
  'badge.escalated': { zh: '升级至{level}', en: 'Escalated to {level}' },
  'badge.incident': { zh: '事件 · {devices} 台设备 · {time} 起', en: 'Incident · {devices} devices · {time}' },
  'badge.inIncident': { zh: '属于事件', en: 'Part of an incident' },
  'badge.ackBy': { zh: '{by} 已确认', en: 'taken by {by}' },
  'queue.urgencyFirst': { zh: '按紧急程度', en: 'Most urgent first' },

  // assignment list
  'alert.assignTo': { zh: '指派给本网格人员', en: 'Assign to the cell\'s people' },
  'reach.account': { zh: '网格员页面', en: 'Worker page' },
  'reach.accountHint': { zh: '有中枢账号，可在手机上收到告警', en: 'Has a hub account: gets alerts on the phone' },
  'reach.phoneOnly': { zh: '仅电话', en: 'Phone only' },
  'reach.assigned': { zh: '已指派', en: 'Assigned' },

  // shift-proof wall screen
  'session.ended': { zh: '登录已失效，告警画面已停止更新', en: 'Signed out: this screen has stopped updating' },
  'session.endedOther': { zh: 'Signed out: this screen has stopped updating', en: '登录已失效，告警画面已停止更新' },
  'session.endedHint': { zh: '紧急告警仍会响铃提示。请值班员重新登录。', en: 'Critical alerts keep sounding. The operator on duty must sign in again.' },
  'session.endedAt': { zh: '失效时间 {time}', en: 'Ended at {time}' },
  'session.displayRevoked': { zh: '此大屏已被管理员吊销，告警画面已停止更新', en: 'An admin revoked this wall screen: it has stopped updating' },
  'session.displayRevokedOther': { zh: 'An admin revoked this wall screen: it has stopped updating', en: '此大屏已被管理员吊销，告警画面已停止更新' },
  'session.displayRevokedHint': { zh: '紧急告警仍会响铃提示。请管理员重新配对（管理 → 值班大屏），或由值班员登录。', en: 'Critical alerts keep sounding. Ask an admin to pair it again (Admin → Wall screens), or let the operator on duty sign in.' },
  'session.accountRevoked': { zh: '账户已被管理员停用或修改，告警画面已停止更新', en: 'An admin disabled or changed this account: this screen has stopped updating' },
  'session.accountRevokedOther': { zh: 'An admin disabled or changed this account: this screen has stopped updating', en: '账户已被管理员停用或修改，告警画面已停止更新' },
  'audio.blocked': { zh: '浏览器尚未允许播放声音，告警将没有铃声。', en: 'The browser has not allowed sound yet: alerts will be silent.' },
  'audio.enable': { zh: '点击启用声音', en: 'Click to enable sound' },

  'worker.pushOn': { zh: '已开启推送：锁屏也能收到告警', en: 'Push is on: alerts reach this phone even when locked' },
  'worker.enablePush': { zh: '开启推送（锁屏也提醒）', en: 'Turn on push (alerts even when locked)' },
  'worker.pushDenied': { zh: '浏览器已禁止本站通知：请在浏览器设置中允许通知，否则锁屏时收不到告警。', en: 'Notifications are blocked for this site: allow them in the browser settings, or alerts will not reach you while the phone is locked.' },
  'worker.pushUnsupported': { zh: '此浏览器不支持推送：请保持本页打开，或改用 Chrome / Edge / Safari（添加到主屏幕）。', en: 'This browser cannot receive push: keep this page open, or use Chrome / Edge / Safari (add to home screen).' },
  'worker.audioBlocked': { zh: '提示音被浏览器拦截：点一下页面任意处即可开启声音。', en: 'Sound is blocked by the browser: tap anywhere on the page to allow it.' },
  'worker.pushFailed': { zh: '开启推送失败：{error}', en: 'Could not turn on push: {error}' },
  'worker.devices': { zh: '我的接收设备', en: 'My devices receiving push' },
  'worker.removeDevice': { zh: '移除', en: 'Remove' },
  'worker.level': { zh: '升级第 {level} 级', en: 'Escalation level {level}' },
  'worker.ackedBy': { zh: '{who} 已确认', en: 'Acknowledged by {who}' },
  'worker.reminded': { zh: '提醒：仍未确认', en: 'Reminder: not acknowledged yet' },

  // plan zoom, pan and floors
  'plan.zoomIn': { zh: '放大', en: 'Zoom in' },
  'plan.zoomOut': { zh: '缩小', en: 'Zoom out' },
  'plan.reset': { zh: '显示全图', en: 'Show the whole plan' },
  'plan.floorsOf': { zh: '{building}：查看各楼层设备', en: '{building}: devices by floor' },
  'plan.noFloor': { zh: '未知楼层', en: 'No floor' },
  'plan.camera': { zh: '摄像头画面', en: 'Camera picture' },
  'plan.cameraOf': { zh: '{device}：查看摄像头画面', en: '{device}: camera picture' },
  'plan.alertShot': { zh: '告警抓拍 {time}', en: 'Alert snapshot {time}' },
  'plan.live': { zh: '实时画面（附近摄像头）', en: 'Live picture (nearby camera)' },
  'plan.showLive': { zh: '看实时画面', en: 'Show live picture' },
  'plan.refresh': { zh: '刷新', en: 'Refresh' },
  'plan.liveLoading': { zh: '正在向摄像头取画面…', en: 'Asking the camera for a picture…' },
  'plan.liveFailed': { zh: '摄像头没有返回画面（离线或无覆盖）', en: 'The camera gave no picture (offline or not covering)' },

  // sub-district overview
  'tab.district': { zh: '街道总览', en: 'District' },
  'district.title': { zh: '街道总览：{count} 个社区', en: 'Sub-district: {count} communities' },
  'district.worst': { zh: '最紧急', en: 'Most urgent' },
  'district.none': { zh: '无告警', en: 'No alerts' },
  'district.online': { zh: '设备在线 {pct}', en: '{pct} devices online' },
  'district.mtta': { zh: '今日平均确认 {time}', en: 'Acknowledged in {time} on average today' },
  'district.open': { zh: '进入{name}', en: 'Open {name}' },
  'district.back': { zh: '返回街道总览', en: 'Back to the district' },

  // cases (事件): the board, its actions and figures (lib/cases.ts)
  'cases.title': { zh: '事件', en: 'Cases' },
  'cases.reload': { zh: '刷新', en: 'Reload' },
  'cases.export': { zh: '导出今日日报', en: 'Export today’s report' },
  'cases.empty': { zh: '暂无事件', en: 'No cases' },
  'cases.overdue': { zh: '超时', en: 'Overdue' },
  'cases.soon': { zh: '即将到期', en: 'Due soon' },
  'cases.supervised': { zh: '督办', en: 'Supervised' },
  'cases.rework': { zh: '返工 {n} 次', en: 'Reworked {n}×' },
  'cases.dueBy': { zh: '期限 {time}', en: 'Due {time}' },
  'cases.assignee': { zh: '处置人', en: 'Assignee' },
  'cases.note': { zh: '说明', en: 'Note' },
  'cases.reason': { zh: '理由', en: 'Reason' },
  'cases.until': { zh: '延至', en: 'Until' },
  'cases.passed': { zh: '核查通过', en: 'Check passed' },
  'cases.satisfied': { zh: '居民满意', en: 'Resident satisfied' },
  'cases.approved': { zh: '同意延期', en: 'Approve the extension' },
  'cases.send': { zh: '提交', en: 'Submit' },
  'cases.timeline': { zh: '办理过程', en: 'Timeline' },
  'cases.pending': { zh: '延期申请待批：{reason}', en: 'Extension requested: {reason}' },
  'cases.source.alert': { zh: '告警', en: 'Alert' },
  'cases.source.patrol': { zh: '巡查上报', en: 'Patrol' },
  'cases.source.resident': { zh: '居民上报', en: 'Resident' },
  'cases.stage.reported': { zh: '上报', en: 'Reported' },
  'cases.stage.accepted': { zh: '受理', en: 'Accepted' },
  'cases.stage.registered': { zh: '立案', en: 'Registered' },
  'cases.stage.dispatched': { zh: '派遣', en: 'Dispatched' },
  'cases.stage.disposed': { zh: '处置', en: 'Disposed' },
  'cases.stage.verified': { zh: '核查', en: 'Verified' },
  'cases.stage.closed': { zh: '结案', en: 'Closed' },
  'cases.stage.revisited': { zh: '回访', en: 'Revisited' },
  'cases.action.accept': { zh: '受理', en: 'Accept' },
  'cases.action.register': { zh: '立案', en: 'Register' },
  'cases.action.dispatch': { zh: '派遣', en: 'Dispatch' },
  'cases.action.dispose': { zh: '处置完成', en: 'Disposed' },
  'cases.action.verify': { zh: '核查', en: 'Check' },
  'cases.action.close': { zh: '结案', en: 'Close' },
  'cases.action.revisit': { zh: '回访', en: 'Return visit' },
  'cases.action.extend': { zh: '申请延期', en: 'Ask for more time' },
  'cases.action.approve-extension': { zh: '审批延期', en: 'Decide extension' },
  'cases.action.supervise': { zh: '督办', en: 'Supervise' },
  'cases.action.receive': { zh: '签收', en: 'Accept (worker)' },
  'cases.history.reported': { zh: '上报', en: 'Reported' },
  'cases.history.reminded': { zh: '到期提醒', en: 'Reminder' },
  'cases.history.overdue': { zh: '超时', en: 'Overdue' },
  'cases.history.escalated': { zh: '升级上报', en: 'Escalated' },
  'cases.rate.closure': { zh: '结案率', en: 'Closure' },
  'cases.rate.onTimeClosure': { zh: '按期结案率', en: 'On-time closure' },
  'cases.rate.onTimeDisposal': { zh: '按期处置率', en: 'On-time disposal' },
  'cases.rate.rework': { zh: '返工率', en: 'Rework' },
  'cases.rate.extension': { zh: '延期率', en: 'Extension' },
  'cases.rate.firstTime': { zh: '一次完成率', en: 'First-time done' },
  'cases.rate.satisfaction': { zh: '满意率', en: 'Satisfaction' },

  // the printable 日报 / 月报 (ReportView.svelte)
  'report.title.day': { zh: '{where} 事件日报', en: '{where}: daily case report' },
  'report.title.month': { zh: '{where} 事件月报', en: '{where}: monthly case report' },
  'report.allCommunities': { zh: '全街道', en: 'Whole sub-district' },
  'report.period': { zh: '统计期间：{period}（按上报时间）', en: 'Period: {period} (by time reported)' },
  'report.generated': { zh: '生成于 {at}', en: 'Generated {at}' },
  'report.print': { zh: '打印 / 存为 PDF', en: 'Print / save as PDF' },
  'report.total': { zh: '案件总数', en: 'Cases' },
  'report.closed': { zh: '已结案', en: 'Closed' },
  'report.overdue': { zh: '超时', en: 'Overdue' },
  'report.of': { zh: '{n} / {d}', en: '{n} of {d}' },
  'report.rates': { zh: '考核指标', en: 'Assessment figures' },
  'report.byCategory': { zh: '类别（前 {n}）', en: 'Top {n} categories' },
  'report.byPlace': { zh: '网格（前 {n}）', en: 'Top {n} cells' },
  'report.byCommunity': { zh: '各社区', en: 'By community' },
  'report.byDay': { zh: '每日上报', en: 'Cases reported per day' },
  'report.overdueList': { zh: '超时事件（{n}）', en: 'Overdue cases ({n})' },
  'report.noOverdue': { zh: '本期没有超时事件', en: 'No overdue cases in this period' },
  'report.col.code': { zh: '编号', en: 'Case' },
  'report.col.title': { zh: '事件', en: 'What' },
  'report.col.category': { zh: '类别', en: 'Category' },
  'report.col.place': { zh: '位置', en: 'Where' },
  'report.col.assignee': { zh: '处置人', en: 'Assignee' },
  'report.col.stage': { zh: '当前环节', en: 'Stage' },
  'report.col.community': { zh: '社区', en: 'Community' },
  'report.unassigned': { zh: '未派遣', en: 'Not dispatched' },
  'report.empty': { zh: '本期没有事件', en: 'No cases in this period' },
  'report.badQuery': { zh: '报表地址不完整：需要 period=day&date=YYYY-MM-DD 或 period=month&date=YYYY-MM', en: 'Incomplete report address: it needs period=day&date=YYYY-MM-DD or period=month&date=YYYY-MM' },

  // alert search and export (AlertSearch.svelte)
  'search.title': { zh: '告警查询', en: 'Alert search' },
  'search.from': { zh: '开始于', en: 'From' },
  'search.to': { zh: '截止', en: 'To' },
  'search.community': { zh: '社区', en: 'Community' },
  'search.cell': { zh: '网格', en: 'Cell' },
  'search.kind': { zh: '设备类型', en: 'Device kind' },
  'search.type': { zh: '告警类型', en: 'Alert type' },
  'search.severity': { zh: '级别', en: 'Severity' },
  'search.state': { zh: '状态', en: 'State' },
  'search.text': { zh: '关键字（编号、设备、标题）', en: 'Text (id, device, title)' },
  'search.any': { zh: '全部', en: 'Any' },
  'search.unresolved': { zh: '未处置', en: 'Not resolved' },
  'search.submit': { zh: '查询', en: 'Search' },
  'search.clear': { zh: '清空条件', en: 'Clear' },
  'search.more': { zh: '加载更多', en: 'Load more' },
  'search.export': { zh: '导出 CSV', en: 'Export CSV' },
  'search.none': { zh: '没有符合条件的告警', en: 'No alerts match' },
  'search.shown': { zh: '已显示 {n} 条', en: '{n} shown' },
  'search.end': { zh: '已全部显示', en: 'That is all' },
  'search.col.opened': { zh: '开始时间', en: 'Opened' },
  'search.col.place': { zh: '位置', en: 'Place' },
  'search.col.resolved': { zh: '处置时间', en: 'Resolved' },
} as const satisfies Record<string, Entry>;

export type MessageKey = keyof typeof messages;
export type Params = Record<string, string | number>;

const known = messages as Record<string, Entry>;

export function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}

function fill(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

export function translate(locale: Locale, key: MessageKey, params?: Params): string {
  const entry = known[key];
  if (!entry) return key;
  return fill(locale === 'en' ? entry.en : entry.zh, params);
}

/** Kind label from the shared device model; unknown kinds shown as sent. */
export function kindLabel(locale: Locale, kind: string): string {
  if (!isDeviceKind(kind)) return kind;
  const label = kindSpecs[kind].label;
  return locale === 'en' ? label.en : label.zh;
}

// Names of event types and readings come from the kinds' registrations (devices/src/kinds/), a
// reading's label with its unit; the terms below are the rest (older names, history actions, door
// states). Anything not listed (newer hub rules, newer firmware) is shown as sent. An event name two
// kinds label differently (smoke's and gas's `alarm`) gets a neutral label, so a gas alarm never
// reads as a fire alarm.
const neutralTerms: Record<string, Entry> = {
  alarm: { zh: '报警', en: 'Alarm' },
  alarm_cleared: { zh: '报警解除', en: 'Alarm cleared' },
};
const registeredTerms: Record<string, Entry> = {};
for (const spec of Object.values(kindSpecs)) {
  for (const [type, label] of Object.entries(spec.events)) {
    const seen = registeredTerms[type];
    if (!seen) registeredTerms[type] = label;
    else if (seen.zh !== label.zh || seen.en !== label.en) registeredTerms[type] = neutralTerms[type] ?? { zh: type, en: type };
  }
  for (const [name, f] of Object.entries(spec.fields)) {
    registeredTerms[name] ??= f.unit ? { zh: `${f.label.zh} ${f.unit}`, en: `${f.label.en} ${f.unit}` } : f.label;
  }
}

export const termLabels: Record<string, Entry> = {
  ...registeredTerms,
  // older alert / event names
  smoke_high: { zh: '烟雾浓度超限', en: 'Smoke over threshold' },
  battery_low: { zh: '电量低', en: 'Battery low' },
  offline: { zh: '设备离线', en: 'Device offline' },
  access_denied_burst: { zh: '多次拒绝通行', en: 'Repeated access denied' },
  extinguishers_missing: { zh: '灭火器不足', en: 'Extinguishers missing' },
  no_staff_on_duty: { zh: '无人值守', en: 'Nobody on duty' },
  unreachable: { zh: '无法访问', en: 'Unreachable' },
  clock_drift: { zh: '时钟偏差', en: 'Clock drift' },
  // history actions
  opened: { zh: '产生', en: 'Opened' },
  recurred: { zh: '再次发生', en: 'Recurred' },
  grouped: { zh: '并入事件', en: 'Grouped into incident' },
  webhook_delivered: { zh: '推送成功', en: 'Webhook delivered' },
  webhook_failed: { zh: '推送失败', en: 'Webhook failed' },
  delivery_queued: { zh: '已排队发送', en: 'Queued for delivery' },
  delivery_sent: { zh: '已送达', en: 'Sent' },
  delivery_failed: { zh: '发送失败', en: 'Delivery failed' },
  acknowledged_via: { zh: '经渠道确认', en: 'Acknowledged via channel' },
  snapshot: { zh: '抓拍', en: 'Snapshot' },
  repeated: { zh: '重复', en: 'Repeated' },
  cleared: { zh: '条件消除', en: 'Condition cleared' },
  notified: { zh: '已通知', en: 'Notified' },
  reminded: { zh: '已提醒', en: 'Reminded' },
  escalated: { zh: '已升级', en: 'Escalated' },
  acknowledged: { zh: '已确认', en: 'Acknowledged' },
  assigned: { zh: '已指派', en: 'Assigned' },
  resolved: { zh: '已处置', en: 'Resolved' },
  // readings
  open: { zh: '开', en: 'open' },
  closed: { zh: '关', en: 'closed' },
};

/** Alert types from the shared model; other terms (event types, readings, history actions) from termLabels. */
export function termLabel(locale: Locale, term: string | null | undefined): string {
  if (!term) return '';
  const e = isAlertType(term) ? ALERT_TYPES[term].label : termLabels[term];
  if (!e) return term;
  return locale === 'en' ? e.en : e.zh;
}

/** A configured name: plain, or {zh, en}. */
export function localName(locale: Locale, name: LocalizedName | null | undefined): string {
  return sharedLocalName(locale, name);
}

export function roleLabel(locale: Locale, role: UserRole): string {
  return translate(locale, `role.${role}`);
}

/** Human duration for "time since opened": 42 s, 3 m 05 s, 2 h 10 m, 1 d 4 h. */
export function formatDuration(locale: Locale, ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  if (total < 60) return translate(locale, 'time.ago.s', { n: total });
  const m = Math.floor(total / 60);
  if (m < 60) return translate(locale, 'time.ago.m', { m, s: String(total % 60).padStart(2, '0') });
  const h = Math.floor(m / 60);
  if (h < 24) return translate(locale, 'time.ago.h', { h, m: String(m % 60).padStart(2, '0') });
  return translate(locale, 'time.ago.d', { d: Math.floor(h / 24), h: h % 24 });
}
