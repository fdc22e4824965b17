// One image slot of the create form (input1 or input2): file picker, drag and drop, preview,
// and the checks the server makes, made first here so a person learns at once.

import { formatBytes, formatImageTypes } from './format.js';

// HEIF-family photos (iPhones save HEIC, many Android phones AVIF). Some browsers cannot
// draw them; the server can, so they are never refused here for that.
const heifFamily = new Set(['image/heic', 'image/heif', 'image/avif']);
// File pickers that do not know these types by name still match the extensions.
const heifExtensions = { 'image/heic': '.heic', 'image/heif': '.heif', 'image/avif': '.avif' };
const heifBrands = {
  avif: ['avif', 'avis'],
  heic: ['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx'],
  heif: ['mif1', 'msf1', 'mif2'],
};
/** Bytes enough to hold a HEIF file's whole ftyp box. */
const sniffLength = 256;

/** The format an ISO-BMFF ftyp box declares, as the server reads it (major brand first). */
function heifType(bytes, ascii) {
  if (bytes.length < 16 || ascii(4, 8) !== 'ftyp') return null;
  const size = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  if (size < 16 || size % 4 !== 0) return null;
  const major = ascii(8, 12);
  const compatible = [];
  for (let at = 16; at + 4 <= Math.min(size, bytes.length); at += 4) compatible.push(ascii(at, at + 4));
  if (heifBrands.avif.includes(major)) return 'image/avif';
  if (heifBrands.heic.includes(major)) return 'image/heic';
  if (compatible.some((brand) => heifBrands.avif.includes(brand))) return 'image/avif';
  if (compatible.some((brand) => heifBrands.heic.includes(brand))) return 'image/heic';
  if ([major, ...compatible].some((brand) => heifBrands.heif.includes(brand))) return 'image/heif';
  return null;
}

/** The image type from the first bytes, as the server decides it (not the file name). */
export function sniffImageType(bytes) {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'image/png';
  const ascii = (from, to) => String.fromCharCode(...bytes.slice(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return heifType(bytes, ascii);
}

/** Why `file` would be refused under `limits`, or null when it is acceptable. */
export async function checkImageFile(file, limits) {
  const acceptedText = formatImageTypes(limits.acceptedMimeTypes);
  if (file.size === 0) return 'This file is empty.';
  if (file.size > limits.maxUploadBytes) {
    return `This image is ${formatBytes(file.size)}; each image may be at most ${formatBytes(limits.maxUploadBytes)}.`;
  }
  const head = new Uint8Array(await file.slice(0, sniffLength).arrayBuffer());
  const type = sniffImageType(head);
  if (!type || !limits.acceptedMimeTypes.includes(type)) {
    return `“${file.name}” is not a ${acceptedText} image.`;
  }
  let width;
  let height;
  try {
    const bitmap = await createImageBitmap(file);
    width = bitmap.width;
    height = bitmap.height;
    bitmap.close();
  } catch {
    // This browser cannot draw it; the server decodes it and checks its size.
    if (heifFamily.has(type)) return null;
    return `“${file.name}” could not be read as an image; it may be damaged.`;
  }
  if (width * height > limits.maxMegapixels * 1_000_000) {
    return `This image is ${width}×${height} px, more than ${limits.maxMegapixels} megapixels.`;
  }
  if (Math.min(width, height) < limits.minShortEdge) {
    return `This image is ${width}×${height} px; its short side must be at least ${limits.minShortEdge} px.`;
  }
  return null;
}

export class ImageInput {
  /**
   * @param {HTMLElement} field the `.image-field` element
   * @param {object} limits `limits` of GET /api/v1/config
   * @param {(input: ImageInput) => void} onChange called when the chosen image changes
   */
  constructor(field, limits, onChange) {
    this.field = field;
    this.slot = field.dataset.slot;
    this.limits = limits;
    this.onChange = onChange;
    this.file = null;
    this.objectURL = null;
    this.pending = Promise.resolve();

    this.input = field.querySelector('input[type=file]');
    this.dropzone = field.querySelector('.dropzone');
    this.empty = field.querySelector('.dropzone-empty');
    this.preview = field.querySelector('.preview');
    this.previewImage = field.querySelector('.preview-image');
    this.caption = field.querySelector('.preview-caption');
    this.removeButton = field.querySelector('.remove-image');
    this.hint = field.querySelector(`#${this.slot}-hint`);
    this.error = field.querySelector(`#${this.slot}-error`);

    this.input.accept = [...limits.acceptedMimeTypes, ...limits.acceptedMimeTypes.map((t) => heifExtensions[t])]
      .filter(Boolean).join(',');
    this.hint.textContent = `${formatImageTypes(limits.acceptedMimeTypes)}; up to `
      + `${formatBytes(limits.maxUploadBytes)}; at least ${limits.minShortEdge} px on the short side.`;

    this.input.addEventListener('change', () => {
      const [file] = this.input.files;
      if (file) this.choose(file);
    });
    this.removeButton.addEventListener('click', () => {
      this.clear();
      this.input.focus();
    });
    // The whole drop zone opens the picker, so a click anywhere on it works.
    this.dropzone.addEventListener('click', (event) => {
      if (event.target === this.dropzone || event.target === this.previewImage) this.input.click();
    });
    for (const name of ['dragenter', 'dragover']) {
      this.dropzone.addEventListener(name, (event) => {
        if (this.input.disabled) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        this.dropzone.classList.add('dragging');
      });
    }
    this.dropzone.addEventListener('dragleave', () => this.dropzone.classList.remove('dragging'));
    this.dropzone.addEventListener('drop', (event) => {
      event.preventDefault();
      this.dropzone.classList.remove('dragging');
      if (this.input.disabled) return;
      const file = event.dataTransfer.files?.[0];
      if (file) this.choose(file);
    });
  }

  /** Checks `file` and shows it, or shows why it cannot be used. */
  choose(file) {
    this.pending = this.load(file);
    return this.pending;
  }

  async load(file) {
    this.setError(null);
    const problem = await checkImageFile(file, this.limits);
    if (problem) {
      this.clear({ keepError: true });
      this.setError(problem);
      this.onChange(this);
      return;
    }
    this.file = file;
    if (this.objectURL) URL.revokeObjectURL(this.objectURL);
    this.objectURL = URL.createObjectURL(file);
    const caption = `${file.name} · ${formatBytes(file.size)}`;
    this.preview.classList.remove('no-preview');
    this.previewImage.hidden = false;
    // A HEIC photo passes the checks even where the browser cannot draw it: say so.
    this.previewImage.onerror = () => {
      if (this.file !== file) return;
      this.preview.classList.add('no-preview');
      this.previewImage.hidden = true;
      this.caption.textContent = `${caption} · no preview in this browser`;
    };
    this.previewImage.src = this.objectURL;
    this.previewImage.alt = `Preview of ${file.name}`;
    this.caption.textContent = caption;
    this.preview.hidden = false;
    this.empty.hidden = true;
    this.removeButton.hidden = false;
    this.removeButton.setAttribute('aria-label', `Remove ${file.name}`);
    this.onChange(this);
  }

  clear({ keepError = false } = {}) {
    this.file = null;
    this.input.value = '';
    if (this.objectURL) URL.revokeObjectURL(this.objectURL);
    this.objectURL = null;
    this.previewImage.onerror = null;
    this.previewImage.removeAttribute('src');
    this.previewImage.alt = '';
    this.preview.classList.remove('no-preview');
    this.caption.textContent = '';
    this.preview.hidden = true;
    this.empty.hidden = false;
    this.removeButton.hidden = true;
    if (!keepError) this.setError(null);
    this.onChange(this);
  }

  setLabel(text, chooseText) {
    this.field.querySelector('.label').textContent = text;
    this.field.querySelector(`#${this.slot}-choose`).textContent = chooseText;
  }

  setActive(active) {
    this.field.hidden = !active;
    this.input.disabled = !active;
  }

  setError(message) {
    this.field.classList.toggle('invalid', Boolean(message));
    this.error.textContent = message || '';
    this.error.hidden = !message;
    if (message) this.input.setAttribute('aria-invalid', 'true');
    else this.input.removeAttribute('aria-invalid');
  }

  get hasError() { return !this.error.hidden; }
}
