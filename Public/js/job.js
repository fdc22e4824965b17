// The job panel: live progress of the generation in flight (polling with backoff), its
// results as a grid of thumbnails, or why it failed.

import { NetworkError } from './api.js';
import { describeError, describeJobFailure } from './messages.js';
import { formatElapsed, labelFor, formatDateTime } from './format.js';

const terminal = new Set(['succeeded', 'failed', 'canceled']);
const statusText = {
  starting: 'Starting…',
  processing: 'Generating your images…',
};
export const jobStorageKey = 'interior.job';

/** Poll delays: quick at first (the emulator takes seconds), then every 5 s. */
export function pollDelay(attempt) {
  return Math.min(1000 * 1.5 ** attempt, 5000);
}

export class JobView {
  /**
   * @param {HTMLElement} root the job panel
   * @param {object} options {api, config, viewer, onBusyChange(busy), onFinished(job), onReuse(job), context()}
   */
  constructor(root, options) {
    Object.assign(this, options);
    this.root = root;
    this.empty = root.querySelector('#job-empty');
    this.progress = root.querySelector('#progress');
    this.status = root.querySelector('#progress-status');
    this.elapsed = root.querySelector('#progress-elapsed');
    this.connection = root.querySelector('#progress-connection');
    this.cancelButton = root.querySelector('#cancel-job');
    this.failure = root.querySelector('#job-failure');
    this.results = root.querySelector('#results');
    this.grid = root.querySelector('#variant-grid');
    this.summary = root.querySelector('#results-summary');
    this.job = null;
    this.pollTimer = null;
    this.clockTimer = null;
    this.session = 0;

    this.cancelButton.addEventListener('click', () => this.cancel());
    root.querySelector('#retry-job').addEventListener('click', () => this.retry());
    root.querySelector('#reuse-settings').addEventListener('click', () => this.job && this.onReuse(this.job));
  }

  get busy() { return Boolean(this.job && !terminal.has(this.job.status)); }

  /** Follows `job` until it ends. `startedAt` (ms) defaults to the job's creation time. */
  follow(job, startedAt) {
    this.stop();
    const session = ++this.session;
    this.job = job;
    const created = Date.parse(job.createdAt);
    this.startedAt = startedAt ?? (Number.isNaN(created) ? Date.now() : Math.min(created, Date.now()));
    sessionStorage.setItem(jobStorageKey, job.id);
    this.render();
    if (terminal.has(job.status)) return;
    this.clockTimer = setInterval(() => this.tick(), 1000);
    this.schedule(session, 0);
  }

  schedule(session, attempt) {
    this.pollTimer = setTimeout(() => this.poll(session, attempt), pollDelay(attempt));
  }

  async poll(session, attempt) {
    if (session !== this.session) return;
    try {
      const job = await this.api.generation(this.job.id);
      if (session !== this.session) return;
      this.connection.hidden = true;
      const changed = job.status !== this.job.status;
      this.job = job;
      if (terminal.has(job.status)) {
        this.finish();
        return;
      }
      if (changed) this.render();
      this.schedule(session, attempt + 1);
    } catch (error) {
      if (session !== this.session) return;
      if (error instanceof NetworkError || ['INTERNAL_ERROR', 'SERVICE_UNAVAILABLE', 'RATE_LIMITED', 'UPSTREAM_ERROR'].includes(error.code)) {
        // Keep trying: the job runs on the server whether or not this page can see it.
        this.connection.textContent = error instanceof NetworkError
          ? 'Connection lost — retrying…' : 'The server is busy — retrying…';
        this.connection.hidden = false;
        this.schedule(session, attempt + 1);
        return;
      }
      this.stop();
      if (error.code === 'UNAUTHORIZED') return;
      const { title, text } = describeError(error, this.context());
      this.showFailure(title, text, false);
      this.forget();
    }
  }

  finish() {
    this.stop();
    this.forget();
    this.render();
    this.onFinished(this.job);
  }

  tick() {
    this.elapsed.textContent = formatElapsed(Date.now() - this.startedAt);
  }

  stop() {
    this.session += 1;
    clearTimeout(this.pollTimer);
    clearInterval(this.clockTimer);
    this.pollTimer = null;
    this.clockTimer = null;
  }

  forget() {
    sessionStorage.removeItem(jobStorageKey);
  }

  /** Back to the empty panel (sign-out). */
  reset() {
    this.stop();
    this.job = null;
    this.progress.hidden = true;
    this.failure.hidden = true;
    this.results.hidden = true;
    this.empty.hidden = false;
    this.onBusyChange(false);
  }

  render() {
    const job = this.job;
    const busy = this.busy;
    this.empty.hidden = true;
    this.progress.hidden = !busy;
    this.failure.hidden = true;
    this.results.hidden = true;
    this.onBusyChange(busy);
    if (busy) {
      this.status.textContent = statusText[job.status] || 'Working…';
      this.cancelButton.disabled = false;
      this.tick();
      return;
    }
    if (job.status === 'succeeded') {
      this.showResults(job);
      return;
    }
    const { title, text } = describeJobFailure(job);
    this.showFailure(title, text, job.status === 'failed' || job.status === 'canceled');
  }

  showFailure(title, text, canRetry) {
    this.empty.hidden = true;
    this.progress.hidden = true;
    this.results.hidden = true;
    this.root.querySelector('#job-failure-title').textContent = title;
    this.root.querySelector('#job-failure-text').textContent = text;
    this.root.querySelector('#retry-job').hidden = !canRetry;
    this.failure.dataset.jobId = this.job?.id ?? '';
    this.failure.hidden = false;
    this.onBusyChange(false);
  }

  /** A finished job (or a render opened from the history) with its variants. */
  showResults(job) {
    this.stop();
    this.job = job;
    const { config } = this;
    const variants = job.variants || [];
    this.empty.hidden = true;
    this.progress.hidden = true;
    this.failure.hidden = true;
    this.summary.textContent = [
      labelFor(config.modes, job.mode),
      labelFor(config.roomTypes, job.settings.roomType),
      labelFor(config.styles, job.settings.style),
      job.completedAt ? formatDateTime(job.completedAt) : null,
    ].filter(Boolean).join(' · ');
    const count = variants.length;
    this.grid.replaceChildren(...variants.map((variant, position) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'variant-button';
      button.setAttribute('aria-label', `Open variant ${position + 1} of ${count} full size`);
      const image = document.createElement('img');
      image.src = variant.thumbUrl;
      // The real size reserves the space before the thumbnail arrives: no layout jump.
      image.width = variant.width;
      image.height = variant.height;
      image.alt = `Variant ${position + 1}`;
      image.decoding = 'async';
      const caption = document.createElement('span');
      caption.className = 'variant-label';
      caption.textContent = `Variant ${position + 1} · ${variant.width}×${variant.height}`;
      button.append(image, caption);
      button.addEventListener('click', () => this.viewer.open(variants, position, `interior-${job.renderId || job.id}`));
      item.append(button);
      return item;
    }));
    if (count === 0) {
      this.summary.textContent += ' · no images were returned';
    }
    this.results.dataset.jobId = job.id;
    this.results.hidden = false;
    this.onBusyChange(false);
  }

  /** Clears the results if they show `renderId` (it was deleted). */
  forgetRender(renderId) {
    if (this.job?.renderId === renderId) {
      this.job = null;
      this.results.hidden = true;
      this.empty.hidden = false;
    }
  }

  async cancel() {
    if (!this.busy) return;
    this.cancelButton.disabled = true;
    try {
      const job = await this.api.cancel(this.job.id);
      this.job = job;
      this.finish();
    } catch (error) {
      this.cancelButton.disabled = false;
      // A job that finished meanwhile cannot be cancelled; the next poll shows how it ended.
      if (error.code === 'INVALID_STATE') return;
      this.connection.textContent = describeError(error, this.context()).text;
      this.connection.hidden = false;
    }
  }

  async retry() {
    if (!this.job) return;
    const button = this.root.querySelector('#retry-job');
    button.disabled = true;
    try {
      const job = await this.api.retry(this.job.id, this.newKey());
      this.follow(job, Date.now());
      this.onStarted?.(job);
    } catch (error) {
      this.onSubmitError(error);
    } finally {
      button.disabled = false;
    }
  }
}
