// Shows a failed request with the server's own message, and what to do:
// set the API key (401), or that this server lacks the feature (no route).
import { Link } from 'react-router';
import { ApiError } from '../api/client';

interface Props {
  error: unknown;
  what?: string; // "hardware information", "the catalog", ...
  onRetry?: () => void;
}

export function ErrorNotice({ error, what, onRetry }: Props) {
  const e = error instanceof ApiError ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  let hint: React.ReactNode = null;
  if (e?.unauthorized) {
    hint = (
      <>
        This server needs an API key: set it in <Link to="/settings">Settings</Link>.
      </>
    );
  } else if (e?.unavailable) {
    hint = <>This server does not provide {what ?? e.path} (the route is missing in this build).</>;
  } else if (e?.status === 0) {
    hint = <>Is <code>impetus serve</code> running?</>;
  }
  return (
    <div className={`notice ${e?.unavailable ? 'notice-info' : 'notice-error'}`} role="alert">
      <p>
        <strong>{what ? `Could not load ${what}` : 'Request failed'}</strong>
        {e && e.status > 0 ? ` (HTTP ${e.status})` : ''}: <span className="server-message">{message}</span>
      </p>
      {hint && <p className="hint">{hint}</p>}
      {onRetry && !e?.unavailable && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
