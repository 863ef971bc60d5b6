// The theme override in the top bar: follow the system, or always light, or always dark.
import { setThemeChoice, useThemeChoice, type ThemeChoice } from '../theme';

export function ThemeSwitch() {
  const choice = useThemeChoice();
  return (
    <select className="theme-switch" aria-label="Theme" value={choice} onChange={(e) => setThemeChoice(e.target.value as ThemeChoice)} title="Light or dark">
      <option value="system">◐ System</option>
      <option value="light">☀ Light</option>
      <option value="dark">☾ Dark</option>
    </select>
  );
}
