// One way to fill an alert box: a title, a line of text, and an optional action button.

/**
 * Replaces `element`'s content with the message and shows it. `info` makes it a polite
 * status rather than an alert for screen readers.
 */
export function showAlert(element, { title, text }, action, { info = false } = {}) {
  const parts = [];
  if (title) {
    const heading = document.createElement('p');
    heading.className = 'alert-title';
    heading.textContent = title;
    parts.push(heading);
  }
  const body = document.createElement('p');
  body.textContent = text;
  parts.push(body);
  if (action) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button';
    button.textContent = action.label;
    button.addEventListener('click', action.run, { once: true });
    parts.push(button);
  }
  element.replaceChildren(...parts);
  element.classList.toggle('alert-info', info);
  element.setAttribute('role', info ? 'status' : 'alert');
  element.hidden = false;
}
