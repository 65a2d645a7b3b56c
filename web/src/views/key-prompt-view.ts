import { api } from '../api-client.ts';
import { storeApiKey } from '../api-key.ts';
import { h } from '../dom.ts';

/**
 * Shown when the API answers 401: this server runs with API_KEYS. The key is checked against
 * the API (a catalog call) before it is kept in localStorage; `onKey` then reloads the view.
 */
export function createKeyPromptView(onKey: () => void, hadKey: boolean): HTMLElement {
  const input = h('input', {
    type: 'password',
    name: 'api-key',
    autocomplete: 'off',
    required: true,
    placeholder: 'API key',
    'aria-label': 'API key',
  });
  const message = h('p', { class: 'form-message', role: 'status' });
  const form = h(
    'form',
    { class: 'panel key-prompt' },
    h('h2', {}, 'API key needed'),
    h(
      'p',
      {},
      hadKey
        ? 'The stored key was refused. Enter a valid key for this server.'
        : 'This server requires an API key (it runs with API_KEYS). It is kept in this browser only and sent as a bearer token.',
    ),
    h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'primary' }, 'Continue')),
    message,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === '') return;
    storeApiKey(key);
    message.textContent = 'Checking…';
    message.className = 'form-message';
    try {
      await api('/v1/catalog/optimizers');
      onKey();
    } catch (error) {
      storeApiKey(null);
      message.textContent =
        (error as { status?: number }).status === 401 ? 'This key is not valid.' : (error as Error).message;
      message.className = 'form-message error';
    }
  });
  queueMicrotask(() => input.focus());
  return h('div', { class: 'key-view' }, form);
}
