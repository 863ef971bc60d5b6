// What each panel kind can be exported as, and building the file for one export. No DOM here, so
// it runs under unit tests; the menu hands the result to ./download.
import type * as echarts from 'echarts/core';
import type { DataPanel, Dataset } from '../../../dashboards/schema';
import { datasetTable, type DatasetRunState, type QueryEngine } from '../../../queries/dashboard-runner';
import type { DatasetState, PanelState } from '../store';
import { tableExportQuery } from '../../../queries/export-queries';
import type { DatasetContext, PanelRefinement } from '../../../queries/panel-queries';
import type { QueryResult } from '../../../queries/engine/engine';
import { buildChartOption } from '../charts/chart-options';
import { chartCsvTable, encodeCsv, kpiCsvTable, type CsvTable } from './csv';
import { chartSize, dataUrlToBlob } from './chart-size';
import { exportFileName } from './file-name';

export type ExportFormat = 'png' | 'svg' | 'csv';

export interface ExportAction {
  format: ExportFormat;
  label: string;
}

/** The menu entries of a panel kind, in menu order. */
export function exportActions(panel: DataPanel): ExportAction[] {
  switch (panel.kind) {
    case 'chart':
      return [
        { format: 'png', label: 'Download PNG' },
        { format: 'svg', label: 'Download SVG' },
        { format: 'csv', label: 'Download CSV' },
      ];
    case 'table':
      return [{ format: 'csv', label: 'Download CSV (all rows)' }];
    case 'kpi':
      return [{ format: 'csv', label: 'Download CSV' }];
  }
}

/** Everything an export reads: the panel, its run state, its dataset's run state, the chart on screen. */
export interface PanelExportSource {
  panel: DataPanel;
  dataset: Dataset;
  state: PanelState | undefined;
  datasetState: DatasetState | undefined;
  /** The refinement the panel ran with (filters, drill), so an export has the rows the panel shows. */
  refine?: PanelRefinement;
  chart: echarts.ECharts | null;
}

export interface ExportedFile {
  fileName: string;
  blob: Blob;
  /** Data rows written, for CSV. */
  rows?: number;
}

/** Why an entry cannot run now (shown as the disabled entry's tooltip), or null when it can. */
export function unavailableReason(format: ExportFormat, src: PanelExportSource): string | null {
  if (src.state?.status !== 'ready') return 'The panel has no result yet.';
  if (format === 'png' && chartSize(src.chart) === null) return 'The chart is not on screen.';
  if (format === 'svg' && src.state.result.rows.length === 0) return 'The chart has no rows to draw.';
  if (format === 'csv' && src.panel.kind === 'table' && src.datasetState?.status !== 'ready') return 'The data is not loaded.';
  return null;
}

/** Build the file of one export; table CSVs query every row through `engine`. */
export async function buildExport(format: ExportFormat, src: PanelExportSource, engine: () => Promise<Pick<QueryEngine, 'query'>>): Promise<ExportedFile> {
  const why = unavailableReason(format, src);
  if (why !== null || src.state?.status !== 'ready') throw new Error(why ?? 'The panel has no result yet.');
  const { panel, dataset } = src;
  const result = src.state.result;
  const fileName = exportFileName(panel, format);
  switch (format) {
    case 'png':
      if (!src.chart) throw new Error('The chart is not on screen.');
      return { fileName, blob: dataUrlToBlob((await import('./chart-image')).chartPngDataUrl(src.chart)) };
    case 'svg': {
      if (panel.kind !== 'chart') throw new Error('Only charts export as SVG.');
      const { renderChartSvg } = await import('./chart-image');
      const svg = renderChartSvg(buildChartOption(panel, dataset, result, src.refine?.grain), chartSize(src.chart) ?? undefined);
      return { fileName, blob: new Blob([svg], { type: 'image/svg+xml;charset=utf-8' }) };
    }
    case 'csv': {
      const table = await csvTable(src, result, engine);
      return { fileName, blob: new Blob([encodeCsv(table)], { type: 'text/csv;charset=utf-8' }), rows: table.rows.length };
    }
  }
}

async function csvTable(src: PanelExportSource, result: QueryResult, engine: () => Promise<Pick<QueryEngine, 'query'>>): Promise<CsvTable> {
  const { panel, dataset } = src;
  switch (panel.kind) {
    case 'chart':
      return chartCsvTable(panel, dataset, result);
    case 'kpi':
      return kpiCsvTable(panel, result);
    case 'table': {
      if (src.datasetState?.status !== 'ready') throw new Error('The data is not loaded.');
      // The panel shows its first `limit` rows; the export is all of them.
      return (await engine()).query(tableExportQuery(panel, datasetContext(dataset, src.datasetState), src.refine));
    }
  }
}

/** The query context of a loaded dataset, rebuilt from its run state. */
export function datasetContext(dataset: Dataset, state: Extract<DatasetRunState, { status: 'ready' }>): DatasetContext {
  return { dataset, table: datasetTable(dataset), columns: new Set(state.columns.map((c) => c.name)), period: state.period };
}
