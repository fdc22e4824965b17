// What a person reads when something goes wrong: one message for every error code of the
// API (and for the codes a finished job can carry), never a raw status line.

import { ApiError, NetworkError } from './api.js';
import { formatBytes, formatDate, formatImageTypes } from './format.js';

/** The form control each `details.field` of a 400 names. */
export const fieldForDetail = {
  mode: 'mode',
  prompt: 'prompt',
  roomType: 'roomType',
  style: 'style',
  aspectRatio: 'aspectRatio',
  quality: 'quality',
  variants: 'variants',
  input1: 'input1',
  input2: 'input2',
  input1Url: 'input1',
  input2Url: 'input2',
};

/**
 * The human message for every error code the API answers with (SPEC §9, plus the service's
 * FORBIDDEN, INVALID_STATE and SERVICE_UNAVAILABLE). Each takes the error and a context
 * ({limits, usage}) and returns {title, text}.
 */
export const apiErrorMessages = {
  VALIDATION_ERROR: (error) => ({
    title: 'Please check the form',
    text: error.message,
  }),
  UNAUTHORIZED: () => ({
    title: 'Please sign in again',
    text: 'Your session has ended or the access token was not accepted.',
  }),
  LIMIT_EXCEEDED: (error, { usage }) => {
    const plan = usage?.planLabel || planName(error.details?.planId) || 'your';
    const allowance = usage?.monthlyAllowance;
    const resets = error.details?.periodEnd || usage?.periodEnd;
    const used = allowance != null
      ? `You have used all ${allowance} generations of the ${plan} plan this month.`
      : `You have used all the generations of the ${plan} plan this month.`;
    return {
      title: 'Monthly limit reached',
      text: resets ? `${used} Your allowance renews on ${formatDate(resets)}.` : used,
    };
  },
  FORBIDDEN: () => ({
    title: 'Not allowed',
    text: 'Your account cannot do that.',
  }),
  NOT_FOUND: () => ({
    title: 'Not found',
    text: 'That generation or render does not exist any more. It may have been deleted.',
  }),
  METHOD_NOT_ALLOWED: () => ({
    title: 'This page is out of date',
    text: 'The server did not accept that request. Reload the page and try again.',
  }),
  TOO_MANY_INFLIGHT: () => ({
    title: 'A generation is already running',
    text: 'Please wait until this generation is complete.',
  }),
  INVALID_STATE: (error) => ({
    title: 'That is no longer possible',
    text: error.message || 'The generation has already moved on.',
  }),
  PAYLOAD_TOO_LARGE: (error, { limits }) => ({
    title: 'Image too large',
    text: limits
      ? `Each image may be at most ${formatBytes(limits.maxUploadBytes)}. Choose a smaller image.`
      : 'The image is too large. Choose a smaller image.',
  }),
  REQUEST_TIMEOUT: () => ({
    title: 'The upload stalled',
    text: 'The connection stopped sending before the images arrived. Check your connection and try again.',
  }),
  UNSUPPORTED_MEDIA_TYPE: (error, { limits }) => ({
    title: 'Unsupported image',
    text: `Images must be ${limits ? formatImageTypes(limits.acceptedMimeTypes) : 'JPEG, PNG or WebP'} files.`,
  }),
  IDEMPOTENCY_KEY_REUSED: () => ({
    title: 'Already sent',
    text: 'That request was already sent with different settings. Press Generate again to start a new one.',
  }),
  RATE_LIMITED: (error) => ({
    title: 'Too many requests',
    text: error.retryAfter
      ? `Please wait ${error.retryAfter} seconds and try again.`
      : 'Please wait a moment and try again.',
  }),
  UPSTREAM_ERROR: () => ({
    title: 'The image service is unavailable',
    text: 'It could not start this generation. You have not been charged — please try again.',
  }),
  INTERNAL_ERROR: (error) => ({
    title: 'Something went wrong on our side',
    text: `Please try again.${error.requestId ? ` (Reference: ${error.requestId})` : ''}`,
  }),
  SERVICE_UNAVAILABLE: () => ({
    title: 'The service is unavailable',
    text: 'Interior cannot reach its database or storage right now. Please try again in a minute.',
  }),
};

/** Titles for the error codes a failed or cancelled job carries; the text is the job's own message. */
export const jobErrorTitles = {
  GENERATION_FAILED: 'The image model could not complete this generation',
  NO_OUTPUT: 'The image model returned no images',
  PREDICTION_LOST: 'The image service lost this generation',
  TIMEOUT: 'This generation took too long',
  CANCELED: 'Generation cancelled',
  UPSTREAM_ERROR: 'The image service could not start this generation',
  INTERNAL_ERROR: 'Something went wrong on our side',
};

/**
 * A displayable description of any error the page can meet.
 * @returns {{title: string, text: string, field: string|null, retry: boolean, signOut: boolean}}
 */
export function describeError(error, context = {}) {
  if (error instanceof NetworkError) {
    return {
      title: 'Cannot reach Interior',
      text: 'Check your connection — the server did not answer.',
      field: null, retry: true, signOut: false,
    };
  }
  if (error instanceof ApiError) {
    const make = apiErrorMessages[error.code] || apiErrorMessages.INTERNAL_ERROR;
    const { title, text } = make(error, context);
    const detailField = error.details?.field;
    return {
      title,
      text,
      field: detailField ? fieldForDetail[detailField] || null : null,
      retry: ['UPSTREAM_ERROR', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE', 'RATE_LIMITED', 'REQUEST_TIMEOUT'].includes(error.code),
      signOut: error.code === 'UNAUTHORIZED',
    };
  }
  return {
    title: 'Something went wrong in this page',
    text: String(error?.message || error),
    field: null, retry: false, signOut: false,
  };
}

/** The message of a failed or cancelled job. */
export function describeJobFailure(job) {
  const code = job.error?.code || 'INTERNAL_ERROR';
  return {
    title: jobErrorTitles[code] || 'This generation failed',
    text: job.error?.message || 'Please try again.',
  };
}

function planName(id) {
  if (!id) return null;
  return id.charAt(0).toUpperCase() + id.slice(1);
}
