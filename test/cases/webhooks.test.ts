import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHubConfig } from '../../server/src/grid/config-file.ts';
import { freePort, waitFor } from '../helpers/ports.ts';
import { CASE_CONFIG, startCaseHub, type CaseHub } from './case-hub.ts';

const MIN = 60_000;
const T0 = Date.UTC(2025, 10, 4, 1, 0); // Tuesday 09:00 China time

/** A local WeCom group robot: POST /cgi-bin/webhook/send?key=… with a text message, answers {errcode:0}. */
async function wecomRobot(): Promise<{ url: string; messages: { key: string | null; body: { msgtype: string; text: { content: string; mentioned_mobile_list: string[] } } }[]; close(): Promise<void> }> {
  const messages: { key: string | null; body: never }[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (req.method !== 'POST' || u.pathname !== '/cgi-bin/webhook/send' || req.headers['content-type'] !== 'application/json') {
        res.writeHead(404).end();
        return;
      }
      try {
        const body = JSON.parse(data) as { msgtype?: string; text?: { content?: unknown } };
        if (body.msgtype !== 'text' || typeof body.text?.content !== 'string') throw new Error('bad message');
        messages.push({ key: u.searchParams.get('key'), body: body as never });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errcode: 0, errmsg: 'ok' }));
      } catch {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errcode: 40008, errmsg: 'invalid message type' }));
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=case-test`, messages: messages as never, close: () => new Promise((r) => server.close(() => r())) };
}

describe('case escalations reach the group robots', () => {
  let h: CaseHub;
  let robot: Awaited<ReturnType<typeof wecomRobot>>;
  beforeAll(async () => {
    robot = await wecomRobot();
    const file = parseHubConfig({
      ...CASE_CONFIG,
      communities: CASE_CONFIG.communities!.map((c) => (c.id === 'hx' ? { ...c, controlRoom: { ...c.controlRoom, webhooks: [{ format: 'wecom', url: robot.url, minSeverity: 'major' }] } } : c)),
      workers: CASE_CONFIG.workers!.map((w) => (w.id === 'li' ? { ...w, phone: '13800000002' } : w)),
    });
    h = await startCaseHub(T0, file);
  });
  afterAll(async () => {
    await h?.stop();
    await robot?.close();
  });

  it('an overdue case is escalated to the control room’s robot, @-mentioning the supervisor; a reminder is below its minSeverity', async () => {
    const made = await h.as('zhang')({ method: 'POST', url: '/api/cases', payload: { title: '消防通道堵塞', category: 'hazard', communityId: 'hx', gridCellId: 'g1', description: '', source: 'patrol' } });
    h.clock.now = T0 + 25 * MIN;
    h.hub.caseMonitor.tick();
    h.clock.now = T0 + 30 * MIN;
    h.hub.caseMonitor.tick();
    await waitFor(() => robot.messages.length >= 1, { timeoutMs: 10_000, what: 'the robot message' });
    await new Promise((r) => setTimeout(r, 200));
    expect(robot.messages).toHaveLength(1);
    const [msg] = robot.messages;
    expect(msg!.key).toBe('case-test');
    expect(msg!.body.text.content).toContain('事件超时·升级');
    expect(msg!.body.text.content).toContain(made.body.case.code);
    expect(msg!.body.text.content).toContain('和谐社区 / 一网格');
    expect(msg!.body.text.content).toContain('受理 2025-11-04 09:30');
    expect(msg!.body.text.mentioned_mobile_list).toEqual(['13800000002']);
    await waitFor(() => h.hub.outbox.pending() === 0, { timeoutMs: 10_000, what: 'the outbox to drain' });
  });
});
