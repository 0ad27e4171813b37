// Browser-side settings: the API key (sent as "Authorization: Bearer" to the
// server) and the theme choice, kept in localStorage and readable from React
// through useSettings(). Nothing here is sent anywhere but to this server.
import { useSyncExternalStore } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';

export interface Settings {
  apiKey: string;
  theme: ThemeChoice;
}

const KEY_API = 'impetus.apiKey';
const KEY_THEME = 'impetus.theme';

function storage(): Storage | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null; // storage disabled (privacy mode): settings live for this page only
  }
}

function read(): Settings {
  const s = storage();
  const theme = s?.getItem(KEY_THEME);
  return {
    apiKey: s?.getItem(KEY_API) ?? '',
    theme: theme === 'light' || theme === 'dark' ? theme : 'system',
  };
}

let current: Settings = read();
const listeners = new Set<() => void>();

function emit() {
  for (const l of listeners) l();
}

export function getSettings(): Settings {
  return current;
}

export function updateSettings(patch: Partial<Settings>): void {
  current = { ...current, ...patch };
  const s = storage();
  if (s) {
    if (current.apiKey) s.setItem(KEY_API, current.apiKey);
    else s.removeItem(KEY_API);
    if (current.theme === 'system') s.removeItem(KEY_THEME);
    else s.setItem(KEY_THEME, current.theme);
  }
  emit();
}

// Re-reads localStorage (another tab changed it, or a test reset it).
export function reloadSettings(): void {
  current = read();
  emit();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (e: StorageEvent) => {
    if (e.key === KEY_API || e.key === KEY_THEME) reloadSettings();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

export function useSettings(): Settings {
  return useSyncExternalStore(subscribe, getSettings, getSettings);
}
