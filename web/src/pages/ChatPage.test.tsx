import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { chunk, mockFetch, renderApp, sseResponse, type FetchCall } from '../test/helpers';
import ChatPage from './ChatPage';

const models = { object: 'list', data: [{ id: 'stories260K', object: 'model', created: 1, owned_by: 'impetus' }, { id: 'tiny', object: 'model', created: 1, owned_by: 'impetus' }] };

describe('ChatPage', () => {
  it('streams a Markdown reply, shows its stats and cache use, and keeps the conversation', async () => {
    const bodies: FetchCall['body'][] = [];
    let turn = 0;
    mockFetch({
      'GET /v1/models': () => models,
      'POST /v1/chat/completions': (call) => {
        bodies.push(call.body);
        turn++;
        const s = sseResponse(call.signal);
        if (turn === 1) {
          s.push(chunk('Here is code:\n\n```js\nconst '));
          s.push(chunk('x = 1;\n```\n'));
          s.push(chunk(null, 'stop'));
          s.push(chunk(null, null, { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29, prompt_tokens_details: { cached_tokens: 0 } }));
        } else {
          s.push(chunk('Sure.'));
          s.push(chunk(null, 'stop'));
          s.push(chunk(null, null, { prompt_tokens: 40, completion_tokens: 2, total_tokens: 42, prompt_tokens_details: { cached_tokens: 28 } }));
        }
        s.push('[DONE]');
        s.end();
        return s.response;
      },
    });
    const user = userEvent.setup();
    renderApp(<ChatPage />);
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Model' })).toHaveValue('stories260K'));
    await user.type(screen.getByRole('textbox', { name: 'System prompt' }), 'Be brief.');
    const input = screen.getByRole('textbox', { name: 'Message' });
    await user.type(input, 'Show code{Enter}');
    const reply = await screen.findByRole('article', { name: 'Assistant' });
    await waitFor(() => expect(reply).toHaveAttribute('data-status', 'done'));
    expect(within(reply).getByText('const').className).toContain('hljs-keyword');
    expect(within(reply).getByRole('button', { name: 'Copy js code' })).toBeInTheDocument();
    expect(within(reply).getByRole('button', { name: 'Copy reply' })).toBeInTheDocument();
    expect(reply).toHaveTextContent('9 tokens');
    expect(reply).toHaveTextContent('cache miss');
    expect(bodies[0]).toMatchObject({
      model: 'stories260K',
      stream: true,
      temperature: 0.7,
      top_p: 0.95,
      max_tokens: 512,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Show code' }],
    });
    const conv = (bodies[0] as { conversation_id: string }).conversation_id;
    expect(conv).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(input).toHaveValue('');

    await user.type(input, 'Again{Enter}');
    await waitFor(() => expect(screen.getByTestId('cache-hit')).toHaveTextContent('cache hit: 28 of 40 prompt tokens'));
    const second = bodies[1] as { messages: { role: string; content: string }[]; conversation_id: string };
    expect(second.conversation_id).toBe(conv);
    expect(second.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(second.messages[2].content).toBe('Here is code:\n\n```js\nconst x = 1;\n```\n');

    // A new conversation starts empty, with a new id.
    await user.click(screen.getByRole('button', { name: 'New conversation' }));
    expect(screen.queryAllByRole('article')).toHaveLength(0);
  });

  it('stops a reply with the Stop button and with Escape, keeping what arrived', async () => {
    mockFetch({
      'GET /v1/models': () => models,
      'POST /v1/chat/completions': (call) => {
        const s = sseResponse(call.signal);
        s.push(chunk('Once upon a time'));
        return s.response; // never ends by itself
      },
    });
    const user = userEvent.setup();
    renderApp(<ChatPage />);
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Model' })).toHaveValue('stories260K'));
    const input = screen.getByRole('textbox', { name: 'Message' });
    await user.type(input, 'Tell a story{Enter}');
    const reply = await screen.findByRole('article', { name: 'Assistant' });
    await waitFor(() => expect(reply).toHaveTextContent('Once upon a time'));
    expect(reply).toHaveAttribute('data-status', 'streaming');
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    await waitFor(() => expect(reply).toHaveAttribute('data-status', 'stopped'));
    expect(reply).toHaveTextContent('Once upon a time');
    expect(screen.getByRole('button', { name: 'Send' })).toBeInTheDocument();

    await user.type(input, 'More{Enter}');
    const replies = await screen.findAllByRole('article', { name: 'Assistant' });
    await waitFor(() => expect(replies[1]).toHaveAttribute('data-status', 'streaming'));
    await user.type(input, '{Escape}');
    await waitFor(() => expect(replies[1]).toHaveAttribute('data-status', 'stopped'));
  });

  it('shows the server message when a reply is refused', async () => {
    mockFetch({
      'GET /v1/models': () => models,
      'POST /v1/chat/completions': () =>
        new Response(JSON.stringify({ error: { message: "'temperature' must be between 0 and 2", param: 'temperature' } }), { status: 400 }),
    });
    const user = userEvent.setup();
    renderApp(<ChatPage />);
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Model' })).toHaveValue('stories260K'));
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'hi{Enter}');
    expect(await screen.findByText("'temperature' must be between 0 and 2")).toBeInTheDocument();
  });
});
