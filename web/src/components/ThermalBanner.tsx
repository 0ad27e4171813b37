// The thermal banner: shown on a thermal_warning event (a device past its
// temperature threshold), until the machine reports a nominal state again or
// the banner is dismissed.
import { useLive } from '../live/LiveContext';

export function ThermalBanner() {
  const { thermal: w, dismissThermal } = useLive();
  if (!w) return null;
  const level = w.level ?? w.state ?? 'warning';
  const critical = level === 'critical';
  const device = w.device ? (w.device === 'cpu' ? 'CPU' : w.device.toUpperCase()) : null;
  const temp = typeof w.temperature_celsius === 'number' ? `${w.temperature_celsius.toFixed(0)} °C` : null;
  const limit = typeof w.threshold_celsius === 'number' ? `${w.threshold_celsius.toFixed(0)} °C` : null;
  const detail =
    w.message ??
    [device && temp ? `${device} at ${temp}` : temp, limit ? `threshold ${limit}` : null].filter(Boolean).join(', ');
  return (
    <div className={`banner ${critical ? 'banner-critical' : 'banner-warning'}`} role="alert" data-testid="thermal-banner">
      <strong>Thermal {level}.</strong> {detail}
      {critical && ' The server switches to efficiency mode.'}
      <button type="button" className="btn btn-small btn-ghost" onClick={dismissThermal} aria-label="Dismiss thermal warning">
        Dismiss
      </button>
    </div>
  );
}
