// Settings: the API key (kept in this browser), the theme, the prefix-cache
// settings of each model, and the server's performance mode.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import { endpoints } from '../api/endpoints';
import { keys, useCacheSettings, useCacheStatus, useOptimization } from '../api/queries';
import type { CacheSettings, PerformanceMode, PerformanceModeResponse } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Card, KeyValues, Loading } from '../components/ui';
import { formatBytes, formatPercent } from '../lib/format';
import { updateSettings, useSettings, type ThemeChoice } from '../settings/store';

function ApiKeyCard() {
  const { apiKey } = useSettings();
  const [draft, setDraft] = useState(apiKey);
  const [show, setShow] = useState(false);
  const qc = useQueryClient();
  const test = useMutation({ mutationFn: endpoints.openaiModels });
  useEffect(() => setDraft(apiKey), [apiKey]);
  const save = (key: string) => {
    updateSettings({ apiKey: key.trim() });
    test.reset();
    void qc.invalidateQueries();
  };
  return (
    <Card title="API key" labelId="apikey-title">
      <p className="muted small">
        Needed when the server runs with <code>--api-key</code>. Stored in this browser only (localStorage) and sent as
        <code> Authorization: Bearer</code> to this server.
      </p>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          save(draft);
        }}
      >
        <label className="field grow">
          <span>Key</span>
          <input type={show ? 'text' : 'password'} value={draft} onChange={(e) => setDraft(e.target.value)} autoComplete="off" spellCheck={false} aria-label="API key" />
        </label>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setShow(!show)} aria-pressed={show}>
          {show ? 'Hide' : 'Show'}
        </button>
        <button type="submit" className="btn btn-primary" disabled={draft.trim() === apiKey}>Save</button>
        <button type="button" className="btn" disabled={!apiKey} onClick={() => save('')}>Forget</button>
        <button type="button" className="btn" onClick={() => test.mutate()}>Test</button>
      </form>
      {test.isSuccess && <p role="status" className="ok-text">The server accepted the key ({test.data.data.length} model(s) visible).</p>}
      {test.error && <ErrorNotice error={test.error} what="/v1/models" />}
    </Card>
  );
}

function ThemeCard() {
  const { theme } = useSettings();
  const choices: ThemeChoice[] = ['system', 'light', 'dark'];
  return (
    <Card title="Theme" labelId="theme-title">
      <fieldset className="radios">
        <legend className="sr-only">Theme</legend>
        {choices.map((c) => (
          <label key={c} className="check">
            <input type="radio" name="theme" value={c} checked={theme === c} onChange={() => updateSettings({ theme: c })} /> {c}
          </label>
        ))}
      </fieldset>
    </Card>
  );
}

function CacheModelForm({ s }: { s: CacheSettings }) {
  const qc = useQueryClient();
  const [enabled, setEnabled] = useState(s.enabled);
  const [budgetMiB, setBudgetMiB] = useState(Number((s.memory_budget_bytes / 2 ** 20).toFixed(2)));
  const [budgetChanged, setBudgetChanged] = useState(false); // the shown MiB are rounded: send only a new value
  const [pins, setPins] = useState(s.max_pinned_conversations);
  const save = useMutation({
    mutationFn: () =>
      endpoints.updateCacheSettings({
        model: s.model,
        enabled,
        ...(budgetChanged ? { memory_budget_bytes: Math.round(budgetMiB * 2 ** 20) } : {}),
        max_pinned_conversations: pins,
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.cacheSettings });
      void qc.invalidateQueries({ queryKey: keys.cacheStatus });
    },
  });
  const clear = useMutation({
    mutationFn: () => endpoints.clearCache(s.model),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.cacheStatus }),
  });
  return (
    <form
      className="cache-form"
      aria-label={`Cache settings of ${s.model}`}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h3>{s.model}</h3>
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Prefix cache enabled
      </label>
      <label className="field">
        <span>Memory budget (MiB, 0 = automatic)</span>
        <input
          type="number"
          min={0}
          step="any"
          value={budgetMiB}
          onChange={(e) => {
            setBudgetMiB(Math.max(0, Number(e.target.value) || 0));
            setBudgetChanged(true);
          }}
        />
      </label>
      <label className="field">
        <span>Pinned conversations</span>
        <input type="number" min={0} max={100000} value={pins} onChange={(e) => setPins(Math.max(0, Number(e.target.value) || 0))} />
      </label>
      <div className="toolbar">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>Save</button>
        <button type="button" className="btn" disabled={clear.isPending} onClick={() => clear.mutate()}>Clear cache</button>
      </div>
      {save.isSuccess && <p role="status" className="ok-text">Saved.</p>}
      {clear.isSuccess && <p role="status" className="ok-text">Cache cleared.</p>}
      {save.error && <ErrorNotice error={save.error} what="the cache settings" />}
      {clear.error && <ErrorNotice error={clear.error} what="the cache" />}
    </form>
  );
}

function CacheCard() {
  const status = useCacheStatus();
  const settings = useCacheSettings();
  const st = status.data;
  return (
    <Card title="Prefix cache" labelId="cache-title" className="wide">
      {status.error && <ErrorNotice error={status.error} what="the cache status" />}
      {st && (
        <KeyValues
          items={[
            ['Hit rate', formatPercent(st.hit_rate * 100, 1)],
            ['Prompt tokens reused', `${st.prompt_tokens_reused.toLocaleString()} of ${(st.prompt_tokens_reused + st.prompt_tokens_computed).toLocaleString()}`],
            ['Blocks', `${st.blocks_used} used · ${st.blocks_cached} cached · ${st.blocks_total} total`],
            ['Memory', `${formatBytes(st.memory_used_bytes)} of ${formatBytes(st.memory_max_bytes)}`],
            ['Pinned conversations', String(st.entries.length)],
          ]}
        />
      )}
      {settings.isLoading && <Loading what="cache settings" />}
      {settings.error && <ErrorNotice error={settings.error} what="the cache settings" />}
      <div className="cache-forms">
        {settings.data?.settings.map((s) => (
          <CacheModelForm key={`${s.model}:${s.enabled}:${s.memory_budget_bytes}:${s.max_pinned_conversations}`} s={s} />
        ))}
      </div>
    </Card>
  );
}

const MODES: { mode: PerformanceMode; text: string }[] = [
  { mode: 'efficiency', text: 'Fewer threads and smaller batches: cooler and quieter.' },
  { mode: 'balanced', text: 'The default.' },
  { mode: 'performance', text: 'Every core and the largest batches.' },
];

function PerformanceCard() {
  const qc = useQueryClient();
  const opt = useOptimization();
  const [result, setResult] = useState<PerformanceModeResponse | null>(null);
  const set = useMutation({
    mutationFn: endpoints.setPerformanceMode,
    onSuccess: (r) => {
      setResult(r);
      void qc.invalidateQueries({ queryKey: keys.optimization });
    },
  });
  const current = result?.mode ?? opt.data?.current_performance_mode ?? opt.data?.performance_mode;
  const unavailable = opt.error instanceof ApiError && opt.error.unavailable;
  const settings = result?.settings ?? opt.data?.settings;
  const changed = result?.changed ?? (result?.changes ? Object.entries(result.changes).map(([k, v]) => ({ setting: k, before: '', after: String(v) })) : null);
  return (
    <Card title="Performance mode" labelId="perf-title">
      {opt.error && <ErrorNotice error={opt.error} what="the performance mode" />}
      <fieldset className="radios" disabled={set.isPending || unavailable}>
        <legend className="sr-only">Performance mode</legend>
        {MODES.map((m) => (
          <label key={m.mode} className="check">
            <input type="radio" name="perf-mode" value={m.mode} checked={current === m.mode} onChange={() => set.mutate(m.mode)} />{' '}
            <strong>{m.mode}</strong> <span className="muted small">{m.text}</span>
          </label>
        ))}
      </fieldset>
      {set.error && <ErrorNotice error={set.error} what="the performance mode change" />}
      {result && changed && (
        <div role="status" data-testid="perf-changes">
          {changed.length === 0 ? (
            <p>Mode set to <strong>{result.mode}</strong>; nothing needed to change.</p>
          ) : (
            <>
              <p>Mode set to <strong>{result.mode}</strong>. What changed:</p>
              <ul className="plain-list small">
                {changed.map((c) => (
                  <li key={c.setting}>
                    <code>{c.setting}</code>: {c.before !== '' ? <>{String(c.before)} → </> : null}<strong>{String(c.after)}</strong>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {settings && Object.keys(settings).length > 0 && (
        <details>
          <summary className="small">Settings in effect</summary>
          <KeyValues items={Object.entries(settings).map(([k, v]) => [k, String(v)])} />
        </details>
      )}
    </Card>
  );
}

export default function SettingsPage() {
  return (
    <div className="page">
      <h1>Settings</h1>
      <div className="grid">
        <ApiKeyCard />
        <ThemeCard />
        <PerformanceCard />
        <CacheCard />
      </div>
    </div>
  );
}
