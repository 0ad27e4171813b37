// `impetus run` driven in tmux like a person at a terminal: a two-turn chat,
// then /exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { impetusBin, storiesModel } from './server.js';

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
const tmux = (...args) => execFileSync('tmux', args, { encoding: 'utf8' });

const screenOf = (session) => tmux('capture-pane', '-p', '-t', session, '-S', '-200').trimEnd();

async function waitFor(session, ok, what, ms = 20000) {
  const end = Date.now() + ms;
  let screen = '';
  while (Date.now() < end) {
    screen = screenOf(session);
    if (ok(screen)) return screen;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
}

// The screen ends with an empty prompt after `n` user turns.
const promptsAfter = (n) => (s) => s.split('\n').filter((l) => l.startsWith('>')).length === n + 1 &&
  /\n>$/.test(s);

test('two-turn chat in a terminal', async () => {
  const session = 'impetus-run-' + process.pid;
  tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50',
    `${impetusBin} run ${storiesModel} --temp 0 -n 24 -t 2; echo EXITED-$?; sleep 30`);
  try {
    await waitFor(session, promptsAfter(0), 'the first prompt');
    tmux('send-keys', '-t', session, 'Once upon a time', 'Enter');
    await waitFor(session, promptsAfter(1), 'the first answer');
    tmux('send-keys', '-t', session, 'Tell me more', 'Enter');
    const screen = await waitFor(session, promptsAfter(2), 'the second answer');
    const lines = screen.split('\n');
    const first = lines.findIndex((l) => l === '> Once upon a time');
    const second = lines.findIndex((l) => l === '> Tell me more');
    assert.ok(first >= 0 && second > first + 1, screen);  // an answer between the turns
    assert.ok(lines.slice(second + 1, -1).join('').trim().length > 0, screen);  // and after the second
    tmux('send-keys', '-t', session, '/exit', 'Enter');
    await waitFor(session, (s) => s.includes('EXITED-0'), 'the exit');
  } finally {
    try { tmux('kill-session', '-t', session); } catch { /* already gone */ }
  }
});

test('Ctrl-C stops the current answer, not the program', async () => {
  const session = 'impetus-run-ctrlc-' + process.pid;
  tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50',
    `${impetusBin} run ${storiesModel} --temp 0.8 -c 2048 -t 2; echo EXITED-$?; sleep 30`);
  try {
    await waitFor(session, promptsAfter(0), 'the first prompt');
    tmux('send-keys', '-t', session, 'Once upon a time', 'Enter');
    await waitFor(session, (s) => s.split('\n').length > 3, 'the answer to start');
    tmux('send-keys', '-t', session, 'C-c');
    await waitFor(session, (s) => s.includes('[stopped]') && promptsAfter(1)(s), 'the answer to stop');
    tmux('send-keys', '-t', session, '/exit', 'Enter');
    await waitFor(session, (s) => s.includes('EXITED-0'), 'the exit');
  } finally {
    try { tmux('kill-session', '-t', session); } catch { /* already gone */ }
  }
});
