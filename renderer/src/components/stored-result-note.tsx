// The mark on a panel drawn from a result stored in an earlier session, while its dataset loads: the
// numbers are those of the very same file version (the host validated it on this open), and the mark
// says the app is still getting ready (the load's progress in its tooltip) until the load answers.
import type { Dataset } from '../../../dashboards/schema';
import { useStore } from '../store';
import { loadProgressText } from '../load-progress';
import './stored-result-note.css';

/** "Updating…" in the head of a panel shown from stored results; the load's progress in its tooltip. */
export function StoredResultNote({ dataset }: { dataset: Dataset | undefined }) {
  const datasetState = useStore((s) => (dataset ? s.datasets[dataset.name] : undefined));
  const name = dataset?.label ?? dataset?.name;
  const progress = datasetState?.status === 'loading' ? datasetState.progress : undefined;
  return (
    <div
      className="stored-result-note"
      role="status"
      data-testid="panel-updating"
      title={`Shown from the last session: the data file is unchanged since. ${progress && name ? loadProgressText(name, progress) : 'Loading the data again…'}`}
    >
      Updating…
    </div>
  );
}
