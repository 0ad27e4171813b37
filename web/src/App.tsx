// The dashboard shell: providers (queries, live socket, chat state), the
// header with navigation and the connection indicator, the thermal banner,
// and the routes. Pages other than the Overview load on first visit.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useRef, useState, type ReactNode } from 'react';
import { BrowserRouter, NavLink, Route, Routes, useLocation } from 'react-router';
import { retryUnlessFinal } from './api/queries';
import { ChatProvider } from './chat/ChatContext';
import { ConnectionIndicator } from './components/ConnectionIndicator';
import { ThermalBanner } from './components/ThermalBanner';
import { Loading } from './components/ui';
import { LiveProvider } from './live/LiveContext';
import { OverviewPage } from './pages/OverviewPage';
import { useApplyTheme } from './settings/theme';

const ModelsPage = lazy(() => import('./pages/ModelsPage'));
const ChatPage = lazy(() => import('./pages/ChatPage'));
const BenchmarksPage = lazy(() => import('./pages/BenchmarksPage'));
const SettingsPage = lazy(() => import('./pages/SettingsPage'));

export const NAV = [
  { to: '/', label: 'Overview' },
  { to: '/models', label: 'Models' },
  { to: '/chat', label: 'Chat' },
  { to: '/benchmarks', label: 'Benchmarks' },
  { to: '/settings', label: 'Settings' },
];

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: retryUnlessFinal, refetchOnWindowFocus: true, staleTime: 2_000 },
      mutations: { retry: false },
    },
  });
}

// After a client-side navigation, focus moves to the new page (as after a page load),
// so keyboard and screen-reader users start at its content.
function useFocusOnNavigate(main: React.RefObject<HTMLElement | null>) {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: false });
  }, [pathname, main]);
}

export function Shell({ children }: { children: ReactNode }) {
  useApplyTheme();
  const main = useRef<HTMLElement>(null);
  useFocusOnNavigate(main);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>Impetus</span>
        </div>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <NavLink to={n.to} end={n.to === '/'}>
                  {n.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <ConnectionIndicator />
      </header>
      <ThermalBanner />
      <main id="main" tabIndex={-1} ref={main}>
        {children}
      </main>
    </>
  );
}

function NotFound() {
  return (
    <div className="page">
      <h1>Not found</h1>
      <p>There is no page at this address.</p>
    </div>
  );
}

export function AppRoutes() {
  return (
    <Suspense fallback={<Loading what="page" />}>
      <Routes>
        <Route path="/" element={<OverviewPage />} />
        <Route path="/models" element={<ModelsPage />} />
        <Route path="/chat" element={<ChatPage />} />
        <Route path="/benchmarks" element={<BenchmarksPage />} />
        <Route path="/settings" element={<SettingsPage />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  );
}

export function App() {
  const [qc] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={qc}>
      <BrowserRouter>
        <LiveProvider>
          <ChatProvider>
            <Shell>
              <AppRoutes />
            </Shell>
          </ChatProvider>
        </LiveProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
