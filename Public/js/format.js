// Small formatting helpers (Australian English).

export function formatBytes(bytes) {
  if (bytes >= 1024 * 1024) {
    const mb = bytes / (1024 * 1024);
    return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
  }
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

const imageTypeNames = {
  'image/jpeg': 'JPEG', 'image/png': 'PNG', 'image/webp': 'WebP',
  'image/heic': 'HEIC', 'image/heif': 'HEIF', 'image/avif': 'AVIF',
};

/** ['image/jpeg', 'image/png', 'image/webp'] → "JPEG, PNG or WebP". */
export function formatImageTypes(mimeTypes) {
  const names = mimeTypes.map((type) => imageTypeNames[type] || type);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0] || '';
}

export function formatDate(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleDateString('en-AU', { day: 'numeric', month: 'long', year: 'numeric' });
}

export function formatDateTime(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString('en-AU', { day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' });
}

/** 75 000 ms → "1:15". */
export function formatElapsed(milliseconds) {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}

const segmenter = typeof Intl !== 'undefined' && Intl.Segmenter
  ? new Intl.Segmenter('en', { granularity: 'grapheme' })
  : null;

/**
 * The prompt length the server checks: after trimming, dropping control characters and
 * collapsing whitespace, counted in user-perceived characters.
 */
export function promptLength(text) {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000E-\u001F\u007F\u200B-\u200F\u2060-\u2064\uFEFF]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!clean) return 0;
  return segmenter ? [...segmenter.segment(clean)].length : [...clean].length;
}

export function labelFor(list, id) {
  return list?.find((item) => item.id === id)?.label || id;
}
