// The 10,000-panel hostile file, generated rather than committed (1.2 MB): the demo dashboard with
// `count` KPI panels, as a colleague's generator script might write it.

/** The demo dashboard's text with its panels replaced by `count` KPI panels in a 4-wide grid. */
export function manyPanels(demoText: string, count: number): string {
  const doc = JSON.parse(demoText) as Record<string, unknown>;
  doc.id = '00000000-0000-4000-8000-00000000a010';
  doc.title = `${count} panels`;
  doc.checks = [];
  doc.panels = Array.from({ length: count }, (_, i) => ({ id: `p${i}`, kind: 'kpi', title: `KPI ${i}`, dataset: 'orders', measure: 'revenue' }));
  doc.layout = Array.from({ length: count }, (_, i) => ({ panel: `p${i}`, x: (i % 4) * 3, y: Math.floor(i / 4) * 2, w: 3, h: 2 }));
  return JSON.stringify(doc);
}
