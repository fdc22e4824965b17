// The try-it page of Interior: sign in, create, follow progress, see results, browse history.

import { Api, ApiError, NetworkError, newUUID } from './api.js';
import { CreateForm } from './create-form.js';
import { History } from './history.js';
import { JobView, jobStorageKey } from './job.js';
import { describeError } from './messages.js';
import { formatDate } from './format.js';
import { Viewer } from './viewer.js';
import { showAlert } from './alert.js';

const sessionKey = 'interior.session';
const demoUserKey = 'interior.demoUser';
const $ = (selector) => document.querySelector(selector);

const state = {
  config: null,
  session: readSession(),
  usage: null,
  form: null,
  job: null,
  history: null,
  submitting: false,
};

const api = new Api(() => state.session?.token ?? null, () => signOut('Your session has ended. Please sign in again.'));
const viewer = new Viewer($('#viewer'));

boot();

async function boot() {
  try {
    state.config = await api.config();
  } catch (error) {
    $('#loading').hidden = true;
    showPageAlert(describeError(error), { label: 'Try again', run: () => { hidePageAlert(); boot(); } });
    document.body.classList.remove('booting');
    return;
  }
  const { config } = state;
  $('#loading').hidden = true;
  $('#emulator-banner').hidden = config.replicate !== 'emulator';
  $('#footer-mode').textContent = config.replicate === 'emulator'
    ? 'Images come from the local Replicate emulator.' : 'Images come from Replicate.';

  $('#signin-dev').hidden = config.authMode !== 'dev';
  $('#signin-token-details').open = config.authMode !== 'dev';
  $('#signin-demo').addEventListener('click', signInAsDemoUser);
  $('#signin-token-form').addEventListener('submit', signInWithToken);
  $('#sign-out').addEventListener('click', () => signOut());

  if (state.session && state.session.expiresAt && Date.parse(state.session.expiresAt) <= Date.now()) {
    signOut('Your session has ended. Please sign in again.');
  } else if (state.session) {
    enterWorkspace();
  } else {
    showSignIn();
  }
  document.body.classList.remove('booting');
}

// MARK: Sign in

function readSession() {
  try {
    return JSON.parse(sessionStorage.getItem(sessionKey));
  } catch {
    return null;
  }
}

function showSignIn() {
  $('#workspace').hidden = true;
  $('#account').hidden = true;
  $('#signin').hidden = false;
  const first = state.config.authMode === 'dev' ? $('#signin-demo') : $('#signin-token');
  first.focus();
}

/** A per-browser demo user: the same account (and history) each time in this browser. */
function demoUserId() {
  let id = localStorage.getItem(demoUserKey);
  if (!id) {
    id = newUUID();
    localStorage.setItem(demoUserKey, id);
  }
  return id;
}

async function signInAsDemoUser() {
  const button = $('#signin-demo');
  button.disabled = true;
  hidePageAlert();
  try {
    const minted = await api.devToken(demoUserId());
    saveSession({ token: minted.token, userId: minted.userId, expiresAt: minted.expiresAt });
    enterWorkspace();
    $('#create-title').focus();
  } catch (error) {
    showPageAlert(describeError(error), error instanceof NetworkError
      ? { label: 'Try again', run: () => { hidePageAlert(); signInAsDemoUser(); } } : null);
  } finally {
    button.disabled = false;
  }
}

async function signInWithToken(event) {
  event.preventDefault();
  const field = $('#signin-token');
  const error = $('#signin-token-error');
  const token = field.value.trim().replace(/^Bearer\s+/i, '');
  const fail = (message) => {
    error.textContent = message;
    error.hidden = false;
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  };
  error.hidden = true;
  field.removeAttribute('aria-invalid');
  if (!token) {
    fail('Paste an access token first.');
    return;
  }
  try {
    const me = await api.me(token);
    saveSession({ token, userId: me.id, expiresAt: tokenExpiry(token) });
    field.value = '';
    enterWorkspace();
    $('#create-title').focus();
  } catch (failure) {
    fail(failure instanceof ApiError && failure.code === 'UNAUTHORIZED'
      ? 'This token was not accepted: it is invalid, expired, or from another project.'
      : describeError(failure).text);
  }
}

/** The `exp` of a JWT, read without verifying (the server verifies). */
function tokenExpiry(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return payload.exp ? new Date(payload.exp * 1000).toISOString() : null;
  } catch {
    return null;
  }
}

function saveSession(session) {
  state.session = session;
  sessionStorage.setItem(sessionKey, JSON.stringify(session));
}

function signOut(message) {
  state.session = null;
  sessionStorage.removeItem(sessionKey);
  sessionStorage.removeItem(jobStorageKey);
  state.job?.reset();
  viewer.close();
  showSignIn();
  if (message) showPageAlert({ title: 'Signed out', text: message });
  else hidePageAlert();
}

// MARK: Workspace

function enterWorkspace() {
  const { config } = state;
  $('#signin').hidden = true;
  $('#workspace').hidden = false;
  $('#account').hidden = false;

  if (!state.form) {
    state.form = new CreateForm($('#create-form'), config);
    $('#create-form').addEventListener('submit', onGenerate);
    state.job = new JobView($('#job'), {
      api, config, viewer,
      context: () => ({ limits: config.limits, usage: state.usage }),
      onBusyChange: (busy) => state.form.setBusy(busy || state.submitting),
      onFinished: (job) => {
        refreshUsage();
        if (job.status === 'succeeded') state.history.reload();
        announce(job.status === 'succeeded'
          ? `Done: ${job.variants?.length ?? 0} image${job.variants?.length === 1 ? '' : 's'} ready.`
          : 'The generation did not finish.');
      },
      onReuse: reuseSettings,
      newKey: newUUID,
      onStarted: () => refreshUsage(),
      onSubmitError: (error) => showSubmitError(error),
    });
    state.history = new History($('#history'), {
      api, config,
      pageSize: pageSizeFromURL(),
      context: () => ({ limits: config.limits, usage: state.usage }),
      onOpen: openRender,
      onDeleted: (renderId) => state.job.forgetRender(renderId),
    });
  }
  refreshUsage();
  state.history.reload();
  resumeJob();
}

/** `?pageSize=N` tries pagination with a small page; 12 otherwise. */
function pageSizeFromURL() {
  const value = Number(new URLSearchParams(location.search).get('pageSize'));
  return Number.isInteger(value) && value >= 1 && value <= 100 ? value : 12;
}

/** After a reload, or when another tab or device has a job running, follow it here. */
async function resumeJob() {
  const stored = sessionStorage.getItem(jobStorageKey);
  try {
    if (stored) {
      state.job.follow(await api.generation(stored));
      return;
    }
    await followInFlight();
  } catch (error) {
    sessionStorage.removeItem(jobStorageKey);
    if (error.code === 'UNAUTHORIZED') return;
  }
}

async function followInFlight() {
  const { items } = await api.generations(5);
  const running = items.find((job) => job.status === 'starting' || job.status === 'processing');
  if (running && running.id !== state.job.job?.id) state.job.follow(running);
  return running;
}

async function refreshUsage() {
  const usageElement = $('#usage');
  try {
    const usage = await api.usage();
    state.usage = usage;
    const text = usage.remaining > 0
      ? `${usage.remaining} of ${usage.monthlyAllowance} generations left this month · ${usage.planLabel} plan`
      : `No generations left this month (${usage.planLabel} plan: ${usage.monthlyAllowance}). Renews ${formatDate(usage.periodEnd)}.`;
    usageElement.querySelector('.usage-text').textContent = text;
    usageElement.classList.toggle('usage-empty', usage.remaining <= 0);
  } catch (error) {
    if (error.code !== 'UNAUTHORIZED') {
      usageElement.querySelector('.usage-text').textContent = 'Allowance unavailable right now';
    }
  }
}

// MARK: Generate

async function onGenerate(event) {
  event.preventDefault();
  const { form } = state;
  if (state.submitting || state.job.busy) return;
  // Disabled at once, before any await: a double click cannot send twice.
  state.submitting = true;
  form.setBusy(true, 'Sending…');
  form.hideAlert();
  try {
    if (!(await form.validate())) return;
    await send(newUUID());
  } finally {
    state.submitting = false;
    form.setBusy(state.job.busy);
  }
}

/**
 * One submit. The Idempotency-Key is fresh per click; a retry after a network failure reuses
 * it, so if the first attempt did reach the server the job is returned, not charged twice.
 */
async function send(idempotencyKey) {
  const { form } = state;
  try {
    const { job } = await api.submit(form.formData(idempotencyKey), idempotencyKey);
    state.job.follow(job, Date.now());
    refreshUsage();
    announce('Generation started.');
  } catch (error) {
    showSubmitError(error, idempotencyKey);
  }
}

function showSubmitError(error, idempotencyKey) {
  const { form } = state;
  const description = describeError(error, { limits: state.config.limits, usage: state.usage });
  if (description.signOut) return;
  if (description.field) {
    form.showFieldError(description.field, error.message);
    form.focusField(description.field);
  }
  let action = null;
  if (error instanceof NetworkError && idempotencyKey) {
    action = { label: 'Try again', run: () => retrySend(idempotencyKey) };
  } else if (description.retry) {
    action = { label: 'Try again', run: () => $('#generate').click() };
  }
  form.showAlert(description, action);
  if (!description.field) $('#form-alert').scrollIntoView({ block: 'nearest' });
  if (error.code === 'TOO_MANY_INFLIGHT') followInFlight().catch(() => {});
  if (error.code === 'LIMIT_EXCEEDED') refreshUsage();
}

async function retrySend(idempotencyKey) {
  if (state.submitting || state.job.busy) return;
  state.submitting = true;
  state.form.setBusy(true, 'Sending…');
  state.form.hideAlert();
  try {
    await send(idempotencyKey);
  } finally {
    state.submitting = false;
    state.form.setBusy(state.job.busy);
  }
}

// MARK: Results and history

function reuseSettings(job) {
  state.form.setValues({
    mode: job.mode,
    roomType: job.settings.roomType,
    style: job.settings.style,
    aspectRatio: job.settings.aspectRatio,
    quality: job.settings.quality,
    variants: job.settings.variants,
    prompt: job.prompt ?? '',
  });
  const needsImages = state.config.modes.find((m) => m.id === job.mode)?.inputImages > 0;
  state.form.showAlert({
    title: 'Settings restored',
    text: needsImages
      ? 'The settings of that generation are back in the form. Add the photo again if it is not still chosen.'
      : 'The settings of that generation are back in the form.',
  }, null, { info: true });
  $('#create').scrollIntoView({ block: 'start' });
  $('#create-form input[name=mode]:checked')?.focus();
}

async function openRender(item) {
  try {
    const job = await api.generation(item.jobId);
    if (job.status === 'succeeded') {
      // A job shown from the history is not the one in flight: do not stop following that.
      if (state.job.busy) {
        viewer.open(job.variants || [], 0, `interior-${job.renderId || job.id}`);
        return;
      }
      state.job.showResults(job);
      $('#job').scrollIntoView({ block: 'nearest' });
      $('#variant-grid button')?.focus();
    }
  } catch (error) {
    if (error.code === 'UNAUTHORIZED') return;
    state.history.showAlert(`${describeError(error).title}: ${describeError(error).text}`);
  }
}

// MARK: Page-level messages

function showPageAlert(message, action) {
  showAlert($('#page-alert'), message, action);
}

function hidePageAlert() {
  $('#page-alert').hidden = true;
}

/** Tells screen readers what changed without moving focus. */
function announce(text) {
  const status = $('#progress-status');
  if (!status.closest('[hidden]')) return;
  const region = document.getElementById('announcer') || Object.assign(document.createElement('p'), {
    id: 'announcer', className: 'visually-hidden',
  });
  region.setAttribute('role', 'status');
  if (!region.isConnected) document.body.append(region);
  region.textContent = text;
}
