// Native-only helpers. Inside the desktop window Wails injects window.runtime;
// in a LAN browser it is absent and the web fallbacks are used. Nothing here
// talks to Portico's API: that is api.ts.

interface WailsRuntime {
  BrowserOpenURL?: (url: string) => void;
  ClipboardSetText?: (text: string) => Promise<boolean>;
}

declare global {
  interface Window {
    runtime?: WailsRuntime;
  }
}

/**
 * Puts text on the clipboard; resolves to whether it worked.
 * navigator.clipboard exists only in secure contexts (https, localhost), and a
 * console opened at http://192.168.x.x is not one, so each way falls through
 * to the next.
 */
export async function copyText(text: string): Promise<boolean> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Denied (no focus, no permission): try the next way.
    }
  }
  const setText = window.runtime?.ClipboardSetText;
  if (setText) {
    try {
      if (await setText(text)) return true;
    } catch {
      // Fall through to the textarea.
    }
  }
  return copyWithTextarea(text);
}

function copyWithTextarea(text: string): boolean {
  const active = document.activeElement as HTMLElement | null;
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.setAttribute('aria-hidden', 'true');
  area.style.position = 'fixed';
  area.style.top = '0';
  area.style.left = '0';
  area.style.opacity = '0';
  area.style.pointerEvents = 'none';
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    // Deprecated, but the only way left on plain http.
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  active?.focus();
  return ok;
}

/** Opens url in the user's browser: the system browser from the desktop window, a new tab otherwise. */
export function openExternal(url: string): void {
  const open = window.runtime?.BrowserOpenURL;
  if (open) {
    open(url);
    return;
  }
  window.open(url, '_blank', 'noopener');
}
