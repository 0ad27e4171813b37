// The chat conversation and its controls, kept above the routes so a reply
// keeps streaming (and the conversation stays) while the user looks at
// another page. send() streams the assistant's reply into the transcript;
// stop() aborts it and keeps what arrived. Each conversation has its own
// conversation_id so the server keeps its prompt in the prefix cache, and
// every reply records the usage, including how many prompt tokens the cache
// supplied.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { streamChat } from '../api/sse';
import type { ChatMessageParam, Usage } from '../api/types';

export interface ChatParams {
  model: string;
  temperature: number;
  topP: number;
  maxTokens: number;
  systemPrompt: string;
}

export interface ReplyStats {
  usage: Usage | null;
  ttftMs: number | null;
  elapsedMs: number;
  finishReason: string | null;
}

export interface ChatTurn {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: 'streaming' | 'done' | 'stopped' | 'error';
  error?: string;
  stats?: ReplyStats;
  model?: string;
}

export interface ChatValue {
  turns: ChatTurn[];
  params: ChatParams;
  streaming: boolean;
  conversationId: string;
  setParams: (p: Partial<ChatParams>) => void;
  send: (text: string) => Promise<void>;
  stop: () => void;
  reset: () => void;
}

export const DEFAULT_PARAMS: ChatParams = { model: '', temperature: 0.7, topP: 0.95, maxTokens: 512, systemPrompt: '' };

export function makeId(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) {
    try {
      return c.randomUUID();
    } catch {
      /* not a secure context */
    }
  }
  const b = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// The messages sent for the next reply: the system prompt, then every turn
// that has text (failed replies are left out), then the new user message.
export function buildMessages(systemPrompt: string, turns: ChatTurn[], userText: string): ChatMessageParam[] {
  const out: ChatMessageParam[] = [];
  if (systemPrompt.trim()) out.push({ role: 'system', content: systemPrompt });
  for (const t of turns) {
    if (t.status === 'error' || !t.content) continue;
    out.push({ role: t.role, content: t.content });
  }
  out.push({ role: 'user', content: userText });
  return out;
}

const ChatContext = createContext<ChatValue | null>(null);

export function ChatProvider({ children }: { children: ReactNode }) {
  const [turns, setTurns] = useState<ChatTurn[]>([]);
  const [params, setParamsState] = useState<ChatParams>(DEFAULT_PARAMS);
  const [streaming, setStreaming] = useState(false);
  const [conversationId, setConversationId] = useState(makeId);
  const abort = useRef<AbortController | null>(null);
  const turnsRef = useRef(turns);
  turnsRef.current = turns;

  const update = (id: string, patch: Partial<ChatTurn>) =>
    setTurns((ts) => ts.map((t) => (t.id === id ? { ...t, ...patch } : t)));

  const send = useCallback(
    async (text: string) => {
      if (!text.trim() || abort.current) return;
      const messages = buildMessages(params.systemPrompt, turnsRef.current, text);
      const user: ChatTurn = { id: makeId(), role: 'user', content: text, status: 'done' };
      const reply: ChatTurn = { id: makeId(), role: 'assistant', content: '', status: 'streaming', model: params.model };
      setTurns((ts) => [...ts, user, reply]);
      const ctl = new AbortController();
      abort.current = ctl;
      setStreaming(true);
      try {
        const r = await streamChat(
          {
            model: params.model,
            messages,
            temperature: params.temperature,
            top_p: params.topP,
            max_tokens: params.maxTokens,
            conversation_id: conversationId,
          },
          { signal: ctl.signal, onDelta: (_piece, all) => update(reply.id, { content: all }) },
        );
        update(reply.id, {
          content: r.text,
          status: r.stopped ? 'stopped' : 'done',
          stats: { usage: r.usage, ttftMs: r.ttftMs, elapsedMs: r.elapsedMs, finishReason: r.finishReason },
        });
      } catch (e) {
        update(reply.id, { status: 'error', error: (e as Error).message });
      } finally {
        abort.current = null;
        setStreaming(false);
      }
    },
    [params, conversationId],
  );

  const stop = useCallback(() => abort.current?.abort(), []);

  const reset = useCallback(() => {
    abort.current?.abort();
    setTurns([]);
    setConversationId(makeId());
  }, []);

  const setParams = useCallback((p: Partial<ChatParams>) => setParamsState((old) => ({ ...old, ...p })), []);

  const value = useMemo(
    () => ({ turns, params, streaming, conversationId, setParams, send, stop, reset }),
    [turns, params, streaming, conversationId, setParams, send, stop, reset],
  );
  return <ChatContext.Provider value={value}>{children}</ChatContext.Provider>;
}

export function useChat(): ChatValue {
  const v = useContext(ChatContext);
  if (!v) throw new Error('useChat() outside <ChatProvider>');
  return v;
}
