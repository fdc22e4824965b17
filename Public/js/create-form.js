// The create form: drawn from GET /api/v1/config, shows exactly the inputs the chosen mode
// needs, checks what the server will check, and builds the multipart body of a submit.

import { ImageInput } from './image-input.js';
import { promptLength } from './format.js';
import { showAlert } from './alert.js';

const modeText = {
  redesign: { hint: 'Restyle a photo of your room', input1: ['Photo of your room', 'Choose a photo'] },
  staging: { hint: 'Furnish an empty or sparse room', input1: ['Photo of the empty room', 'Choose a photo'] },
  compose: {
    hint: 'Your room plus a reference image',
    input1: ['Photo of your room', 'Choose a photo'],
    input2: ['Reference image (palette, material or object)', 'Choose an image'],
  },
  imagine: { hint: 'Describe a room; no photo needed' },
};

const qualityLabels = { auto: 'Auto', low: 'Low (fast)', medium: 'Medium', high: 'High' };
const aspectLabels = {
  match: 'Same as photo',
  '1:1': 'Square 1:1',
  '3:2': 'Landscape 3:2',
  '2:3': 'Portrait 2:3',
  '4:3': 'Landscape 4:3',
  '3:4': 'Portrait 3:4',
  '5:4': 'Landscape 5:4',
  '4:5': 'Portrait 4:5',
  '16:9': 'Wide 16:9',
  '9:16': 'Tall 9:16',
  '21:9': 'Ultrawide 21:9',
};

/** Every control that can be named as a field at fault. */
const fieldNames = ['mode', 'input1', 'input2', 'roomType', 'style', 'prompt', 'aspectRatio', 'quality', 'variants'];

export class CreateForm {
  constructor(form, config) {
    this.form = form;
    this.config = config;
    this.limits = config.limits;
    this.inFlight = false;
    this.generate = form.querySelector('#generate');
    this.prompt = form.querySelector('#prompt');
    this.counter = form.querySelector('#prompt-counter');
    this.alert = form.querySelector('#form-alert');

    this.drawModes();
    fillSelect(form.querySelector('#roomType'), config.roomTypes);
    fillSelect(form.querySelector('#style'), config.styles);
    // Aspect ratios, qualities and variants are drawn per mode (showMode): what the
    // configured model really offers there.

    this.images = {
      input1: new ImageInput(form.querySelector('#field-input1'), this.limits, () => {}),
      input2: new ImageInput(form.querySelector('#field-input2'), this.limits, () => {}),
    };

    form.addEventListener('change', (event) => {
      if (event.target.name === 'mode') this.showMode();
      if (fieldNames.includes(event.target.name) && event.target.type !== 'file') this.clearError(event.target.name);
    });
    this.prompt.addEventListener('input', () => {
      this.updateCounter();
      this.clearError('prompt');
    });
    this.reset();
  }

  drawModes() {
    const container = this.form.querySelector('#mode-options');
    container.replaceChildren(...this.config.modes.map((mode) => {
      const label = document.createElement('label');
      label.className = 'mode-option';
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'mode';
      input.value = mode.id;
      input.id = `mode-${mode.id}`;
      const card = document.createElement('span');
      card.className = 'mode-card';
      const title = document.createElement('strong');
      title.textContent = mode.label;
      const hint = document.createElement('span');
      hint.textContent = modeText[mode.id]?.hint
        || (mode.inputImages ? `Needs ${mode.inputImages} image${mode.inputImages > 1 ? 's' : ''}` : 'Text only');
      card.append(title, hint);
      label.append(input, card);
      return label;
    }));
  }

  /** The defaults of the server's config. */
  reset() {
    const d = this.config.defaults;
    this.setValues({ mode: d.mode, aspectRatio: d.aspectRatio, quality: d.quality, variants: d.variants,
      roomType: this.config.roomTypes[0]?.id, style: this.config.styles[0]?.id, prompt: '' });
  }

  setValues({ mode, roomType, style, aspectRatio, quality, variants, prompt }) {
    const f = this.form.elements;
    if (mode) checkRadio(f.mode, mode);
    if (roomType) f.roomType.value = roomType;
    if (style) f.style.value = style;
    this.showMode();
    if (aspectRatio) checkRadio(this.form.elements.aspectRatio, aspectRatio);
    if (quality) f.quality.value = quality;
    if (variants) checkRadio(this.form.elements.variants, String(variants));
    if (prompt !== undefined) this.prompt.value = prompt ?? '';
    this.updateCounter();
    this.clearAllErrors();
  }

  get mode() {
    const id = radioValue(this.form.elements.mode);
    return this.config.modes.find((m) => m.id === id) || this.config.modes[0];
  }

  /** Draws the mode's own aspect ratios, qualities and variant counts, keeping the current
   * choice where the mode offers it and taking the mode's default where it does not. */
  drawSettings(mode) {
    const form = this.form;
    const ratio = radioValue(form.elements.aspectRatio);
    const ratios = mode.aspectRatios || this.config.aspectRatios;
    drawSegments(form.querySelector('#aspect-options'), 'aspectRatio',
      ratios.map((id) => ({ id, label: aspectLabels[id] || id })));
    checkRadio(form.elements.aspectRatio, ratios.includes(ratio) ? ratio : (mode.defaultAspectRatio || ratios[0]));

    const quality = form.elements.quality.value;
    const qualities = mode.qualities || this.config.qualities;
    fillSelect(form.querySelector('#quality'), qualities.map((id) => ({ id, label: qualityLabels[id] || id })));
    form.elements.quality.value = qualities.includes(quality) ? quality : this.config.defaults.quality;

    const count = radioValue(form.elements.variants);
    const max = mode.maxVariants || this.limits.maxVariants;
    const choices = [];
    for (let n = 1; n <= max; n += 1) choices.push({ id: String(n), label: String(n) });
    drawSegments(form.querySelector('#variant-options'), 'variants', choices);
    checkRadio(form.elements.variants, count && Number(count) <= max ? count : String(Math.min(this.config.defaults.variants, max)));
  }

  /** Shows exactly the inputs the chosen mode needs; the others are hidden and disabled. */
  showMode() {
    const mode = this.mode;
    this.drawSettings(mode);
    const text = modeText[mode.id] || {};
    for (const [slot, index] of [['input1', 1], ['input2', 2]]) {
      const active = mode.inputImages >= index;
      const image = this.images[slot];
      image.setActive(active);
      const [label, choose] = text[slot] || (index === 1
        ? ['Photo of your room', 'Choose a photo'] : ['Reference image', 'Choose an image']);
      image.setLabel(label, choose);
      if (!active) image.setError(null);
    }
    this.form.querySelector('#images').hidden = mode.inputImages === 0;
    this.form.querySelector('#images').classList.toggle('single', mode.inputImages === 1);
    const requirement = this.form.querySelector('#prompt-requirement');
    requirement.textContent = mode.requiresPrompt ? '(required)' : '(optional)';
    requirement.classList.toggle('required', mode.requiresPrompt);
    this.prompt.required = mode.requiresPrompt;
    this.form.querySelector('#prompt-hint').textContent = mode.requiresPrompt
      ? 'Describe the room you imagine — layout, materials, light, furniture.'
      : 'Anything to add — colours, materials, a piece of furniture.';
    this.clearError('mode');
    this.clearError('prompt');
  }

  updateCounter() {
    const length = promptLength(this.prompt.value);
    const max = this.limits.maxPromptLength;
    this.counter.textContent = `${length} / ${max}`;
    this.counter.classList.toggle('over', length > max);
  }

  /** The settings as the API names them. */
  values() {
    const f = this.form.elements;
    return {
      mode: this.mode.id,
      roomType: f.roomType.value,
      style: f.style.value,
      aspectRatio: radioValue(f.aspectRatio),
      quality: f.quality.value,
      variants: Number(radioValue(f.variants)),
      prompt: this.prompt.value.trim(),
    };
  }

  /**
   * Checks the form as the server would. Marks every field at fault and focuses the first.
   * @returns {boolean} true when the form can be sent
   */
  async validate() {
    await Promise.all(Object.values(this.images).map((image) => image.pending));
    this.clearAllErrors({ keepImages: true });
    const mode = this.mode;
    const problems = [];
    for (const [slot, index] of [['input1', 1], ['input2', 2]]) {
      const image = this.images[slot];
      if (mode.inputImages < index) continue;
      if (image.hasError) problems.push([slot, null]);
      else if (!image.file) {
        problems.push([slot, index === 1
          ? `Add a photo of the room for ${mode.label.toLowerCase()}.`
          : 'Add the reference image.']);
      }
    }
    const length = promptLength(this.prompt.value);
    if (mode.requiresPrompt && length === 0) {
      problems.push(['prompt', `Describe the room you imagine: ${mode.label} needs a prompt.`]);
    } else if (length > this.limits.maxPromptLength) {
      problems.push(['prompt', `The prompt is ${length} characters; the limit is ${this.limits.maxPromptLength}.`]);
    }
    for (const [field, message] of problems) {
      if (message) this.showFieldError(field, message);
    }
    if (problems.length) this.focusField(problems[0][0]);
    return problems.length === 0;
  }

  /** The multipart body of POST /api/v1/generations. */
  formData(idempotencyKey) {
    const v = this.values();
    const body = new FormData();
    body.set('mode', v.mode);
    body.set('roomType', v.roomType);
    body.set('style', v.style);
    body.set('aspectRatio', v.aspectRatio);
    body.set('quality', v.quality);
    body.set('variants', String(v.variants));
    if (v.prompt) body.set('prompt', v.prompt);
    body.set('idempotencyKey', idempotencyKey);
    for (const [slot, index] of [['input1', 1], ['input2', 2]]) {
      const file = this.images[slot].file;
      if (this.mode.inputImages >= index && file) body.set(slot, file, file.name);
    }
    return body;
  }

  showFieldError(field, message) {
    if (field === 'input1' || field === 'input2') {
      this.images[field].setError(message);
      return;
    }
    const container = this.form.querySelector(`#field-${field}`);
    const error = this.form.querySelector(`#${field}-error`);
    if (!container || !error) return;
    container.classList.add('invalid');
    error.textContent = message;
    error.hidden = false;
    for (const control of container.querySelectorAll('input, select, textarea')) {
      control.setAttribute('aria-invalid', 'true');
    }
  }

  clearError(field) {
    if (field === 'input1' || field === 'input2') {
      this.images[field].setError(null);
      return;
    }
    const container = this.form.querySelector(`#field-${field}`);
    const error = this.form.querySelector(`#${field}-error`);
    if (!container || !error) return;
    container.classList.remove('invalid');
    error.textContent = '';
    error.hidden = true;
    for (const control of container.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
  }

  clearAllErrors({ keepImages = false } = {}) {
    for (const field of fieldNames) {
      if (keepImages && (field === 'input1' || field === 'input2')) continue;
      this.clearError(field);
    }
    this.hideAlert();
  }

  focusField(field) {
    const target = {
      mode: () => this.form.querySelector('input[name=mode]:checked') || this.form.querySelector('input[name=mode]'),
      aspectRatio: () => this.form.querySelector('input[name=aspectRatio]:checked'),
      variants: () => this.form.querySelector('input[name=variants]:checked'),
      input1: () => this.images.input1.input,
      input2: () => this.images.input2.input,
    }[field]?.() || this.form.querySelector(`#${field}`);
    target?.focus();
    target?.closest('.field')?.scrollIntoView({ block: 'nearest' });
  }

  showAlert(message, action, options) {
    showAlert(this.alert, message, action, options);
  }

  hideAlert() {
    this.alert.hidden = true;
    this.alert.replaceChildren();
  }

  /** While a job is in flight the Generate button is disabled. */
  setBusy(busy, note) {
    this.generate.disabled = busy;
    this.generate.textContent = busy ? 'Generating…' : 'Generate';
    this.form.querySelector('#generate-note').textContent = note
      || (busy ? 'Wait for this generation to finish.' : 'One generation runs at a time.');
  }
}

function fillSelect(select, items) {
  select.replaceChildren(...items.map((item) => new Option(item.label, item.id)));
}

function drawSegments(container, name, items) {
  container.replaceChildren(...items.map((item) => {
    const label = document.createElement('label');
    label.className = 'segment';
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = name;
    input.value = item.id;
    input.id = `${name}-${item.id.replace(/[^a-z0-9]/gi, '-')}`;
    const text = document.createElement('span');
    text.textContent = item.label;
    label.append(input, text);
    return label;
  }));
}

function checkRadio(list, value) {
  for (const input of radioList(list)) input.checked = input.value === value;
}

function radioValue(list) {
  return radioList(list).find((input) => input.checked)?.value ?? null;
}

function radioList(list) {
  if (!list) return [];
  return list instanceof RadioNodeList ? [...list] : [list];
}
