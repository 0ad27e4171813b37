// Chat: pick a model, set the sampling parameters and a system prompt, and
// talk. Replies stream in as Markdown (code highlighted, copy buttons); Stop
// (or Escape) ends a reply early; each reply shows its speed and how much of
// the prompt came from the server's prefix cache.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useInstalledModels, useOpenAIModels } from '../api/queries';
import { modelState } from '../lib/normalize';
import { useChat, type ChatTurn } from '../chat/ChatContext';
import { CopyButton } from '../components/CopyButton';
import { ErrorNotice } from '../components/ErrorNotice';
import { Markdown } from '../components/Markdown';
import { formatMs, formatRate } from '../lib/format';

export function replyStatsText(t: ChatTurn): string | null {
  const s = t.stats;
  if (!s) return null;
  const parts: string[] = [];
  const gen = s.usage?.completion_tokens;
  if (gen !== undefined) parts.push(`${gen} tokens`);
  if (gen && s.ttftMs !== null && s.elapsedMs > s.ttftMs) {
    parts.push(formatRate((gen - 1) / ((s.elapsedMs - s.ttftMs) / 1000)));
  }
  if (s.ttftMs !== null) parts.push(`first token ${formatMs(s.ttftMs)}`);
  if (s.finishReason === 'length') parts.push('cut at max tokens');
  return parts.join(' · ');
}

export function CacheHit({ t }: { t: ChatTurn }) {
  const u = t.stats?.usage;
  if (!u) return null;
  const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
  if (cached <= 0) return <span className="badge badge-idle" title="No prompt tokens came from the prefix cache">cache miss</span>;
  return (
    <span className="badge badge-ok" data-testid="cache-hit" title="Prompt tokens reused from the prefix cache">
      cache hit: {cached} of {u.prompt_tokens} prompt tokens
    </span>
  );
}

function Turn({ t }: { t: ChatTurn }) {
  const stats = replyStatsText(t);
  return (
    <article className={`turn turn-${t.role}`} aria-label={t.role === 'user' ? 'You' : 'Assistant'} data-status={t.status}>
      <header className="turn-head">
        <span className="turn-role">{t.role === 'user' ? 'You' : t.model || 'Assistant'}</span>
        {t.status === 'streaming' && <span className="badge badge-busy">streaming</span>}
        {t.status === 'stopped' && <span className="badge badge-idle">stopped</span>}
        {t.content && t.status !== 'streaming' && <CopyButton text={t.content} label={`Copy ${t.role === 'user' ? 'message' : 'reply'}`} />}
      </header>
      {t.role === 'user' ? <p className="user-text">{t.content}</p> : <Markdown text={t.content || (t.status === 'streaming' ? '…' : '')} />}
      {t.status === 'error' && <ErrorNotice error={new Error(t.error)} what="a reply" />}
      {t.role === 'assistant' && t.stats && (
        <footer className="turn-stats muted small">
          {stats} <CacheHit t={t} />
        </footer>
      )}
    </article>
  );
}

function Controls() {
  const { params, setParams, reset, streaming, turns } = useChat();
  const models = useOpenAIModels();
  const installed = useInstalledModels();
  const served = models.data?.data.map((m) => m.id) ?? [];
  // Installed models that are not loaded are listed too: the server loads one on first use.
  const idle = (installed.data?.models ?? []).filter((m) => modelState(m) !== 'loaded' && !served.includes(m.id)).map((m) => m.id);
  const ids = [...served, ...idle];
  const base = useId();
  useEffect(() => {
    if (ids.length && !ids.includes(params.model)) setParams({ model: ids[0] });
  }, [ids.join('|'), params.model, setParams]);
  return (
    <aside className="chat-controls card" aria-label="Chat settings">
      <label className="field">
        <span>Model</span>
        <select value={params.model} onChange={(e) => setParams({ model: e.target.value })} aria-label="Model">
          {ids.length === 0 && <option value="">(no model)</option>}
          {served.map((id) => (
            <option key={id} value={id}>{id}</option>
          ))}
          {idle.map((id) => (
            <option key={id} value={id}>{id} (loads on first message)</option>
          ))}
        </select>
      </label>
      {models.error && <ErrorNotice error={models.error} what="the models" />}
      <label className="field" htmlFor={`${base}-t`}>
        <span>Temperature <output>{params.temperature.toFixed(2)}</output></span>
        <input id={`${base}-t`} type="range" min={0} max={2} step={0.05} value={params.temperature} onChange={(e) => setParams({ temperature: Number(e.target.value) })} />
      </label>
      <label className="field" htmlFor={`${base}-p`}>
        <span>Top-p <output>{params.topP.toFixed(2)}</output></span>
        <input id={`${base}-p`} type="range" min={0.05} max={1} step={0.05} value={params.topP} onChange={(e) => setParams({ topP: Number(e.target.value) })} />
      </label>
      <label className="field">
        <span>Max tokens</span>
        <input type="number" min={1} max={32768} value={params.maxTokens} onChange={(e) => setParams({ maxTokens: Math.max(1, Number(e.target.value) || 1) })} />
      </label>
      <label className="field">
        <span>System prompt</span>
        <textarea rows={4} value={params.systemPrompt} onChange={(e) => setParams({ systemPrompt: e.target.value })} placeholder="You are a helpful assistant." />
      </label>
      <button type="button" className="btn" onClick={reset} disabled={turns.length === 0 && !streaming}>
        New conversation
      </button>
    </aside>
  );
}

export default function ChatPage() {
  const { turns, streaming, send, stop, params } = useChat();
  const [text, setText] = useState('');
  const log = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const el = log.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [turns]);

  const submit = () => {
    if (!text.trim() || streaming || !params.model) return;
    void send(text);
    setText('');
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && streaming) {
      e.preventDefault();
      stop();
    }
  };
  return (
    <div className="page chat-page">
      <h1>Chat</h1>
      <div className="chat-layout">
        <Controls />
        <section className="chat-main card" aria-label="Conversation">
          <div className="transcript" ref={log} role="log" aria-live="off" aria-label="Transcript">
            {turns.length === 0 && <p className="muted">Ask something. Enter sends, Shift+Enter adds a line, Escape stops a reply.</p>}
            {turns.map((t) => (
              <Turn key={t.id} t={t} />
            ))}
          </div>
          <p className="sr-only" role="status" aria-live="polite">
            {streaming ? 'The assistant is replying.' : turns.length ? 'Reply finished.' : ''}
          </p>
          <form
            className="composer"
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            <label htmlFor="chat-input" className="sr-only">Message</label>
            <textarea id="chat-input" ref={input} rows={3} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} placeholder={params.model ? `Message ${params.model}` : 'No model available'} />
            {streaming ? (
              <button type="button" className="btn btn-danger" onClick={stop}>Stop</button>
            ) : (
              <button type="submit" className="btn btn-primary" disabled={!text.trim() || !params.model}>Send</button>
            )}
          </form>
        </section>
      </div>
    </div>
  );
}
