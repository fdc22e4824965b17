// The HTTP API of Interior, as the page uses it: every answer is the envelope
// {success, data} or {success: false, error: {code, message, details}}.

/** An answer of the API with success: false (or a response that was not an envelope). */
export class ApiError extends Error {
  constructor({ status, code, message, details = null, requestId = null, retryAfter = null }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }
}

/** The server could not be reached (offline, connection refused, reset). */
export class NetworkError extends Error {
  constructor(cause) {
    super('The server could not be reached.');
    this.name = 'NetworkError';
    this.cause = cause;
  }
}

// When a response is not an envelope (a proxy's error page, say), its status names the code.
const codeForStatus = {
  400: 'VALIDATION_ERROR', 401: 'UNAUTHORIZED', 402: 'LIMIT_EXCEEDED', 403: 'FORBIDDEN',
  404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 409: 'TOO_MANY_INFLIGHT', 413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE', 422: 'IDEMPOTENCY_KEY_REUSED', 429: 'RATE_LIMITED',
  502: 'UPSTREAM_ERROR', 503: 'SERVICE_UNAVAILABLE', 504: 'UPSTREAM_ERROR',
};

export class Api {
  /**
   * @param {() => string|null} getToken the current access token
   * @param {(error: ApiError) => void} onUnauthorized called when a signed-in request gets 401
   */
  constructor(getToken, onUnauthorized) {
    this.getToken = getToken;
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, { body, headers = {}, auth = true, token } = {}) {
    const init = { method, headers: { Accept: 'application/json', ...headers }, cache: 'no-store' };
    const bearer = token ?? (auth ? this.getToken() : null);
    if (bearer) init.headers.Authorization = `Bearer ${bearer}`;
    if (body instanceof FormData) {
      init.body = body; // the browser writes the multipart boundary
    } else if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }

    let response;
    try {
      response = await fetch(path, init);
    } catch (cause) {
      throw new NetworkError(cause);
    }

    const requestId = response.headers.get('X-Request-Id');
    let envelope = null;
    try {
      envelope = await response.json();
    } catch {
      envelope = null;
    }
    if (response.ok && envelope && envelope.success) {
      return { data: envelope.data, status: response.status, headers: response.headers };
    }
    const failure = envelope && envelope.error ? envelope.error : {};
    const error = new ApiError({
      status: response.status,
      code: failure.code || codeForStatus[response.status] || 'INTERNAL_ERROR',
      message: failure.message || `The server answered ${response.status}.`,
      details: failure.details || null,
      requestId,
      retryAfter: response.headers.get('Retry-After'),
    });
    if (error.code === 'UNAUTHORIZED' && bearer && !token) this.onUnauthorized(error);
    throw error;
  }

  config() { return this.request('GET', '/api/v1/config', { auth: false }).then((r) => r.data); }
  health() { return this.request('GET', '/api/v1/health', { auth: false }).then((r) => r.data); }
  devToken(userId) {
    return this.request('POST', '/api/v1/auth/dev-token', { auth: false, body: { userId } }).then((r) => r.data);
  }
  me(token) { return this.request('GET', '/api/v1/auth/me', { token }).then((r) => r.data); }
  usage() { return this.request('GET', '/api/v1/usage').then((r) => r.data); }

  /** 202 with the job summary; `replayed` when the idempotency key named an earlier job. */
  async submit(form, idempotencyKey) {
    const result = await this.request('POST', '/api/v1/generations', {
      body: form, headers: { 'Idempotency-Key': idempotencyKey },
    });
    return { job: result.data, replayed: result.headers.get('Idempotent-Replayed') === 'true' };
  }

  generation(id) { return this.request('GET', `/api/v1/generations/${encodeURIComponent(id)}`).then((r) => r.data); }
  generations(limit = 5) { return this.request('GET', `/api/v1/generations?limit=${limit}`).then((r) => r.data); }
  cancel(id) { return this.request('POST', `/api/v1/generations/${encodeURIComponent(id)}/cancel`).then((r) => r.data); }
  retry(id, idempotencyKey) {
    return this.request('POST', `/api/v1/generations/${encodeURIComponent(id)}/retry`, {
      headers: { 'Idempotency-Key': idempotencyKey },
    }).then((r) => r.data);
  }

  renders({ cursor, limit, mode, roomType, style } = {}) {
    const query = new URLSearchParams();
    if (cursor) query.set('cursor', cursor);
    if (limit) query.set('limit', String(limit));
    if (mode) query.set('mode', mode);
    if (roomType) query.set('roomType', roomType);
    if (style) query.set('style', style);
    const suffix = query.toString() ? `?${query}` : '';
    return this.request('GET', `/api/v1/renders${suffix}`).then((r) => r.data);
  }
  render(id) { return this.request('GET', `/api/v1/renders/${encodeURIComponent(id)}`).then((r) => r.data); }
  deleteRender(id) { return this.request('DELETE', `/api/v1/renders/${encodeURIComponent(id)}`).then((r) => r.data); }
}

/** A fresh UUID (v4) for an Idempotency-Key. */
export function newUUID() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; plain http on a LAN address is not one.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
