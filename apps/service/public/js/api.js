// The service's JSON API, with the access token (when the service wants one) in a header.

export const session = { token: sessionStorage.getItem('panda-token') || '' };

function headers(extra = {}) {
  return { ...extra, ...(session.token ? { authorization: `Bearer ${session.token}` } : {}) };
}

export async function api(path, options = {}) {
  const init = { ...options, headers: headers(options.headers) };
  if (options.json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.json);
    delete init.json;
  }
  const res = await fetch(path, init);
  if (res.status === 401) {
    document.getElementById('token-form').hidden = false;
    throw new Error('access token needed');
  }
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  return body;
}

/** Downloads a response as a file (fetch, so the token travels in a header). */
export async function download(path, filename) {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Follows a job's server-sent events (read with fetch, so the token travels in a header) until
 * `end`; calls `onEvent(name, data)` for each.
 */
export async function followJob(id, onEvent, signal) {
  const res = await fetch(`/api/jobs/${encodeURIComponent(id)}/events`, { headers: headers(), signal });
  if (!res.ok || !res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (!event || !data) continue;
      onEvent(event, JSON.parse(data));
      if (event === 'end') return;
    }
  }
}

/** Waits for a job to reach a final status; resolves with the job. */
export async function waitForJob(id, onEvent = () => {}) {
  await followJob(id, onEvent).catch(() => {});
  return api(`/api/jobs/${encodeURIComponent(id)}`);
}
