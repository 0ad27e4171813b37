// The model catalog: search, category filters, what fits this machine, and a
// download button per entry (optionally loading the model when done).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { endpoints } from '../api/endpoints';
import { keys, useDiscover, useRecommended } from '../api/queries';
import { MODEL_CATEGORIES, type CatalogModel } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Badge, Card, Loading } from '../components/ui';
import { formatGB, formatRate } from '../lib/format';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function hardwareText(h: unknown): string | null {
  if (!h) return null;
  if (typeof h === 'string') return h;
  if (typeof h !== 'object') return null;
  const o = h as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const gpus = Array.isArray(o.gpus) ? (o.gpus as { name?: string }[]).map((g) => g.name).filter(Boolean) : [];
  const bw = n(o.memory_bandwidth_gbps);
  const mem = n(o.total_memory_gb);
  const parts = [
    o.cpu_model ?? o.cpu ?? o.chip_type,
    gpus.length ? gpus.join(', ') : null,
    mem !== null ? `${mem.toFixed(0)} GB memory` : null,
    bw ? `${bw.toFixed(0)} GB/s` : null,
  ].filter((x) => typeof x === 'string' && x);
  return parts.length ? parts.join(' · ') : null;
}

function CatalogEntry({ m, autoLoad }: { m: CatalogModel; autoLoad: boolean }) {
  const qc = useQueryClient();
  const [quant, setQuant] = useState(m.quantization);
  const file = m.files?.find((f) => f.quantization === quant);
  const dl = useMutation({
    mutationFn: () => endpoints.startDownload({ model_id: m.id, quantization: quant || undefined, auto_load: autoLoad }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.downloads }),
  });
  const titleId = useId();
  const sizeGb = file ? file.size_gb : m.size_gb;
  // The estimate is for the listed file; scale it by size for another quantization (decode reads every weight).
  const tps = m.estimated_tokens_per_sec && file && m.size_gb ? (m.estimated_tokens_per_sec * m.size_gb) / file.size_gb : m.estimated_tokens_per_sec;
  return (
    <li className="catalog-entry" aria-labelledby={titleId} data-testid={`catalog-${m.id}`}>
      <div className="catalog-head">
        <h3 id={titleId}>{m.name}</h3>
        <Badge state="idle">{m.category}</Badge>
        {m.installed && <Badge state="ok">installed</Badge>}
      </div>
      {m.description && <p className="small">{m.description}</p>}
      <dl className="facts">
        <div><dt>Size</dt><dd>{formatGB(sizeGb, 2)}</dd></div>
        {m.parameters ? <div><dt>Params</dt><dd>{m.parameters}</dd></div> : null}
        {m.context_length ? <div><dt>Context</dt><dd>{m.context_length.toLocaleString()}</dd></div> : null}
        {m.min_memory_gb ? <div><dt>Needs</dt><dd>{formatGB(m.min_memory_gb)}</dd></div> : null}
        <div>
          <dt>Speed here</dt>
          <dd title={m.estimate?.basis}>{tps ? `≈ ${formatRate(tps)}` : '—'}{m.estimate?.fits_in_memory === false ? ' (does not fit)' : ''}</dd>
        </div>
      </dl>
      {(m.features?.length || m.recommended_for?.length) ? (
        <p className="features">
          {[...(m.recommended_for ?? []), ...(m.features ?? [])].slice(0, 6).map((f) => (
            <span key={f} className="chip">{f}</span>
          ))}
        </p>
      ) : null}
      <div className="catalog-actions">
        {m.files && m.files.length > 1 ? (
          <select value={quant} onChange={(e) => setQuant(e.target.value)} aria-label={`Quantization of ${m.name}`}>
            {m.files.map((f) => (
              <option key={f.quantization} value={f.quantization}>
                {f.quantization} · {formatGB(f.size_gb, 2)}
              </option>
            ))}
          </select>
        ) : (
          <span className="muted small">{m.quantization}</span>
        )}
        <button type="button" className="btn btn-small btn-primary" disabled={dl.isPending} onClick={() => dl.mutate()} aria-label={`Download ${m.name}`}>
          {dl.isPending ? 'Starting…' : dl.isSuccess ? 'Download started' : 'Download'}
        </button>
      </div>
      {dl.error && <ErrorNotice error={dl.error} what={`the download of ${m.name}`} />}
    </li>
  );
}

function Recommended() {
  const { data, error } = useRecommended();
  const list = data?.recommendations ?? data?.models ?? [];
  if (error || list.length === 0) return null;
  return (
    <p className="small">
      <strong>Recommended for this machine:</strong>{' '}
      {list.slice(0, 5).map((m, i) => (
        <span key={m.id}>
          {i > 0 && ', '}
          {m.name} ({formatGB(m.size_gb, 1)}{m.estimated_tokens_per_sec ? `, ≈ ${formatRate(m.estimated_tokens_per_sec)}` : ''})
        </span>
      ))}
    </p>
  );
}

export function Catalog() {
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  const [autoLoad, setAutoLoad] = useState(true);
  const q = useDebounced(search.trim(), 300);
  const { data, error, isLoading, refetch } = useDiscover(category, q);
  const models = data?.models ?? [];
  const hw = hardwareText(data?.hardware);
  return (
    <Card title="Catalog" labelId="catalog-title" className="wide">
      <div className="toolbar">
        <label className="field">
          <span>Search</span>
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="qwen, llama, coder…" aria-label="Search the catalog" />
        </label>
        <div role="group" aria-label="Category" className="segmented">
          {['', ...MODEL_CATEGORIES].map((c) => (
            <button key={c || 'all'} type="button" className="btn btn-small" aria-pressed={category === c} onClick={() => setCategory(c)}>
              {c || 'all'}
            </button>
          ))}
        </div>
        <label className="check">
          <input type="checkbox" checked={autoLoad} onChange={(e) => setAutoLoad(e.target.checked)} /> Load when downloaded
        </label>
      </div>
      <Recommended />
      {hw && <p className="muted small">Speed estimates for: {hw}</p>}
      {isLoading && <Loading what="the catalog" />}
      {error && <ErrorNotice error={error} what="the catalog (/api/models/discover)" onRetry={() => void refetch()} />}
      {data && models.length === 0 && <p className="muted">No model matches.</p>}
      <ul className="catalog" aria-label="Catalog models">
        {models.map((m) => (
          <CatalogEntry key={`${m.id}:${m.quantization}`} m={m} autoLoad={autoLoad} />
        ))}
      </ul>
    </Card>
  );
}
