// The theme in effect: the user's choice from the settings, or the system's
// (prefers-color-scheme) when the choice is "system"; applied as
// <html data-theme="light|dark"> so the CSS variables follow it.
import { useEffect, useSyncExternalStore } from 'react';
import { useSettings } from './store';

export type Theme = 'light' | 'dark';

const query = '(prefers-color-scheme: dark)';

function systemDark(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia(query).matches;
}

function subscribeSystem(cb: () => void): () => void {
  if (typeof window.matchMedia !== 'function') return () => {};
  const mq = window.matchMedia(query);
  mq.addEventListener?.('change', cb);
  return () => mq.removeEventListener?.('change', cb);
}

export function useTheme(): Theme {
  const { theme } = useSettings();
  const dark = useSyncExternalStore(subscribeSystem, systemDark, () => false);
  if (theme === 'light' || theme === 'dark') return theme;
  return dark ? 'dark' : 'light';
}

export function useApplyTheme(): Theme {
  const theme = useTheme();
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return theme;
}
