// Models: the installed models (load / unload / warm up), the downloads in
// progress (live progress, speed, ETA, cancel) and the catalog (search,
// categories, sizes, speed estimates for this machine, download).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import { endpoints } from '../api/endpoints';
import { invalidateModels, keys, useDownloads, useInstalledModels, useOpenAIModels } from '../api/queries';
import type { DownloadTask, InstalledModel } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Badge, Card, Loading, ProgressBar } from '../components/ui';
import { formatBytes, formatDuration, formatGB, formatSpeed } from '../lib/format';
import { modelMemoryBytes, modelSizeBytes, modelState, progressFraction } from '../lib/normalize';
import { Catalog } from './Catalog';

type Action = 'load' | 'unload' | 'warmup';

function ModelRow({ m }: { m: InstalledModel }) {
  const qc = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const act = useMutation({
    mutationFn: async (a: Action) => {
      if (a === 'load') return endpoints.loadModel({ model_id: m.id });
      if (a === 'unload') return endpoints.unloadModel(m.id);
      return endpoints.warmupModel(m.id);
    },
    onSuccess: (res, a) => {
      const r = res as { message?: string; warmup_time_ms?: number | null; first_token_ms?: number | null } | undefined;
      let text = r?.message ?? null;
      if (a === 'warmup' && typeof r?.warmup_time_ms === 'number') {
        text = `Warmed up in ${r.warmup_time_ms.toFixed(0)} ms` +
          (typeof r.first_token_ms === 'number' ? ` (first token ${r.first_token_ms.toFixed(0)} ms)` : '');
      }
      setMessage(text);
      invalidateModels(qc);
    },
    onError: () => setMessage(null),
  });
  const state = act.isPending ? (act.variables === 'load' ? 'loading' : act.variables === 'unload' ? 'unloading' : modelState(m)) : modelState(m);
  const loaded = modelState(m) === 'loaded';
  const warmed = m.warmed_up ?? m.warmup?.is_warmed;
  const name = m.name ?? m.id;
  return (
    <tr data-testid={`model-row-${m.id}`}>
      <th scope="row">
        {name}
        {m.quantization && <span className="muted"> · {m.quantization}</span>}
        {act.error && <ErrorNotice error={act.error} what={`${act.variables} ${name}`} />}
        {message && <p className="muted small" role="status">{message}</p>}
      </th>
      <td>
        <Badge state={state} />
        {warmed && <> <Badge state="warmed">warm</Badge></>}
      </td>
      <td>{formatBytes(modelSizeBytes(m))}</td>
      <td>{loaded ? formatBytes(modelMemoryBytes(m)) : '—'}</td>
      <td>
        <div className="actions">
          {loaded ? (
            <>
              <button type="button" className="btn btn-small" disabled={act.isPending} onClick={() => act.mutate('unload')} aria-label={`Unload ${name}`}>
                Unload
              </button>
              <button type="button" className="btn btn-small btn-ghost" disabled={act.isPending} onClick={() => act.mutate('warmup')} aria-label={`Warm up ${name}`}>
                {act.isPending && act.variables === 'warmup' ? 'Warming…' : 'Warm up'}
              </button>
            </>
          ) : (
            <button type="button" className="btn btn-small btn-primary" disabled={act.isPending || state === 'loading'} onClick={() => act.mutate('load')} aria-label={`Load ${name}`}>
              {state === 'loading' ? 'Loading…' : 'Load'}
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}

function Installed() {
  const { data, error, isLoading, refetch } = useInstalledModels();
  const served = useOpenAIModels();
  const unavailable = error instanceof ApiError && error.unavailable;
  return (
    <Card title="Installed models" labelId="installed-title" className="wide">
      {isLoading && <Loading what="installed models" />}
      {error && <ErrorNotice error={error} what="the installed models (/api/models/list)" onRetry={() => void refetch()} />}
      {unavailable && served.data && (
        <>
          <p className="muted">Models this server serves (from /v1/models):</p>
          <ul className="plain-list">
            {served.data.data.map((m) => (
              <li key={m.id}>
                {m.id} <Badge state="loaded" />
              </li>
            ))}
          </ul>
        </>
      )}
      {data && data.models.length === 0 && <p className="muted">No models installed yet. Download one from the catalog below.</p>}
      {data && data.models.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">State</th>
              <th scope="col">Size</th>
              <th scope="col">Memory</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {data.models.map((m) => (
              <ModelRow key={m.id} m={m} />
            ))}
          </tbody>
        </table>
      )}
      {(data?.limits || data?.models_directory) && (
        <p className="muted small">
          {data.limits?.memory_budget_bytes ? `Memory: ${formatBytes(data.limits.memory_used_bytes ?? 0)} of ${formatBytes(data.limits.memory_budget_bytes)} · ` : ''}
          {data.limits?.max_loaded_models ? `at most ${data.limits.max_loaded_models} loaded${data.limits.evict_lru ? ' (least recently used unloaded first)' : ''} · ` : ''}
          Folder: <code>{data.limits?.models_dir ?? data.models_directory}</code>
        </p>
      )}
    </Card>
  );
}

const ACTIVE = new Set(['pending', 'queued', 'downloading', 'verifying', 'starting', 'running']);

export function downloadFraction(d: DownloadTask): number {
  if (d.status === 'completed') return 1;
  if (typeof d.total_gb === 'number' && d.total_gb > 0 && typeof d.downloaded_gb === 'number') {
    return Math.min(1, d.downloaded_gb / d.total_gb);
  }
  return progressFraction(d.progress);
}

function DownloadRow({ d }: { d: DownloadTask }) {
  const qc = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => endpoints.cancelDownload(d.task_id),
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.downloads }),
  });
  const active = ACTIVE.has(d.status);
  const frac = downloadFraction(d);
  return (
    <li className="download" data-testid={`download-${d.task_id}`}>
      <div className="download-head">
        <strong>{d.model_id}</strong> <Badge state={d.status} />
        <span className="muted small">
          {formatGB(d.downloaded_gb ?? null, 2)} of {formatGB(d.total_gb ?? null, 2)}
          {active && <> · {formatSpeed(d.speed_mbps)} · ETA {formatDuration(d.eta_seconds ?? null)}</>}
        </span>
        {active && (
          <button type="button" className="btn btn-small btn-ghost" disabled={cancel.isPending} onClick={() => cancel.mutate()} aria-label={`Cancel download of ${d.model_id}`}>
            Cancel
          </button>
        )}
      </div>
      <ProgressBar value={frac} label={`Download of ${d.model_id}: ${Math.round(frac * 100)}%`} />
      {d.error && <p className="error-text" role="alert">{d.error}</p>}
      {cancel.error && <ErrorNotice error={cancel.error} what="the cancellation" />}
    </li>
  );
}

function Downloads() {
  const [active, setActive] = useState(false);
  const { data, error } = useDownloads(active);
  const list = data?.downloads ?? [];
  const anyActive = list.some((d) => ACTIVE.has(d.status));
  useEffect(() => setActive(anyActive), [anyActive]);
  if (error instanceof ApiError && error.unavailable) {
    return (
      <Card title="Downloads" labelId="downloads-title">
        <ErrorNotice error={error} what="downloads" />
      </Card>
    );
  }
  return (
    <Card title="Downloads" labelId="downloads-title" className="wide">
      {error && <ErrorNotice error={error} what="downloads" />}
      {data && list.length === 0 && <p className="muted">No downloads.</p>}
      {list.length > 0 && (
        <ul className="plain-list downloads" aria-live="polite">
          {[...list].reverse().map((d) => (
            <DownloadRow key={d.task_id} d={d} />
          ))}
        </ul>
      )}
    </Card>
  );
}

export default function ModelsPage() {
  return (
    <div className="page">
      <h1>Models</h1>
      <div className="grid">
        <Installed />
        <Downloads />
        <Catalog />
      </div>
    </div>
  );
}
