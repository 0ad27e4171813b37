// Small shared pieces: cards, progress bars, state badges, loading text, key-value lists.
import type { ReactNode } from 'react';

export function Card({ title, actions, children, className, labelId }: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  labelId?: string;
}) {
  return (
    <section className={`card ${className ?? ''}`} aria-labelledby={title ? labelId : undefined}>
      {(title || actions) && (
        <header className="card-header">
          {title && <h2 id={labelId}>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}

const stateClass: Record<string, string> = {
  loaded: 'ok', completed: 'ok', healthy: 'ok', warmed: 'ok', nominal: 'ok',
  loading: 'busy', unloading: 'busy', downloading: 'busy', verifying: 'busy', pending: 'busy', queued: 'busy', running: 'busy', fair: 'busy',
  unloaded: 'idle', cancelled: 'idle',
  failed: 'bad', error: 'bad', serious: 'bad', critical: 'bad',
  ok: 'ok', busy: 'busy', idle: 'idle', bad: 'bad',
};

export function Badge({ state, children }: { state: string; children?: ReactNode }) {
  return <span className={`badge badge-${stateClass[state] ?? 'idle'}`}>{children ?? state}</span>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function KeyValues({ items }: { items: [string, ReactNode][] }) {
  const shown = items.filter(([, v]) => v !== null && v !== undefined && v !== '');
  return (
    <dl className="kv">
      {shown.map(([k, v]) => (
        <div key={k} className="kv-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
