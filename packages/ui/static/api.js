// The server's JSON endpoints.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function parse(res) {
  const doc = await res.json();
  if (!res.ok) throw new ApiError(res.status, doc.error?.code ?? 'ERROR', doc.error?.message ?? res.statusText);
  return doc;
}

export async function get(path) {
  return parse(await fetch(path, { headers: { accept: 'application/json' } }));
}

export async function post(path, body) {
  return parse(
    await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

export const tablePath = (name, part = '') => `/api/tables/${encodeURIComponent(name)}${part ? `/${part}` : ''}`;
