/// The page at `/`: drop a file (or pick one), watch the upload and the detection, then read the
/// verdict, the segments and the whole report. Its script is served from `/app.js` (the page
/// allows scripts from the service only); the token is kept in the browser's local storage.
enum ServicePage {
    static let policy = "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src blob:; connect-src 'self'"

    static let html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>FrameMark detection</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body { font: 14px system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; padding: 0 16px; }
        h1 { font-size: 22px; } label { display: block; margin: 8px 0 4px; }
        input[type=password] { width: 420px; padding: 4px; }
        #drop { border: 2px dashed #999; border-radius: 8px; padding: 36px; text-align: center; margin: 16px 0; color: #555; }
        #drop.over { border-color: #1565c0; background: #e3f2fd; }
        progress { width: 420px; height: 14px; } .row { margin: 6px 0; }
        .verdict { font-size: 18px; font-weight: 600; } .yes { color: #2e7d32; } .no { color: #c62828; }
        table { border-collapse: collapse; margin-top: 8px; } td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; }
        iframe { width: 100%; height: 900px; border: 1px solid #ccc; margin-top: 16px; }
        .error { color: #c62828; }
        </style></head><body>
        <h1>FrameMark — is this file watermarked?</h1>
        <label for="token">Access token</label>
        <input id="token" type="password" autocomplete="off" placeholder="fm_…">
        <div id="drop">Drop a video or an image here, or <input id="file" type="file" accept="video/*,image/*"></div>
        <div class="row">Upload <progress id="up" max="1" value="0"></progress> <span id="uptext"></span></div>
        <div class="row">Detection <progress id="det" max="1" value="0"></progress> <span id="dettext"></span></div>
        <div id="result"></div>
        <iframe id="report" title="report" hidden></iframe>
        <script src="/app.js"></script>
        </body></html>
        """

    static let script = """
        'use strict';
        const $ = (id) => document.getElementById(id);
        $('token').value = localStorage.getItem('framemark-token') || '';
        $('token').addEventListener('change', () => localStorage.setItem('framemark-token', $('token').value.trim()));
        const drop = $('drop');
        drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
        drop.addEventListener('dragleave', () => drop.classList.remove('over'));
        drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files[0]) start(e.dataTransfer.files[0]); });
        $('file').addEventListener('change', () => { if ($('file').files[0]) start($('file').files[0]); });
        const auth = () => ({ 'Authorization': 'Bearer ' + $('token').value.trim() });
        function text(el, s, cls) { el.textContent = s; el.className = cls || ''; }
        function fail(message) { const p = document.createElement('p'); p.className = 'error'; p.textContent = message; $('result').replaceChildren(p); }
        function start(file) {
          localStorage.setItem('framemark-token', $('token').value.trim());
          $('result').replaceChildren(); $('report').hidden = true; $('up').value = 0; $('det').value = 0; text($('dettext'), '');
          const xhr = new XMLHttpRequest();
          xhr.open('POST', '/v1/detections');
          for (const [k, v] of Object.entries(auth())) xhr.setRequestHeader(k, v);
          xhr.setRequestHeader('Content-Type', 'application/octet-stream');
          xhr.upload.onprogress = (e) => { if (e.lengthComputable) { $('up').value = e.loaded / e.total; text($('uptext'), Math.round(100 * e.loaded / e.total) + '% of ' + (e.total / 1e6).toFixed(1) + ' MB'); } };
          xhr.onload = () => {
            let body = {}; try { body = JSON.parse(xhr.responseText); } catch (_) {}
            if (xhr.status !== 202 && xhr.status !== 200) { fail(xhr.status + ': ' + (body.error || xhr.statusText)); return; }
            $('up').value = 1; text($('uptext'), 'uploaded');
            poll(body.id);
          };
          xhr.onerror = () => fail('the upload failed');
          xhr.send(file);
        }
        async function poll(id) {
          const r = await fetch('/v1/detections/' + id, { headers: auth() });
          const job = await r.json();
          if (!r.ok) { fail(r.status + ': ' + (job.error || r.statusText)); return; }
          $('det').value = job.progress; text($('dettext'), job.status + ' ' + Math.round(100 * job.progress) + '%');
          if (job.status === 'queued' || job.status === 'running') { setTimeout(() => poll(id), 400); return; }
          if (job.status === 'failed') { fail(job.error); return; }
          show(job.result);
          const page = await fetch('/v1/detections/' + id + '/report', { headers: auth() });
          if (page.ok) { $('report').src = URL.createObjectURL(new Blob([await page.text()], { type: 'text/html' })); $('report').hidden = false; }
        }
        function show(result) {
          const out = $('result');
          const v = document.createElement('p'); v.className = 'verdict ' + (result.detected ? 'yes' : 'no');
          v.textContent = result.detected ? 'Watermarked' : 'No watermark found';
          const d = document.createElement('p');
          d.textContent = 'confidence ' + result.confidence + ' · log10 p ' + result.log10_p_value + ' · message ' + (result.message || 'unreadable');
          const table = document.createElement('table');
          const head = table.insertRow(); for (const h of ['kind', 'frames', 'seconds', 'in the original']) { const th = document.createElement('th'); th.textContent = h; head.appendChild(th); }
          for (const s of result.segments || []) {
            const row = table.insertRow();
            for (const c of [s.kind, s.start_frame + '–' + s.end_frame, s.start_seconds + '–' + s.end_seconds,
                             s.original_start_seconds === undefined ? '' : s.original_start_seconds + '–' + s.original_end_seconds]) row.insertCell().textContent = c;
          }
          out.replaceChildren(v, d, table);
          if (result.asset) { const a = document.createElement('p'); a.textContent = 'asset: ' + result.asset.output_path + ' (' + result.asset.status + ')'; out.appendChild(a); }
        }
        """
}
