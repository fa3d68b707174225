// Brand colours: the admin picks two (#rrggbb); text on them must stay
// readable, so the text colour and a hover shade are derived here, once, for
// the portal and the console's preview alike.

export const defaultColor = '#1f6feb';

export function isHexColor(v: string): boolean {
  return /^#[0-9a-fA-F]{6}$/.test(v.trim());
}

function channels(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

// WCAG relative luminance.
function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** White or near-black, whichever contrasts more with hex. */
export function textOn(hex: string): string {
  if (!isHexColor(hex)) return '#ffffff';
  const l = luminance(hex);
  const white = 1.05 / (l + 0.05);
  const black = (l + 0.05) / (luminance('#1f2328') + 0.05);
  return white >= black ? '#ffffff' : '#1f2328';
}

/** hex moved towards black (amount > 0) or white (amount < 0), 0..1. */
export function shade(hex: string, amount: number): string {
  if (!isHexColor(hex)) return hex;
  const target = amount > 0 ? 0 : 255;
  const a = Math.abs(amount);
  return (
    '#' +
    channels(hex)
      .map((c) => Math.round(c + (target - c) * a).toString(16).padStart(2, '0'))
      .join('')
  );
}

/** CSS custom properties for a primary and a banner colour. */
export function brandVariables(primary: string, banner: string): Record<string, string> {
  const vars: Record<string, string> = {};
  if (isHexColor(primary)) {
    vars['--primary'] = primary;
    vars['--primary-hover'] = shade(primary, 0.15);
    vars['--primary-text'] = textOn(primary);
    vars['--focus'] = primary;
  }
  if (isHexColor(banner)) {
    vars['--banner'] = banner;
    vars['--banner-text'] = textOn(banner);
  }
  return vars;
}
