// Vitest setup: jest-dom matchers, a fresh DOM and localStorage per test, and
// stand-ins for what jsdom lacks (canvas charts, matchMedia, ResizeObserver).
import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

// uPlot draws on a canvas, which jsdom does not have: a stand-in records the data.
vi.mock('uplot', () => {
  class FakePlot {
    static instances: FakePlot[] = [];
    data: unknown;
    constructor(_opts: unknown, data: unknown, el: HTMLElement) {
      this.data = data;
      const c = document.createElement('div');
      c.className = 'fake-uplot';
      el.appendChild(c);
      FakePlot.instances.push(this);
    }
    setData(d: unknown) {
      this.data = d;
    }
    setSize() {}
    destroy() {}
  }
  return { default: FakePlot };
});

if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addEventListener: () => {},
      removeEventListener: () => {},
      addListener: () => {},
      removeListener: () => {},
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

// The machine running the tests may be slow and busy: give async queries time.
configure({ asyncUtilTimeout: 8000 });

afterEach(() => {
  cleanup();
  localStorage.clear();
});
