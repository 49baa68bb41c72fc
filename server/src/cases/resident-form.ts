import type { CaseCategory } from './deadlines.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface ResidentFormModel {
  communityId: string;
  communityName: { zh: string; en: string };
  buildings: { id: string; name: string }[];
  categories: CaseCategory[];
}

/**
 * The page a QR code in the building opens: no account, a category, what and where, an optional
 * contact for the return visit and up to two photos. Its script is a file (the CSP allows no inline script).
 */
export function residentFormPage(m: ResidentFormModel): string {
  const options = m.categories.map((c) => `<option value="${esc(c.id)}">${esc(c.name.zh)} ${esc(c.name.en)}</option>`).join('');
  const buildings = m.buildings.map((b) => `<option value="${esc(b.id)}">${esc(b.name)}</option>`).join('');
  return `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(m.communityName.zh)} 居民上报 · Report to ${esc(m.communityName.en)}</title>
<body style="font-family:sans-serif;max-width:32em;margin:auto;padding:1em">
<h1>${esc(m.communityName.zh)} · 居民上报 <small lang="en">Report a problem</small></h1>
<form id="report" data-community="${esc(m.communityId)}">
<p><label>类别 Category<br><select name="category" required>${options}</select></label></p>
<p><label>位置 Building<br><select name="buildingId"><option value="">—</option>${buildings}</select></label></p>
<p><label>具体位置 Where exactly<br><input name="place" maxlength="200"></label></p>
<p><label>情况描述 What is wrong<br><textarea name="description" required maxlength="1000" rows="5" style="width:100%"></textarea></label></p>
<p><label>联系方式（选填，用于回访） Contact (optional, for the follow-up call)<br><input name="contact" maxlength="40"></label></p>
<p><label>照片（最多 2 张，每张 1 MB 以内） Photos (up to 2, 1 MB each)<br><input name="photos" type="file" accept="image/jpeg,image/png,image/webp" multiple></label></p>
<p><button type="submit">提交 Submit</button></p>
<p id="result" role="status" aria-live="polite"></p>
</form>
<script src="/api/public/report.js"></script>
</body></html>`;
}

/** Reads the form, sends it as JSON (photos in base64) and shows the case code. */
export const RESIDENT_FORM_SCRIPT = `(() => {
  const form = document.getElementById('report');
  const out = document.getElementById('result');
  const b64 = (file) => new Promise((ok, fail) => { const r = new FileReader(); r.onload = () => ok(String(r.result).split(',')[1] || ''); r.onerror = fail; r.readAsDataURL(file); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const files = [...form.elements.photos.files].slice(0, 2);
    const body = { category: f.get('category'), description: f.get('description'), place: f.get('place') || undefined, contact: f.get('contact') || undefined, buildingId: f.get('buildingId') || undefined, photos: await Promise.all(files.map(b64)) };
    out.textContent = '提交中… Sending…';
    const res = await fetch('/api/public/communities/' + encodeURIComponent(form.dataset.community) + '/cases', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const reply = await res.json().catch(() => ({}));
    out.textContent = res.ok ? '已收到，编号 ' + reply.code + ' · Received, case ' + reply.code : '未能提交：' + (reply.message || res.status) + ' · Not sent';
    if (res.ok) form.reset();
  });
})();
`;
