// The live-connection indicator in the header: a dot and a word for the
// WebSocket state, the seconds until the next automatic reconnect, and a
// button to retry at once.
import { useEffect, useState } from 'react';
import { useLive } from '../live/LiveContext';

export function ConnectionIndicator() {
  const { connection, socket } = useLive();
  const [, setTick] = useState(0); // re-renders the countdown
  useEffect(() => {
    if (connection.state !== 'reconnecting') return;
    const t = setInterval(() => setTick((n) => n + 1), 500);
    return () => clearInterval(t);
  }, [connection.state]);
  const now = Date.now();
  const wait = connection.nextRetryAt ? Math.max(0, Math.ceil((connection.nextRetryAt - now) / 1000)) : null;
  const text = {
    open: 'Live',
    connecting: 'Connecting…',
    reconnecting: wait ? `Reconnecting in ${wait} s` : 'Reconnecting…',
    closed: 'Offline',
  }[connection.state];
  return (
    <div className={`conn conn-${connection.state}`} role="status" aria-live="polite" data-testid="connection">
      <span className="conn-dot" aria-hidden="true" />
      <span className="conn-text" title={connection.lastError ?? undefined}>
        {text}
      </span>
      {connection.state === 'reconnecting' && (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => socket.retryNow()}>
          Retry now
        </button>
      )}
    </div>
  );
}
